// The upgrade drill's plugin bump (src/local/plugin-bump.ts): `up` gets a copy of the plugin one
// version newer, the operator's folder is never written, and the copy goes when `up` is done.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { bumpablePlugin, withPluginBump } from '../../../src/local/plugin-bump.ts';
import { readSpec } from '../../../src/spec/read.ts';
import { writeFileSync } from 'node:fs';
import { tempDir } from '../../support/temp.ts';

process.env.MOODLE_HA_STATE = tempDir('plugin-bump-state-');
const PROBE = join(import.meta.dirname, '..', '..', 'fixtures', 'plugins', 'moodlehaprobe');

test("the bump goes to a copy one version newer; the operator's plugin is unchanged", () => {
  const dir = tempDir('plugin-bump-');
  writeFileSync(join(dir, 'moodle-ha.yaml'), `name: mhbump\nplugins:\n  - component: local_moodlehaprobe\n    source: ${PROBE}\n    version: 2026010100\n`);
  const loaded = readSpec({ file: join(dir, 'moodle-ha.yaml') });
  assert.equal(bumpablePlugin(loaded), 'local_moodlehaprobe');
  const b = withPluginBump(loaded, 'local_moodlehaprobe');
  assert.deepEqual([b.from, b.to], [2026010100, 2026010101]);
  const p = b.loaded.spec.plugins[0]!;
  assert.equal(p.version, 2026010101);
  assert.match(readFileSync(join(p.source!, 'version.php'), 'utf8'), /\$plugin->version = 2026010101;/);
  assert.match(readFileSync(join(PROBE, 'version.php'), 'utf8'), /\$plugin->version = 2026010100;/);
  b.cleanup();
  assert.equal(existsSync(p.source!), false);
});

test('a spec without a plugin folder: none to bump, and asking says what to add', () => {
  const loaded = readSpec({ cwd: tempDir('plugin-bump-'), overrides: { name: 'mhbump2' } });
  assert.equal(bumpablePlugin(loaded), undefined);
  assert.throws(() => withPluginBump(loaded, 'local_x'), /lists no plugin local_x with a source folder: add one under "plugins:"/);
});
