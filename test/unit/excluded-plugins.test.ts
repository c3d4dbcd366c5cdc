// moodle.excludePlugins: validated in the spec (frankenstyle, once, not also in the manifest) and
// against the tree (a plugin type it has, subplugin types included; a plugin that is there; not a
// standard plugin; nothing that stays depends on it), then left out of the runtime build context
// (local builds and the AWS staged context share it) and named in the build arguments, so the
// image's key and its code-version.json record change with it.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { contextKey, listEntries } from '../../src/image/context.ts';
import { runtimeBuildArgs, runtimeLayers, stageRuntimeContext } from '../../src/image/runtime-context.ts';
import { declaredDependencies, excludedPlugins } from '../../src/moodle/excluded-plugins.ts';
import { validateSpec } from '../../src/spec/read.ts';
import { UserError } from '../../src/util/errors.ts';
import { makeFakeTree } from '../support/fake-moodle.ts';
import { tempDir } from '../support/temp.ts';

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

function plugin(tree: string, rel: string, component: string, extra = ''): void {
  write(join(tree, rel, 'version.php'), `<?php\n$plugin->component = '${component}';\n$plugin->version = 2024100700;\n${extra}`);
  write(join(tree, rel, 'lib.php'), '<?php\n');
}

/** A tree with local and mod types, a subplugin type (assignsubmission), standard and add-on plugins. */
function tree(): string {
  const dir = makeFakeTree(join(tempDir('exclude-'), 'moodle'));
  write(join(dir, 'lib', 'components.json'), JSON.stringify({ plugintypes: { local: 'local', theme: 'theme' }, subsystems: {} }));
  write(join(dir, 'lib', 'plugins.json'), JSON.stringify({ standard: { mod: ['assign'], assignsubmission: ['file'], theme: ['boost'] }, deleted: {} }));
  plugin(dir, 'mod/assign', 'mod_assign');
  write(join(dir, 'mod', 'assign', 'db', 'subplugins.json'), JSON.stringify({ plugintypes: { assignsubmission: 'mod/assign/submission' } }));
  plugin(dir, 'mod/assign/submission/file', 'assignsubmission_file');
  plugin(dir, 'mod/assign/submission/broken', 'assignsubmission_broken');
  plugin(dir, 'theme/boost', 'theme_boost');
  plugin(dir, 'local/broken', 'local_broken');
  plugin(dir, 'local/report', 'local_report');
  plugin(dir, 'local/needsbroken', 'local_needsbroken', "$plugin->dependencies = [\n    'local_broken' => 2024010100,\n];\n");
  return dir;
}

const spec = (excludePlugins: string[], more: object = {}) => validateSpec({ moodle: { excludePlugins }, ...more });

/** The problems excludedPlugins reports (it must throw a UserError listing them). */
function problems(dir: string, names: string[]): string[] {
  try {
    excludedPlugins(spec(names), dir);
  } catch (e) {
    assert.ok(e instanceof UserError, String(e));
    assert.match(e.message, /^moodle\.excludePlugins has problems; no image was built:/);
    return [...e.details];
  }
  assert.fail(`no problem reported for ${names.join(', ')}`);
}

describe('moodle.excludePlugins in the spec', () => {
  test('defaults to none; frankenstyle names only; each once; not also added by the manifest', () => {
    assert.deepEqual(validateSpec({}).moodle.excludePlugins, []);
    const invalid = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof UserError);
        return e.details.join('\n');
      }
      assert.fail('the spec was accepted');
    };
    assert.match(
      invalid(() => spec(['Local-Broken'])),
      /moodle\.excludePlugins\.0.*frankenstyle component name/,
    );
    assert.match(
      invalid(() => spec(['local_broken', 'local_broken'])),
      /moodle\.excludePlugins\.1.*local_broken is listed twice/,
    );
    assert.match(
      invalid(() => spec(['local_tool'], { plugins: [{ component: 'local_tool', source: './tool' }] })),
      /moodle\.excludePlugins\.0.*also in plugins/,
    );
  });
});

describe('moodle.excludePlugins against the tree', () => {
  const dir = tree();

  test('an add-on of the tree, a subplugin too, is left out with its folder', () => {
    assert.deepEqual(excludedPlugins(spec(['local_needsbroken', 'assignsubmission_broken']), dir), [
      { component: 'local_needsbroken', target: 'local/needsbroken' },
      { component: 'assignsubmission_broken', target: 'mod/assign/submission/broken' },
    ]);
  });

  test('a plugin type the tree does not have: named, with the near one', () => {
    assert.match(
      problems(dir, ['lcal_broken'])[0]!,
      /^moodle\.excludePlugins\.0 \(lcal_broken\): "lcal" is not a plugin type of this Moodle tree \(did you mean "local"\?\)/,
    );
  });

  test('a plugin the tree does not have: the plugins of that type it has', () => {
    assert.deepEqual(problems(dir, ['local_brokn']), [
      'moodle.excludePlugins.0 (local_brokn): the tree has no such plugin (no local/brokn/version.php); did you mean "local_broken"?; the local plugins there: local_broken, local_needsbroken, local_report',
    ]);
  });

  test('a standard plugin is refused', () => {
    assert.match(problems(dir, ['assignsubmission_file'])[0]!, /one of Moodle's standard plugins, which core code needs; only add-on plugins can be left out/);
  });

  test('a plugin another one depends on is refused, naming the dependent and both ways out', () => {
    assert.deepEqual(problems(dir, ['local_broken']), [
      'local_needsbroken depends on local_broken ($plugin->dependencies in its version.php), so Moodle would refuse to upgrade without it: leave local_needsbroken out too, or keep local_broken',
    ]);
    assert.equal(excludedPlugins(spec(['local_broken', 'local_needsbroken']), dir).length, 2, 'leaving both out is fine');
  });

  test('dependencies are read from either array syntax', () => {
    assert.deepEqual(declaredDependencies('$plugin->dependencies = array(\'mod_a\' => 1, "local_b" => ANY_VERSION);'), ['mod_a', 'local_b']);
    assert.deepEqual(declaredDependencies('$plugin->version = 1;'), []);
  });
});

describe('the build context without them', () => {
  const dir = tree();
  const work = tempDir('exclude-ctx-');
  const names = (s: ReturnType<typeof spec>) => listEntries(runtimeLayers({ codeDir: dir, spec: s, baseDir: work })).map((e) => e.name);

  test('the excluded folders are not in the context; everything else is', () => {
    const all = names(spec([]));
    const without = names(spec(['local_report', 'assignsubmission_broken']));
    assert.ok(all.includes('moodle/local/report/version.php') && all.includes('moodle/mod/assign/submission/broken/lib.php'));
    assert.deepEqual(
      all.filter((n) => !without.includes(n)),
      [
        'moodle/local/report/lib.php',
        'moodle/local/report/version.php',
        'moodle/mod/assign/submission/broken/lib.php',
        'moodle/mod/assign/submission/broken/version.php',
      ].sort(),
    );
    assert.ok(without.includes('moodle/local/broken/version.php'), 'a plugin with a similar name stays');
  });

  test("the image's key and build arguments change with them; with none the arguments are as before", () => {
    const key = (s: ReturnType<typeof spec>) => contextKey(runtimeLayers({ codeDir: dir, spec: s, baseDir: work }), JSON.stringify(runtimeBuildArgs(s)));
    assert.notEqual(key(spec(['local_report'])), key(spec([])));
    assert.deepEqual(runtimeBuildArgs(spec([])), { APP_UID: '33', APP_GID: '33', WEBROOT: '' });
    assert.equal(runtimeBuildArgs(spec(['local_report', 'assignsubmission_broken'])).EXCLUDED_PLUGINS, 'local_report,assignsubmission_broken');
  });

  test('the context staged for an AWS image build leaves them out too', () => {
    const out = stageRuntimeContext({ codeDir: dir, spec: spec(['local_report']), baseDir: work }, join(work, 'staged'));
    assert.equal(existsSync(join(out, 'moodle', 'local', 'report')), false);
    assert.ok(existsSync(join(out, 'moodle', 'local', 'broken', 'version.php')));
  });

  test('a bad name stops the build before anything is built', () => {
    assert.throws(() => runtimeLayers({ codeDir: dir, spec: spec(['local_nosuch']), baseDir: work }), /moodle\.excludePlugins has problems/);
  });
});
