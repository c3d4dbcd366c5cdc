// One healer pass (src/ops/autoscaler/heal-loop.ts) against an in-memory target: it brings back
// what is down and reports each try, waits (and says so once) while another change holds the
// lease, looks again once it holds it, and turns a failed try into an event.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { healPass, type HealState } from '../../../src/ops/autoscaler/heal-loop.ts';
import type { HealTarget, ObservedMember } from '../../../src/runtime/heal.ts';

const NOW = 1_000_000_000;

function fakeTarget(members: ObservedMember[], opts: { holder?: string; failing?: string } = {}) {
  const done: string[] = [];
  let holder = opts.holder;
  const target: HealTarget & { done: string[]; free(): void } = {
    done,
    free: () => (holder = undefined),
    desired: async () => members.map((m) => ({ name: m.name, service: m.service })),
    observe: async (m) => members.find((x) => x.name === m.name)!,
    tryLease: (what) => {
      if (holder) return undefined;
      holder = what;
      return { release: () => (holder = undefined) };
    },
    leaseHolder: () => holder,
    bringBack: async (member, action) => {
      if (member === opts.failing) throw new Error('no such image\nmore');
      done.push(`${action} ${member}`);
      return member.includes('web') ? 'ready in 3.0 s, back in the load balancer' : '';
    },
  };
  return target;
}

const running = (name: string, service: string): ObservedMember => ({ name, service, present: true, running: true, restarting: false, startedAt: NOW - 5000 });
const killed = (name: string, service: string): ObservedMember => ({
  name,
  service,
  present: true,
  running: false,
  restarting: false,
  finishedAt: NOW - 3000,
  exitCode: 137,
});
const removed = (name: string, service: string): ObservedMember => ({ name, service, present: false, running: false, restarting: false });

describe('a healer pass', () => {
  test('brings back what is down, the data tier before the web nodes, one event each; nothing to do is no event', async () => {
    const t = fakeTarget([removed('x-web-1', 'web'), killed('x-db-2', 'db'), running('x-lb', 'lb'), killed('x-cron', 'cron')]);
    const state: HealState = { memory: new Map() };
    const events = await healPass(
      t,
      state,
      () => {},
      () => NOW,
    );
    assert.deepEqual(t.done, ['start x-db-2', 'start x-cron', 'create x-web-1']);
    assert.deepEqual(
      events.map((e) => [e.member, e.action, e.reason]),
      [
        ['x-db-2', 'started', 'stopped 3.0 s ago (exit 137)'],
        ['x-cron', 'started', 'stopped 3.0 s ago (exit 137)'],
        ['x-web-1', 'created', 'absent (removed); ready in 3.0 s, back in the load balancer'],
      ],
    );
    assert.equal(t.leaseHolder(), undefined, 'the lease is released after the pass');
    assert.deepEqual([...state.memory.keys()].sort(), ['x-cron', 'x-db-2', 'x-web-1'], 'each try is remembered (for the back-off)');
    assert.deepEqual(
      await healPass(
        fakeTarget([running('x-lb', 'lb')]),
        { memory: new Map() },
        () => {},
        () => NOW,
      ),
      [],
    );
  });
  test('while a scale holds the lease it does nothing and says so once', async () => {
    const t = fakeTarget([removed('x-web-2', 'web')], { holder: 'scale to 1 web nodes' });
    const lines: string[] = [];
    const state: HealState = { memory: new Map() };
    assert.deepEqual(
      await healPass(
        t,
        state,
        (l) => lines.push(l),
        () => NOW,
      ),
      [],
    );
    assert.deepEqual(
      await healPass(
        t,
        state,
        (l) => lines.push(l),
        () => NOW,
      ),
      [],
    );
    assert.deepEqual(t.done, []);
    assert.deepEqual(lines, ['heal: waiting, "scale to 1 web nodes" is changing the cluster (x-web-2 down)']);
    t.free();
    await healPass(
      t,
      state,
      () => {},
      () => NOW,
    );
    assert.deepEqual(t.done, ['create x-web-2'], 'once the lease is free it heals');
  });
  test('a failed try is an event with the first line of why, and the pass goes on', async () => {
    const t = fakeTarget([killed('x-redis-1', 'redis'), killed('x-cache-1', 'cache')], { failing: 'x-redis-1' });
    const events = await healPass(
      t,
      { memory: new Map() },
      () => {},
      () => NOW,
    );
    assert.deepEqual(
      events.map((e) => [e.member, e.action, e.reason]),
      [
        ['x-redis-1', 'failed', 'stopped 3.0 s ago (exit 137); start failed: no such image'],
        ['x-cache-1', 'started', 'stopped 3.0 s ago (exit 137)'],
      ],
    );
  });
  test('a member the restart policy brought back after a crash is reported once per pass that saw it, with the count; the first pass only records', async () => {
    const member = (restartCount: number): ObservedMember => ({ ...running('x-web-1', 'web'), restartCount });
    const state: HealState = { memory: new Map() };
    assert.deepEqual(
      await healPass(
        fakeTarget([member(2)]),
        state,
        () => {},
        () => NOW,
      ),
      [],
      'restarts before the healer looked are not news',
    );
    assert.deepEqual(
      await healPass(
        fakeTarget([member(2)]),
        state,
        () => {},
        () => NOW,
      ),
      [],
    );
    const events = await healPass(
      fakeTarget([member(5)]),
      state,
      () => {},
      () => NOW,
    );
    assert.deepEqual(
      events.map((e) => [e.member, e.action, e.reason]),
      [['x-web-1', 'crashed', 'its process died by itself 3 times since the last look; the restart policy restarted it (5 restarts in all)']],
    );
  });
});
