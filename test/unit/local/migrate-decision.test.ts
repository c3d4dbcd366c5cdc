// What a new migrate run does with the migrate container it finds (src/local/migrate-decision.ts):
// a running one is attached to, never removed; only an ended one is replaced.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DOWN_WAIT_MS, downMigrateAction, JUST_CREATED_MS, migrateAction } from '../../../src/local/migrate-decision.ts';

const NOW = Date.parse('2026-11-30T17:00:00Z');
const NEVER = '0001-01-01T00:00:00Z';
const at = (msAgo: number) => new Date(NOW - msAgo).toISOString();
const container = (status: string, createdMsAgo = 600_000, startedAt = at(590_000)) => ({ status, createdAt: at(createdMsAgo), startedAt });

describe('a new migrate run and the migrate container it finds', () => {
  test('none: it makes one', () => {
    assert.deepEqual(migrateAction(undefined, NOW), { kind: 'create' });
  });

  for (const status of ['running', 'paused', 'restarting'])
    test(`${status}: it attaches and waits, with the time the running one started (never removes it)`, () => {
      assert.deepEqual(migrateAction(container(status), NOW), { kind: 'attach', startedAt: at(590_000) });
    });

  for (const status of ['exited', 'dead'])
    test(`${status}: it removes it and makes a new one`, () => {
      assert.equal(migrateAction(container(status), NOW).kind, 'replace');
    });

  test('created a moment ago and not started: another run is starting it, so it waits', () => {
    assert.equal(migrateAction(container('created', 2_000, NEVER), NOW).kind, 'wait');
  });

  test('created long ago and never started (its run died before starting it): replaced', () => {
    const a = migrateAction(container('created', JUST_CREATED_MS + 1_000, NEVER), NOW);
    assert.equal(a.kind, 'replace');
    assert.match((a as { why: string }).why, /never started/);
  });

  test('being removed: it waits, then looks again', () => {
    assert.equal(migrateAction(container('removing'), NOW).kind, 'wait');
  });
});

describe('down and a migrate container', () => {
  test('none, or one that has ended: down goes on', () => {
    assert.deepEqual(downMigrateAction(undefined, NOW, 0), { kind: 'go' });
    assert.deepEqual(downMigrateAction(container('exited'), NOW, 0), { kind: 'go' });
    assert.deepEqual(downMigrateAction(container('created', JUST_CREATED_MS + 1_000, NEVER), NOW, 0), { kind: 'go' });
  });

  test('one that runs (or is about to start): down waits, saying since when', () => {
    const a = downMigrateAction(container('running'), NOW, 60_000);
    assert.equal(a.kind, 'wait');
    assert.match((a as { why: string }).why, /^a migrate started at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC is running$/);
    assert.equal(downMigrateAction(container('created', 2_000, NEVER), NOW, 0).kind, 'wait');
  });

  test('still running after the limit: down refuses (it has removed nothing), never removes it', () => {
    const a = downMigrateAction(container('running'), NOW, DOWN_WAIT_MS);
    assert.equal(a.kind, 'refuse');
    assert.match((a as { why: string }).why, /is running, still after 15 min$/);
    assert.equal(downMigrateAction(container('running'), NOW, 10_000, 5_000).kind, 'refuse');
  });
});
