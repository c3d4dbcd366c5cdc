// The runtime build context staged to a folder (for CDK image assets): the same layers as the
// local build, with plugins in their own folder and no config.php from the tree.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { KEPT_TEST_FILES } from '../../src/image/code-exclusions.ts';
import { runtimeBuildArgs, stageRuntimeContext } from '../../src/image/runtime-context.ts';
import { validateSpec } from '../../src/spec/read.ts';
import { makeFakeTree } from '../support/fake-moodle.ts';
import { tempDir } from '../support/temp.ts';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'plugins', 'moodlehaprobe');

test('stageRuntimeContext writes the Dockerfile, the tree and the plugins, and nothing else', () => {
  const work = tempDir('stage-');
  const tree = makeFakeTree(join(work, 'moodle'));
  writeFileSync(join(tree, 'config.php'), '<?php // a site config that must not be baked in');
  const spec = validateSpec({ plugins: [{ component: 'local_moodlehaprobe', source: FIXTURE, version: 2026010100 }] });
  const out = stageRuntimeContext({ codeDir: tree, spec, baseDir: work }, join(work, 'ctx'));
  assert.ok(existsSync(join(out, 'Dockerfile')));
  assert.ok(existsSync(join(out, 'rootfs', 'opt', 'moodle-ha', 'php', 'config.php')));
  assert.equal(readFileSync(join(out, 'moodle', 'version.php'), 'utf8'), readFileSync(join(tree, 'version.php'), 'utf8'));
  assert.equal(existsSync(join(out, 'moodle', 'config.php')), false, "the tree's config.php must not be staged");
  assert.match(readFileSync(join(out, 'plugins', 'local', 'moodlehaprobe', 'version.php'), 'utf8'), /local_moodlehaprobe/);
  assert.equal(statSync(join(out, 'moodle', 'version.php')).ino, statSync(join(tree, 'version.php')).ino, 'same file system: a hard link, not a copy');
  // Staging again replaces the folder (a removed plugin disappears).
  stageRuntimeContext({ codeDir: tree, spec: validateSpec({}), baseDir: work }, out);
  assert.equal(existsSync(join(out, 'plugins', 'local')), false);
  assert.ok(existsSync(join(out, 'plugins')), 'the plugins folder exists even when empty (the Dockerfile copies it)');
});

test('the build arguments come from the image contract and the spec', () => {
  assert.deepEqual(runtimeBuildArgs(validateSpec({ moodle: { webroot: 'public' } })), { APP_UID: '33', APP_GID: '33', WEBROOT: 'public' });
});

test('the staged tree has no tests/ folders, source maps or .github/, but keeps the generators and the fixtures production code reads', () => {
  const work = tempDir('stage-');
  const tree = makeFakeTree(join(work, 'moodle'));
  const plugin = join(work, 'plugin');
  cpSync(FIXTURE, plugin, { recursive: true });
  const put = (root: string, rel: string) => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), 'x');
  };
  const gone = [
    'lib/tests/moodlelib_test.php',
    'mod/forum/tests/behat/post.feature',
    'mod/forum/tests/fixtures/a.xml',
    'mod/assign/feedback/editpdf/tests/fixtures/other.pdf',
    'lib/amd/build/ajax.min.js.map',
    'lib/editor/tiny/js/tinymce/skins/ui/oxide/skin.min.css.map',
    '.github/workflows/push.yml',
  ];
  const kept = [
    ...KEPT_TEST_FILES,
    'mod/forum/tests/generator/lib.php',
    'question/type/multichoice/tests/helper.php',
    'lib/amd/build/ajax.min.js',
    'lib/behat/lib.php',
    'admin/tool/behat/version.php',
    'lib/testing/generator/data_generator.php',
    'mod/forum/testsuite.php',
  ];
  for (const rel of [...gone, ...kept]) put(tree, rel);
  for (const rel of ['tests/plugin_test.php', 'amd/build/x.min.js.map', 'tests/generator/lib.php', 'amd/build/x.min.js']) put(plugin, rel);
  const spec = validateSpec({ plugins: [{ component: 'local_moodlehaprobe', source: plugin, version: 2026010100 }] });
  const out = stageRuntimeContext({ codeDir: tree, spec, baseDir: work }, join(work, 'ctx'));
  for (const rel of gone) assert.equal(existsSync(join(out, 'moodle', rel)), false, `${rel} must be left out`);
  for (const rel of kept) assert.ok(existsSync(join(out, 'moodle', rel)), `${rel} must be kept`);
  const p = join(out, 'plugins', 'local', 'moodlehaprobe');
  assert.equal(existsSync(join(p, 'tests', 'plugin_test.php')), false);
  assert.equal(existsSync(join(p, 'amd', 'build', 'x.min.js.map')), false);
  assert.ok(existsSync(join(p, 'tests', 'generator', 'lib.php')));
  assert.ok(existsSync(join(p, 'amd', 'build', 'x.min.js')));
});
