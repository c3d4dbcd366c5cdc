// Maintenance mode around a local upgrade (src/local/maintenance.ts): `up`'s migrate keeps it on,
// and the marker `up` looks for is the one migrate.php writes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkEnvironment } from '../../../src/contract/env.ts';
import { RUNTIME_IMAGE } from '../../../src/contract/image.ts';
import { keepingMaintenance, MAINTENANCE_MARKER } from '../../../src/local/maintenance.ts';
import { runtimeContainer } from '../../../src/local/services.ts';
import { devSpec, SECRETS, TAGS } from './fixtures.ts';

const MIGRATE_PHP = readFileSync(join(import.meta.dirname, '..', '..', '..', 'images', 'runtime', 'rootfs', 'opt', 'moodle-ha', 'php', 'migrate.php'), 'utf8');

test('the marker up looks for is the one migrate.php writes on an upgrade and removes on finish, in the shared dataroot', () => {
  const path = /\$marker = \$mh\['dataroot'\] \. '([^']+)'/.exec(MIGRATE_PHP)?.[1];
  assert.equal(`${RUNTIME_IMAGE.sharedDataDir}${path}`, MAINTENANCE_MARKER);
});

test("up's migrate leaves maintenance on after an upgrade (keep), a value the image's contract accepts; the rest of the definition is unchanged", () => {
  const def = runtimeContainer(devSpec(), TAGS, SECRETS, 'migrate');
  const kept = keepingMaintenance(def);
  assert.equal(kept.env?.MOODLE_MIGRATE_MAINTENANCE, 'keep');
  assert.deepEqual(checkEnvironment('migrate', kept.env ?? {}), []);
  assert.deepEqual({ ...kept, env: def.env }, def);
  assert.equal(
    def.env?.MOODLE_MIGRATE_MAINTENANCE,
    undefined,
    "the migrate command's own definition is untouched (release: its image is the one the nodes run)",
  );
});
