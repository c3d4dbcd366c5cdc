// The config-change drill's bundle edit (src/local/bundle-edit.ts): `up` gets a copy of the
// operator's bundle with the text appended, the operator's folder is never written, and the copy
// goes when `up` is done.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { withBundleAddition } from '../../../src/local/bundle-edit.ts';
import { bundleFiles } from '../../../src/local/up.ts';
import { readSpec } from '../../../src/spec/read.ts';
import { tempDir } from '../../support/temp.ts';

process.env.MOODLE_HA_STATE = tempDir('bundle-edit-state-');

test("the edit goes to a copy: the operator's files unchanged, up reads the copy's files and the text", () => {
  const dir = tempDir('bundle-edit-');
  mkdirSync(join(dir, 'bundle'));
  writeFileSync(join(dir, 'bundle', 'php.ini'), 'max_input_vars = 5000\n');
  writeFileSync(join(dir, 'bundle', 'nginx.conf'), 'add_header x-a b always;\n');
  writeFileSync(join(dir, 'moodle-ha.yaml'), 'name: mhedit\nconfigBundle: bundle\n');
  const loaded = readSpec({ file: join(dir, 'moodle-ha.yaml') });
  const edited = withBundleAddition(loaded, { file: 'php.ini', text: 'highlight.comment = "#FF8001"\n' });
  const files = Object.fromEntries(bundleFiles(edited.loaded.spec, edited.loaded.baseDir).map((f) => [f.name.split('/').pop(), f.content]));
  assert.deepEqual(files, { 'nginx.conf': 'add_header x-a b always;\n', 'php.ini': 'max_input_vars = 5000\nhighlight.comment = "#FF8001"\n' });
  assert.equal(readFileSync(join(dir, 'bundle', 'php.ini'), 'utf8'), 'max_input_vars = 5000\n');
  assert.deepEqual(readdirSync(join(dir, 'bundle')).sort(), ['nginx.conf', 'php.ini']);
  edited.cleanup();
  assert.equal(existsSync(edited.loaded.spec.configBundle!), false);
});

test('a cluster without a bundle gets one holding only the edit', () => {
  const loaded = readSpec({ cwd: tempDir('bundle-edit-'), overrides: { name: 'mhedit2' } });
  const edited = withBundleAddition(loaded, { file: 'php.ini', text: 'x = 1\n' });
  assert.deepEqual(
    bundleFiles(edited.loaded.spec, edited.loaded.baseDir).map((f) => [f.name.split('/').pop(), f.content]),
    [['php.ini', 'x = 1\n']],
  );
  edited.cleanup();
});
