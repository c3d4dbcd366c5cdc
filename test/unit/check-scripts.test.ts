// scripts/check-scripts.ts: which files it checks (shell scripts found by their #! line too, every
// PHP file), and that a finding of shellcheck or `php -l` fails the check, naming the file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { phpFiles, phpLint, shellcheck, shellScripts } from '../../scripts/check-scripts.ts';
import { tempDir } from '../support/temp.ts';

/** Skip a tool's tests where it is missing, except in CI (.ci/run installs both). */
const missing = (tool: string) =>
  process.env.CI !== 'true' && spawnSync(tool, ['--version'], { stdio: 'ignore' }).error !== undefined && `${tool} is not installed`;

const dir = tempDir('moodle-ha-check-scripts-');
after(() => rmSync(dir, { recursive: true, force: true }));
function put(path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
  chmodSync(join(dir, path), 0o755);
}

describe('the files checked', () => {
  test("the repository's shell scripts, with or without .sh, and nothing else", () => {
    const found = shellScripts();
    for (const f of [
      '.ci/run',
      'images/mariadb/health.sh',
      'images/mariadb/entrypoint.sh',
      'images/runtime/rootfs/usr/local/bin/moodle-ha-entrypoint',
      'images/runtime/rootfs/usr/local/bin/moodle-ha-render-config',
    ]) {
      assert.ok(found.includes(f), `${f} is not checked: ${found.join(', ')}`);
    }
    assert.deepEqual(
      found.filter((f) => /Dockerfile|\.(ts|php|conf|ini|cnf)$/.test(f)),
      [],
    );
  });
  test('the image’s PHP and the test fixtures’ PHP', () => {
    const found = phpFiles();
    for (const f of [
      'images/runtime/rootfs/opt/moodle-ha/php/config.php',
      'test/fixtures/probe-tree/index.php',
      'test/fixtures/plugins/moodlehaprobe/version.php',
    ]) {
      assert.ok(found.includes(f), `${f} is not checked`);
    }
    assert.ok(found.every((f) => f.endsWith('.php')));
  });
  test('a script is known by its #! line; other files and node_modules are not scripts', () => {
    put('images/x/start', '#!/usr/bin/env bash\necho hi\n');
    put('images/x/run-sh', '#!/bin/sh\necho hi\n');
    put('images/x/notes.txt', 'sh is a shell\n');
    put('images/x/tool.py', '#!/usr/bin/env python3\nprint(1)\n');
    put('test/node_modules/y/install.sh', '#!/bin/sh\n');
    assert.deepEqual(shellScripts(dir), ['images/x/run-sh', 'images/x/start']);
  });
});

describe('shellcheck', { skip: missing('shellcheck') }, () => {
  test('a clean script passes; an unquoted variable fails, naming the file and the finding', () => {
    put('ok.sh', '#!/bin/sh\necho "$1"\n');
    put('bad.sh', '#!/bin/sh\nrm -rf $1/tmp\n');
    assert.deepEqual(shellcheck(['ok.sh'], dir), { ok: true, report: '' });
    const bad = shellcheck(['ok.sh', 'bad.sh'], dir);
    assert.equal(bad.ok, false);
    assert.match(bad.report, /^bad\.sh:2:\d+: .*SC2086/m);
    assert.doesNotMatch(bad.report, /ok\.sh/);
  });
});

describe('php -l', { skip: missing('php') }, () => {
  test('valid PHP passes; a syntax error fails, naming the file and the line', () => {
    put('ok.php', '<?php\necho "hi";\n');
    put('bad.php', '<?php\necho "hi"\n$x = 1;\n');
    assert.deepEqual(phpLint(['ok.php'], dir), { ok: true, report: '' });
    const bad = phpLint(['ok.php', 'bad.php'], dir);
    assert.equal(bad.ok, false);
    assert.match(bad.report, /^bad\.php: .*syntax error.* on line 3/m);
    assert.doesNotMatch(bad.report, /ok\.php/);
  });
});
