// The healer's decision (src/ops/autoscaler/reconcile.ts): what it starts, re-creates, leaves to
// Docker, waits for (grace after a stop, back-off after a member died again), and what it forgets.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  backoffMs,
  CRASH_LOOP_RESTARTS,
  HEAL_BACKOFF_MAX_MS,
  HEAL_GRACE_MS,
  HEAL_STABLE_MS,
  reconcile,
  remember,
  type ObservedMember,
} from '../../../src/ops/autoscaler/reconcile.ts';

const NOW = 1_000_000_000;
const up = (name: string, service = 'web', startedAt = NOW - 5000): ObservedMember => ({
  name,
  service,
  present: true,
  running: true,
  restarting: false,
  startedAt,
});
const stopped = (name: string, agoMs: number, exitCode = 137, service = 'web'): ObservedMember => ({
  name,
  service,
  present: true,
  running: false,
  restarting: false,
  finishedAt: NOW - agoMs,
  exitCode,
});
const absent = (name: string, service = 'web'): ObservedMember => ({ name, service, present: false, running: false, restarting: false });

describe('reconcile: what the healer does for each member', () => {
  test('running, paused (Docker says running) or restarting by its policy: nothing', () => {
    const r = reconcile([up('w1'), { ...up('db-1', 'db'), running: false, restarting: true }], new Map(), NOW);
    assert.deepEqual(r, { actions: [], waiting: [] });
  });
  test('restarting by its policy after fewer than CRASH_LOOP_RESTARTS restarts: left to the policy', () => {
    const m = { ...up('w1'), restarting: true, restartCount: CRASH_LOOP_RESTARTS - 1, exitCode: 1 };
    assert.deepEqual(reconcile([m], new Map(), NOW), { actions: [], waiting: [] });
  });
  test('restarting again after CRASH_LOOP_RESTARTS restarts (a crash loop): replaced by a fresh container, saying why', () => {
    const m = { ...up('w1'), restarting: true, restartCount: CRASH_LOOP_RESTARTS, exitCode: 1 };
    assert.deepEqual(reconcile([m], new Map(), NOW).actions, [
      { member: 'w1', service: 'web', action: 'replace', reason: 'in a crash loop (its process died again after 3 restarts by the restart policy, exit 1)' },
    ]);
    // Running between two of its crashes: the policy's turn; and a replacement that loops again waits out the back-off.
    assert.deepEqual(reconcile([{ ...m, restarting: false }], new Map(), NOW).actions, []);
    const tried = new Map([['w1', { count: 1, lastAt: NOW - 1000 }]]);
    assert.deepEqual(reconcile([m], tried, NOW).actions, []);
    assert.match(reconcile([m], tried, NOW).waiting[0]!.reason, /^in a crash loop .*; it died again after 1 try, next in 9\.0 s$/);
    assert.equal(reconcile([m], tried, NOW + 9000).actions[0]?.action, 'replace');
  });
  test('stopped longer than the grace: started, saying how long ago and its exit code', () => {
    const r = reconcile([stopped('w2', 4200)], new Map(), NOW);
    assert.deepEqual(r.actions, [{ member: 'w2', service: 'web', action: 'start', reason: 'stopped 4.2 s ago (exit 137)' }]);
  });
  test('stopped within the grace (a docker restart under way): left alone, said why', () => {
    const r = reconcile([stopped('lb', HEAL_GRACE_MS - 500, 0, 'lb')], new Map(), NOW);
    assert.deepEqual(r.actions, []);
    assert.match(r.waiting[0]!.reason, /stopped 1\.5 s ago: a restart may be under way/);
  });
  test("a member's own grace wins over the default (a Redis node: Sentinel fails over first)", () => {
    const redis = { ...stopped('r1', 4000, 137, 'redis'), graceMs: 5000 };
    assert.deepEqual(reconcile([redis], new Map(), NOW).actions, []);
    assert.match(reconcile([redis], new Map(), NOW).waiting[0]!.reason, /grace 5\.0 s/);
    assert.equal(reconcile([redis], new Map(), NOW + 1000).actions.length, 1);
  });
  test('removed: created again at once', () => {
    assert.deepEqual(reconcile([absent('cron', 'cron')], new Map(), NOW).actions, [
      { member: 'cron', service: 'cron', action: 'create', reason: 'absent (removed)' },
    ]);
  });
  test('a member that died again after a try waits out a back-off that doubles, up to 5 min', () => {
    const memory = new Map([['w2', { count: 1, lastAt: NOW - 4000 }]]);
    const r = reconcile([stopped('w2', 3000)], memory, NOW);
    assert.deepEqual(r.actions, []);
    assert.match(r.waiting[0]!.reason, /died again after 1 try, next in 6\.0 s/);
    const later = reconcile([stopped('w2', 3000)], memory, NOW + 6000);
    assert.match(later.actions[0]!.reason, /try 2 \(it died again after the last\)/);
    assert.deepEqual([1, 2, 3, 4, 10].map(backoffMs), [10_000, 20_000, 40_000, 80_000, HEAL_BACKOFF_MAX_MS]);
  });
});

describe('remember: the tries the healer keeps', () => {
  test('each action is a try; a member up for a minute is forgotten, one up for less is not', () => {
    let m = remember(new Map(), [], ['w1', 'w2'], NOW);
    m = remember(m, [], ['w2'], NOW + 1);
    assert.deepEqual(
      [...m.entries()],
      [
        ['w1', { count: 1, lastAt: NOW }],
        ['w2', { count: 2, lastAt: NOW + 1 }],
      ],
    );
    const after = remember(m, [up('w1', 'web', NOW - HEAL_STABLE_MS), up('w2', 'web', NOW - 1000)], [], NOW);
    assert.deepEqual([...after.keys()], ['w2']);
  });
});
