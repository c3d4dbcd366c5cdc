// The pure parts of `up` (src/local/up.ts): the config bundle folder read into the files every
// runtime container gets, and the address `up` checks the site on.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { RUNTIME_IMAGE } from '../../../src/contract/image.ts';
import { runtimeContainer } from '../../../src/local/services.ts';
import { bundleFiles, hostFor } from '../../../src/local/up.ts';
import { recordedWebBundle, recordWebBundle } from '../../../src/local/web-bundle.ts';
import { UserError } from '../../../src/util/errors.ts';
import { devSpec, freshStateRoot, SECRETS, TAGS } from './fixtures.ts';
import { tempDir } from '../../support/temp.ts';

/** A folder holding a spec's folder with a bundle folder of these files; returns the spec's folder. */
function specFolder(files: Record<string, string>, bundle = 'bundle'): string {
  const base = tempDir('moodle-ha-up-');
  mkdirSync(join(base, bundle), { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(base, bundle, name), content);
  return base;
}

describe('the config bundle folder', () => {
  test('no configBundle: no files', () => {
    assert.deepEqual(bundleFiles(devSpec(), '/nonexistent'), []);
  });
  test("each file the image loads goes to the bundle folder, readable by the image's group only (config.php may hold secrets)", () => {
    const base = specFolder({ 'php.ini': 'max_input_vars = 5000\n', 'nginx.conf': 'client_body_timeout 30s;\n', 'config.php': "<?php $CFG->x = 'y';\n" });
    const files = bundleFiles(devSpec({ configBundle: 'bundle' }), base);
    assert.deepEqual(
      files.map((f) => f.name).sort(),
      ['config.php', 'nginx.conf', 'php.ini'].map((f) => `${RUNTIME_IMAGE.configBundleDir}/${f}`),
    );
    for (const f of files) assert.deepEqual([f.mode, f.uid, f.gid], [0o440, 0, RUNTIME_IMAGE.gid], f.name);
    assert.equal(files.find((f) => f.name.endsWith('/php.ini'))!.content, 'max_input_vars = 5000\n');
  });
  test("the folder is found from the spec file's folder; sub-folders are ignored", () => {
    const base = specFolder({ 'php.ini': 'x = 1\n' }, 'conf/bundle');
    mkdirSync(join(base, 'conf', 'bundle', 'old'));
    assert.deepEqual(
      bundleFiles(devSpec({ configBundle: 'conf/bundle' }), base).map((f) => f.name),
      [`${RUNTIME_IMAGE.configBundleDir}/php.ini`],
    );
  });
  test('a file the image would not load is refused, naming it and what it loads', () => {
    const base = specFolder({ 'php.ini': '', 'settings.php': '' });
    assert.throws(
      () => bundleFiles(devSpec({ configBundle: 'bundle' }), base),
      (e: unknown) =>
        e instanceof UserError && /has files the image does not load: settings\.php \(it loads php\.ini, nginx\.conf, config\.php\)$/.test(e.message),
    );
  });
  test('a folder that is not there is refused, with the path to fix', () => {
    const base = specFolder({});
    assert.throws(
      () => bundleFiles(devSpec({ configBundle: 'missing' }), base),
      (e: unknown) => e instanceof UserError && e.message === `configBundle: ${join(base, 'missing')} is not a readable folder; fix the path in moodle-ha.yaml`,
    );
  });
  test('what up reads is what a node added by scaling gets', () => {
    freshStateRoot('up');
    const spec = devSpec({ configBundle: 'bundle' });
    const files = bundleFiles(spec, specFolder({ 'nginx.conf': 'add_header X-Campus 1;\n' }));
    recordWebBundle(spec.name, files);
    const scaled = runtimeContainer(spec, TAGS, SECRETS, 'web', 3, recordedWebBundle(spec));
    assert.deepEqual(
      scaled.files!.filter((f) => f.name.startsWith(RUNTIME_IMAGE.configBundleDir)),
      files,
    );
  });
});

describe('hostFor: where up asks the site, given the address its port is bound to', () => {
  test('all addresses: the loopback of the same family', () => {
    assert.equal(hostFor('0.0.0.0'), '127.0.0.1');
    assert.equal(hostFor('::'), '[::1]');
  });
  test('one address: that address, IPv6 in brackets', () => {
    assert.equal(hostFor('127.0.0.1'), '127.0.0.1');
    assert.equal(hostFor('192.168.1.20'), '192.168.1.20');
    assert.equal(hostFor('::1'), '[::1]');
    assert.equal(hostFor('fd00::5'), '[fd00::5]');
  });
  test('the result makes a URL with the port', () => {
    for (const bind of ['0.0.0.0', '::', 'fd00::5']) assert.equal(new URL(`http://${hostFor(bind)}:8080/`).port, '8080', bind);
  });
});
