// The migrate runs' logs kept in the cluster's state folder (src/local/migrate-log.ts): the last
// five, 0600, the newest is the last run, a run written twice (starter and attacher) is one run.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  KEEP,
  keepMigrateRun,
  keptRun,
  keysToPrune,
  lastMigrateRun,
  migrateLogDir,
  removeStateKeepingMigrateLogs,
  runKey,
} from '../../../src/local/migrate-log.ts';
import { clusterStateDir } from '../../../src/util/paths.ts';
import { tempDir } from '../../support/temp.ts';

const run = (i: number) => ({
  startedAt: `2026-11-30T17:0${i}:00.123456789Z`,
  finishedAt: `2026-11-30T17:0${i}:30.000000000Z`,
  result: 'unchanged',
  exitCode: 0,
  log: `migrate[  0.0s]: run ${i}\nmigrate[  1.0s]: MIGRATE-RESULT unchanged\n`,
});

describe('kept migrate logs', () => {
  test('keys sort by start time; the oldest beyond the newest KEEP are pruned', () => {
    const keys = [3, 1, 7, 5, 2, 6, 4].map((i) => runKey(run(i).startedAt, `c${i}abcdef0123456789`));
    assert.deepEqual(keysToPrune(keys, 5), [keys[1], keys[4]]);
    assert.deepEqual(keysToPrune(keys.slice(0, 3), 5), []);
    assert.match(keys[0]!, /^2026-11-30T17-03-00-123456789Z_c3abcdef0123$/);
  });

  test('the last five runs stay, each log and record 0600 in a 0700 folder; the last one is the newest', () => {
    const root = tempDir('mh-migrate-log-');
    for (let i = 1; i <= 7; i++) keepMigrateRun('c', runKey(run(i).startedAt, `id${i}`), run(i), root);
    const dir = migrateLogDir('c', root);
    const files = readdirSync(dir).sort();
    assert.equal(files.length, KEEP * 2, files.join(', '));
    assert.ok(!files.some((f) => f.includes('17-01-') || f.includes('17-02-')), `the two oldest are gone: ${files.join(', ')}`);
    for (const f of files) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const last = lastMigrateRun('c', root);
    assert.equal(last?.startedAt, run(7).startedAt);
    assert.equal(last?.log, run(7).log);
    assert.equal(keptRun('c', runKey(run(6).startedAt, 'id6'), root)?.log, run(6).log);
  });

  test('a run kept twice (by its starter and by a run that waited for it) is kept once', () => {
    const root = tempDir('mh-migrate-log-');
    const key = runKey(run(1).startedAt, 'same');
    keepMigrateRun('c', key, run(1), root);
    keepMigrateRun('c', key, run(1), root);
    assert.equal(readdirSync(migrateLogDir('c', root)).length, 2);
  });

  test('a torn record is skipped: the last whole run is the last run', () => {
    const root = tempDir('mh-migrate-log-');
    keepMigrateRun('c', runKey(run(1).startedAt, 'a'), run(1), root);
    writeFileSync(join(migrateLogDir('c', root), `${runKey(run(2).startedAt, 'b')}.json`), '{"startedAt": "2026');
    assert.equal(lastMigrateRun('c', root)?.startedAt, run(1).startedAt);
  });

  test('no run kept: none', () => {
    assert.equal(lastMigrateRun('none', tempDir('mh-migrate-log-')), undefined);
  });
});

describe('a rolled-back first install', () => {
  test('its secrets and records go, its migrate logs stay (the error points to "migrate log")', () => {
    const root = tempDir('mh-migrate-log-');
    const state = clusterStateDir('c', root);
    mkdirSync(join(state, 'secrets'), { recursive: true });
    writeFileSync(join(state, 'secrets', 'db-password'), 'x');
    writeFileSync(join(state, 'runtime-images.json'), '{}');
    keepMigrateRun('c', runKey(run(1).startedAt, 'a'), run(1), root);
    removeStateKeepingMigrateLogs('c', root);
    assert.deepEqual(readdirSync(state), ['migrate-logs']);
    assert.equal(lastMigrateRun('c', root)?.log, run(1).log);
  });

  test('with no log kept, the whole folder goes', () => {
    const root = tempDir('mh-migrate-log-');
    mkdirSync(join(clusterStateDir('c', root), 'secrets'), { recursive: true });
    removeStateKeepingMigrateLogs('c', root);
    assert.equal(existsSync(clusterStateDir('c', root)), false);
  });
});
