// Lazy command loading, seen from outside: bin/moodle-ha.js is spawned with a recorder of every
// module it resolves. `--help`, a command's --help and `status` must not load aws-cdk-lib or the
// CDK app (src/aws/); a command's --help does not load its implementation either.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { tempDir } from '../../support/temp.ts';

const BIN = resolve('bin/moodle-ha.js');
const RECORDER = resolve('test/support/record-modules.mjs');
const work = tempDir('moodle-ha-lazy-');
after(() => rmSync(work, { recursive: true, force: true }));
writeFileSync(join(work, 'absent.yaml'), 'name: mhlazy-absent\n');

/** Runs the CLI; returns its exit code and the modules it resolved. No Docker engine answers, no AWS credentials. */
function loaded(args: string[]): { code: number | null; stderr: string; modules: string[] } {
  const record = join(work, `modules-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(record, '');
  const env = {
    PATH: process.env.PATH,
    HOME: work,
    NODE_OPTIONS: '',
    MOODLE_HA_RECORD_MODULES: record,
    DOCKER_HOST: `unix://${join(work, 'no-docker.sock')}`,
    MOODLE_HA_STATE: join(work, 'state'),
  };
  const r = spawnSync(process.execPath, ['--import', RECORDER, BIN, ...args], { cwd: work, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stderr: r.stderr, modules: readFileSync(record, 'utf8').split('\n').filter(Boolean) };
}

const cdk = (modules: string[]) => modules.filter((m) => m.includes('/node_modules/aws-cdk-lib/') || m.includes('/src/aws/'));

describe('what a command line loads', () => {
  test('the recorder sees the CDK where it is loaded: "deploy" (it stops at the missing credentials)', () => {
    const r = loaded(['deploy', '--image-tag', 'v1']);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(
      r.modules.some((m) => m.includes('/node_modules/aws-cdk-lib/')),
      'aws-cdk-lib resolved',
    );
  });
  for (const args of [['--help'], ['status', '--help'], ['deploy', '--help'], ['synth', '--help'], ['aws', 'restore', '--help'], ['help', 'destroy']]) {
    test(`${args.join(' ')}: no CDK, no command implementation`, () => {
      const r = loaded(args);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(cdk(r.modules), []);
      assert.deepEqual(
        r.modules.filter((m) => /\/src\/cli\/commands\/(?!index\.ts)/.test(m)),
        [],
      );
    });
  }
  test('status -f a spec whose cluster is not running: runs status, loads no CDK', () => {
    const r = loaded(['status', '-f', 'absent.yaml']);
    // 3 (not running) with a Docker engine; here none answers, so status stops there: exit 2.
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /Docker/);
    assert.ok(
      r.modules.some((m) => m.endsWith('/src/cli/commands/status.ts')),
      'the status command was loaded',
    );
    assert.deepEqual(cdk(r.modules), []);
  });
});
