// Who the site's mail comes from (src/spec/mail.ts), and the local cluster's mail settings.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runtimeEnv } from '../../../src/local/services.ts';
import { siteMail, siteMailDomain } from '../../../src/spec/mail.ts';
import { validateSpec } from '../../../src/spec/read.ts';

describe('the site mail identity', () => {
  test("the mail domain is the site's host name", () => {
    assert.equal(siteMailDomain('https://Moodle.Example.edu/'), 'moodle.example.edu');
    assert.equal(siteMailDomain('https://moodle.example.edu:8443/lms'), 'moodle.example.edu');
  });
  test('a host Moodle would refuse in an address gets a reserved .invalid name', () => {
    assert.equal(siteMailDomain('http://localhost:8080'), 'localhost.invalid');
    assert.equal(siteMailDomain('http://10.1.2.3:8080'), 'moodle.invalid');
    assert.equal(siteMailDomain('http://[::1]:8080'), 'moodle.invalid');
  });
  test("no-reply: the spec's, else noreply@ the mail domain", () => {
    assert.deepEqual(siteMail(validateSpec({ site: { url: 'https://moodle.example.edu' } })), {
      domain: 'moodle.example.edu',
      noreplyAddress: 'noreply@moodle.example.edu',
    });
    assert.equal(siteMail(validateSpec({ site: { noreplyAddress: 'lms@example.edu' } })).noreplyAddress, 'lms@example.edu');
    assert.equal(siteMail(validateSpec({}), 'mail.example.edu').noreplyAddress, 'noreply@mail.example.edu');
  });
});

describe('the local cluster sends every message to its mail catcher', () => {
  const spec = validateSpec({ name: 'mx', site: { timezone: 'Europe/London', country: 'GB' } });
  for (const mode of ['web', 'cron', 'migrate'] as const) {
    test(`${mode}: plain SMTP to <cluster>-mail:1025, the derived no-reply address`, () => {
      const env = runtimeEnv(spec, mode);
      assert.equal(env.MOODLE_SMTP_HOST, 'mx-mail');
      assert.equal(env.MOODLE_SMTP_PORT, '1025');
      assert.equal(env.MOODLE_SMTP_SECURITY, 'none');
      assert.equal(env.MOODLE_NOREPLY_ADDRESS, 'noreply@localhost.invalid');
      assert.equal(env.MOODLE_MAIL_DOMAIN, 'localhost.invalid');
      assert.equal(env.MOODLE_SMTP_USER, undefined);
    });
  }
  test("migrate gets the site's defaults; the support address falls back to the admin's", () => {
    const env = runtimeEnv(spec, 'migrate');
    assert.equal(env.MOODLE_TIMEZONE, 'Europe/London');
    assert.equal(env.MOODLE_COUNTRY, 'GB');
    assert.equal(env.MOODLE_LANG, 'en');
    assert.equal(env.MOODLE_SUPPORT_EMAIL, spec.site.adminEmail);
    assert.equal(runtimeEnv(spec, 'web').MOODLE_TIMEZONE, undefined, 'only migrate writes them');
  });
});
