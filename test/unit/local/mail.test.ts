// The local mail catcher (src/local/mail.ts): where Moodle sends mail inside the cluster's network,
// and its page, published on 127.0.0.1 only.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAIL_SMTP_PORT, MAIL_WEB_PORT } from '../../../src/local/images/mail-image.ts';
import { mailContainer, mailSmtp, mailUrl } from '../../../src/local/mail.ts';
import { runtimeEnv } from '../../../src/local/services.ts';
import { devSpec } from './fixtures.ts';

describe('the mail catcher', () => {
  test("Moodle reaches it by its container name on MailDev's SMTP port, which is what the runtime is told", () => {
    const spec = devSpec();
    assert.deepEqual(mailSmtp(spec), { host: 'campus-mail', port: MAIL_SMTP_PORT });
    const env = runtimeEnv(spec, 'cron');
    assert.deepEqual([env.MOODLE_SMTP_HOST, env.MOODLE_SMTP_PORT], ['campus-mail', String(MAIL_SMTP_PORT)]);
    assert.equal(mailContainer(spec, 'img').name, mailSmtp(spec).host);
  });
  test('its page is on 127.0.0.1 at ports.mail, whatever ports.bind is', () => {
    const spec = devSpec({ ports: { mail: 18025, bind: '0.0.0.0' } });
    assert.equal(mailUrl(spec), 'http://127.0.0.1:18025/');
    assert.deepEqual(mailContainer(spec, 'img').ports, [{ container: MAIL_WEB_PORT, host: 18025, bind: '127.0.0.1' }]);
  });
  test('SMTP is not published: only the cluster sends to it', () => {
    const ports = mailContainer(devSpec(), 'img').ports!.map((p) => p.container);
    assert.ok(!ports.includes(MAIL_SMTP_PORT), `published: ${ports.join(', ')}`);
  });
  test('a runaway sender stops at a memory limit (256 MiB); it runs the image given, on the cluster network', () => {
    const c = mailContainer(devSpec(), 'moodle-ha/mail:1');
    assert.deepEqual([c.memoryBytes, c.image, c.network, c.service], [256 * 1024 * 1024, 'moodle-ha/mail:1', 'campus-net', 'mail']);
  });
});
