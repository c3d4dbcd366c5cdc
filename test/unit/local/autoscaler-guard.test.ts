// One autoscaler per cluster (src/local/autoscaler-guard.ts): the foreground pid file's edge cases.
// The conflict decisions themselves are tested in test/unit/autoscaler/detached.test.ts.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { autoscalerConflict, claimForeground, foregroundPid } from '../../../src/local/autoscaler-guard.ts';
import { clusterStateDir } from '../../../src/util/paths.ts';
import { freshStateRoot } from './fixtures.ts';

const pidFile = (cluster: string) => join(clusterStateDir(cluster), 'autoscaler.pid');

describe('the foreground pid file', () => {
  test('what is not a live pid does not block anyone', () => {
    freshStateRoot('guard');
    claimForeground('c1')();
    for (const text of ['', 'abc', '0', '-5', '12.5', '1e3x']) {
      writeFileSync(pidFile('c1'), `${text}\n`);
      assert.equal(foregroundPid('c1'), undefined, JSON.stringify(text));
      assert.equal(autoscalerConflict('c1', 'detached', { detached: 'absent' }), undefined);
    }
  });
  test('a live pid counts, also one this user may not signal (pid 1: EPERM unless root)', () => {
    freshStateRoot('guard');
    claimForeground('c1')();
    writeFileSync(pidFile('c1'), '1\n');
    assert.equal(foregroundPid('c1'), 1);
  });
  test('claiming writes this pid, private; releasing removes it', () => {
    freshStateRoot('guard');
    const release = claimForeground('c1');
    assert.equal(readFileSync(pidFile('c1'), 'utf8'), `${process.pid}\n`);
    assert.equal(statSync(pidFile('c1')).mode & 0o777, 0o600);
    release();
    assert.throws(() => statSync(pidFile('c1')), /ENOENT/);
  });
  test("releasing leaves another autoscaler's claim alone", () => {
    freshStateRoot('guard');
    const release = claimForeground('c1');
    writeFileSync(pidFile('c1'), '1\n');
    release();
    assert.equal(readFileSync(pidFile('c1'), 'utf8'), '1\n');
  });
  test('each cluster has its own', () => {
    freshStateRoot('guard');
    claimForeground('c1');
    writeFileSync(pidFile('c1'), '1\n');
    assert.equal(foregroundPid('c1'), 1);
    assert.equal(foregroundPid('c2'), undefined);
  });
});
