// placePlugins: each manifest entry is checked against the Moodle tree it goes into, and every
// problem is reported at once, before anything is built. Fixtures: a fake Moodle tree (with
// lib/components.json) and plugin folders and archives in a temporary folder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { placePlugins, pluginTypeDirs, readPluginVersion } from '../../src/moodle/plugins.ts';
import { validateSpec } from '../../src/spec/read.ts';
import { UserError } from '../../src/util/errors.ts';
import { tempDir } from '../support/temp.ts';

let base: string;
let moodle: string;

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

function pluginDir(rel: string, component: string, version = 2024100700): string {
  const dir = join(base, rel);
  write(
    join(dir, 'version.php'),
    `<?php\ndefined('MOODLE_INTERNAL') || die();\n$plugin->component = '${component}';\n$plugin->version   = ${version};\n$plugin->requires  = 2024100700;\n`,
  );
  write(join(dir, 'lib.php'), '<?php\n');
  return dir;
}

function tarGz(name: string, cwd: string, ...paths: string[]): string {
  const out = join(base, name);
  const r = spawnSync('tar', ['-czf', out, '-C', cwd, ...paths]);
  assert.equal(r.status, 0, `tar failed: ${r.stderr}`);
  return out;
}

function place(plugins: unknown[]) {
  return placePlugins(validateSpec({ plugins }), base, moodle);
}

/** The problems placePlugins reports (it must throw a UserError listing them). */
function problems(plugins: unknown[]): string[] {
  try {
    place(plugins);
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, /no image was built/);
    return [...e.details];
  }
  return assert.fail('expected the manifest to be rejected');
}

before(() => {
  base = tempDir('mh-plugins-');
  moodle = join(base, 'moodle');
  write(
    join(moodle, 'lib', 'components.json'),
    JSON.stringify({ plugintypes: { local: 'local', block: 'blocks', auth: 'auth', tool: 'admin/tool' }, subsystems: { course: 'course' } }),
  );
  write(join(moodle, 'local', 'existing', 'version.php'), '<?php\n');
  pluginDir('plugins/good', 'local_good', 2024100701);
  pluginDir('plugins/existing', 'local_existing');
  pluginDir('plugins/tool', 'tool_probe');
  pluginDir('plugins/other', 'local_other');
  mkdirSync(join(base, 'plugins', 'empty'), { recursive: true });
  write(join(base, 'plugins', 'nested', 'good', 'version.php'), "<?php\n$plugin->component = 'local_good';\n$plugin->version = 2024100701;\n");
  write(join(base, 'plugins', 'afile.txt'), 'not a folder');
  // A release archive as the Moodle plugins directory ships it: one folder named after the plugin.
  pluginDir('archive-src/good', 'local_good', 2024100701);
  tarGz('local_good.tar.gz', join(base, 'archive-src'), 'good');
  // An archive with version.php at its top.
  tarGz('flat.tgz', join(base, 'archive-src', 'good'), '.');
  write(join(base, 'broken.tar.gz'), 'not gzip at all');
});

after(() => rmSync(base, { recursive: true, force: true }));

describe('plugin types come from the tree', () => {
  test('lib/components.json plus mod', () => {
    assert.deepEqual(pluginTypeDirs(moodle), { mod: 'mod', local: 'local', block: 'blocks', auth: 'auth', tool: 'admin/tool' });
  });
  test('readPluginVersion reads component and version, and needs both', () => {
    assert.deepEqual(readPluginVersion(join(base, 'plugins', 'good')), { component: 'local_good', version: 2024100701 });
    assert.equal(readPluginVersion(join(base, 'plugins', 'empty')), undefined);
    write(join(base, 'plugins', 'halfversion', 'version.php'), "<?php\n$plugin->component = 'local_half';\n");
    assert.equal(readPluginVersion(join(base, 'plugins', 'halfversion')), undefined);
  });
});

describe('a good manifest is placed', () => {
  test('a folder, relative to the spec folder, goes to <type dir>/<name>', () => {
    assert.deepEqual(place([{ component: 'local_good', source: 'plugins/good', version: 2024100701 }]), [
      { component: 'local_good', dir: join(base, 'plugins', 'good'), target: 'local/good', version: 2024100701 },
    ]);
  });
  test('an absolute source path is used as given; a nested type dir is followed', () => {
    const [p] = place([{ component: 'tool_probe', source: join(base, 'plugins', 'tool') }]);
    assert.equal(p?.target, 'admin/tool/probe');
    assert.equal(p?.dir, join(base, 'plugins', 'tool'));
  });
  test('a .tar.gz holding the plugin folder is unpacked, and the folder found by name', () => {
    const [p] = place([{ component: 'local_good', archive: 'local_good.tar.gz', version: 2024100701 }]);
    assert.ok(p, 'nothing placed');
    assert.equal(p.target, 'local/good');
    assert.equal(p.version, 2024100701);
    assert.ok(existsSync(join(p.dir, 'version.php')) && existsSync(join(p.dir, 'lib.php')), `unpacked folder ${p.dir} lacks the plugin files`);
    assert.notEqual(p.dir, join(base, 'archive-src', 'good'), 'the archive must be unpacked, not pointed at its source');
  });
  test('a .tgz with version.php at its top works too', () => {
    const [p] = place([{ component: 'local_good', archive: 'flat.tgz' }]);
    assert.ok(p && existsSync(join(p.dir, 'version.php')));
    assert.equal(p.target, 'local/good');
  });
  test('several plugins keep manifest order', () => {
    const placed = place([
      { component: 'tool_probe', source: 'plugins/tool' },
      { component: 'local_good', source: 'plugins/good' },
    ]);
    assert.deepEqual(
      placed.map((p) => p.target),
      ['admin/tool/probe', 'local/good'],
    );
  });
});

describe('every problem is named, with what to do', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    [
      'unknown plugin type',
      { component: 'foo_bar', source: 'plugins/good' },
      /^plugins\.0 \(foo_bar\): "foo" is not a plugin type of this Moodle; known types include mod, local/,
    ],
    ['a subsystem is not a plugin type', { component: 'course_x', source: 'plugins/good' }, /"course" is not a plugin type/],
    ['missing folder', { component: 'local_good', source: 'plugins/nope' }, /^plugins\.0 \(local_good\): source folder .*plugins\/nope does not exist/],
    ['source is a file', { component: 'local_good', source: 'plugins/afile.txt' }, /is not a folder \(use "archive" for a \.zip or \.tar\.gz\)/],
    ['no version.php', { component: 'local_good', source: 'plugins/empty' }, /plugins\/empty has no version\.php .*is it the plugin's top folder\?/],
    ['folder one level too high', { component: 'local_good', source: 'plugins/nested' }, /has no version\.php/],
    [
      'component mismatch',
      { component: 'local_good', source: 'plugins/other' },
      /version\.php declares component "local_other", not "local_good": fix the manifest's component or the source/,
    ],
    [
      'version mismatch',
      { component: 'local_good', source: 'plugins/good', version: 2024100799 },
      /version\.php has version 2024100701, the manifest expects 2024100799: update one of them/,
    ],
    ['already in the tree', { component: 'local_existing', source: 'plugins/existing' }, /local\/existing already exists in the Moodle tree/],
    ['missing archive', { component: 'local_good', archive: 'nope.tar.gz' }, /archive .*nope\.tar\.gz does not exist/],
    ['archive that is not an archive', { component: 'local_good', archive: 'broken.tar.gz' }, /could not unpack .*broken\.tar\.gz/],
  ];
  for (const [name, plugin, pattern] of cases) {
    test(name, () => {
      const found = problems([plugin]);
      assert.equal(found.length, 1, `expected one problem, got:\n${found.join('\n')}`);
      assert.match(found[0]!, pattern);
    });
  }
  test('all problems at once, and good entries do not hide bad ones', () => {
    const found = problems([
      { component: 'local_good', source: 'plugins/good' },
      { component: 'foo_bar', source: 'plugins/good' },
      { component: 'local_other', source: 'plugins/empty' },
      { component: 'local_existing', source: 'plugins/existing' },
    ]);
    assert.deepEqual(
      found.map((p) => /^plugins\.(\d+)/.exec(p)?.[1]),
      ['1', '2', '3'],
    );
  });
  test('a tree without lib/components.json is an error, not an empty type list', () => {
    assert.throws(
      () => placePlugins(validateSpec({ plugins: [{ component: 'local_good', source: 'plugins/good' }] }), base, join(base, 'plugins')),
      /components\.json/,
    );
  });
});
