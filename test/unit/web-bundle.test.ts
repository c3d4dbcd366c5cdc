import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { recordedWebBundle, recordWebBundle } from '../../src/local/web-bundle.ts';
import { validateSpec } from '../../src/spec/read.ts';
import { UserError } from '../../src/util/errors.ts';
import { clusterStateDir } from '../../src/util/paths.ts';
import { tempDir } from '../support/temp.ts';

const FILES = [{ name: '/etc/moodle-ha/bundle/nginx.conf', content: 'add_header X-A b always;\n', mode: 0o440, uid: 0, gid: 33 }];

test('web bundle: what up recorded is what a scaled node gets; private; none recorded is an error only with a configBundle', () => {
  process.env.MOODLE_HA_STATE = tempDir('bundle-');
  const withBundle = validateSpec({ name: 'b1', configBundle: 'bundle' });
  const without = validateSpec({ name: 'b1' });

  assert.deepEqual(recordedWebBundle(without), [], 'no bundle, no record: nothing to add');
  assert.throws(
    () => recordedWebBundle(withBundle),
    (e: unknown) => e instanceof UserError && /run "moodle-ha up" once/.test(e.message),
  );

  recordWebBundle('b1', FILES);
  assert.deepEqual(recordedWebBundle(withBundle), FILES);
  const file = join(clusterStateDir('b1'), 'web-bundle.json');
  assert.equal(statSync(file).mode & 0o777, 0o600, "a bundle's config.php may hold secrets");

  recordWebBundle('b1', []);
  assert.equal(existsSync(file), false, 'a spec without a bundle removes the record');
});
