// The install cache's key (src/local/install-cache.ts): a kept install is loaded only into a
// cluster whose install would write the same thing, so the key follows the runtime image (the
// code) and the install settings, and nothing that differs between two clusters of one code
// (their names, addresses, secrets, web nodes); without MOODLE_HA_INSTALL_CACHE there is no cache.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INSTALL_CACHE_ENV, installCache, installKey } from '../../../src/local/install-cache.ts';
import { runtimeContainer } from '../../../src/local/services.ts';
import { devSpec, haSpec, runningClusterOf, SECRETS, TAGS } from './fixtures.ts';

const migrate = (spec = devSpec(), tags = TAGS, secrets = SECRETS) => runtimeContainer(spec, tags, secrets, 'migrate');

test('two clusters of the same code and install settings share a key, whatever their names, profiles, ports and secrets', () => {
  const other = haSpec({ name: 'other', ports: { http: 18123 }, web: { nodes: 3 } });
  assert.equal(installKey(migrate(other, TAGS, { ...SECRETS, 'admin-password': 'x', 'db-password': 'y' })), installKey(migrate()));
});

test('another runtime image (other code) or another install setting is another key', () => {
  const base = installKey(migrate());
  assert.notEqual(installKey(migrate(devSpec(), { ...TAGS, runtime: `${TAGS.runtime}-other` })), base, 'the code');
  const m = migrate();
  for (const name of ['MOODLE_ADMIN_USER', 'MOODLE_ADMIN_EMAIL', 'MOODLE_SITE_FULLNAME', 'MOODLE_SITE_SHORTNAME', 'MOODLE_DB_PREFIX']) {
    assert.notEqual(installKey({ ...m, env: { ...m.env, [name]: 'changed' } }), base, name);
  }
  assert.equal(installKey({ ...m, env: { ...m.env, MOODLE_WWWROOT: 'http://elsewhere:1' } }), base, "the address is made the site's own after a load");
  // Site defaults (site-defaults.php) are written after the load as after an install: not part of what the install writes.
  for (const name of ['MOODLE_SUPPORT_EMAIL', 'MOODLE_TIMEZONE', 'MOODLE_COUNTRY', 'MOODLE_LANG']) {
    assert.equal(installKey({ ...m, env: { ...m.env, [name]: 'changed' } }), base, name);
  }
});

test('no cache without the variable, or with it empty', () => {
  const c = runningClusterOf(devSpec());
  assert.equal(installCache(c, migrate(), {}), undefined);
  assert.equal(installCache(c, migrate(), { [INSTALL_CACHE_ENV]: '' }), undefined);
  assert.ok(installCache(c, migrate(), { [INSTALL_CACHE_ENV]: '/tmp/x' }));
});
