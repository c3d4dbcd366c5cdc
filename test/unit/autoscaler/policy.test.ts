// The local autoscaler's decision: target tracking on requests and CPU, cooldowns, gradual
// scale-in, scheduled min/max, and the edge cases (no nodes, no traffic, bad figures, nodes down).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decide, type DecideInput } from '../../../src/ops/autoscaler/policy.ts';
import { validateSpec } from '../../../src/spec/read.ts';

const NOW = new Date('2026-03-05T12:00:00Z');
const ago = (s: number): Date => new Date(NOW.getTime() - s * 1000);
const scaling = (extra: Record<string, unknown> = {}) =>
  validateSpec({ scaling: { min: 2, max: 6, targetRequestsPerNode: 20, targetCpuPercent: 60, scaleOutCooldown: '30s', scaleInCooldown: '120s', ...extra } })
    .scaling;
const BASE = scaling();
const input = (over: Partial<DecideInput> = {}): DecideInput => ({ nodes: 2, healthy: 2, requestRate: 0, scaling: BASE, now: NOW, ...over });

describe('scale out', () => {
  test('requests above target scale out at once to what they need', () => {
    const d = decide(input({ requestRate: 62 }));
    assert.equal(d.action, 'out');
    assert.equal(d.desired, 4);
    assert.match(d.reason, /^62\.0 req\/s over 2 nodes > target 20\/node → 4: scale out 2 → 4$/);
    assert.deepEqual(d.bounds, { min: 2, max: 6 });
    assert.equal(d.window, undefined);
  });
  test('within the scale-out cooldown it holds and says how long is left', () => {
    const d = decide(input({ requestRate: 62, lastScaleOut: ago(10), lastScaling: ago(10) }));
    assert.equal(d.action, 'hold');
    assert.equal(d.desired, 2);
    assert.match(d.reason, /scale-out cooldown 20s left/);
  });
  test('once the scale-out cooldown is over it scales out again', () => {
    const d = decide(input({ requestRate: 62, lastScaleOut: ago(30), lastScaling: ago(30) }));
    assert.equal(d.action, 'out');
    assert.equal(d.desired, 4);
  });
  test('a recent scale-in does not delay a scale-out', () => {
    assert.equal(decide(input({ requestRate: 62, lastScaling: ago(1) })).action, 'out');
  });
  test('the maximum caps a scale-out and the reason says so', () => {
    const d = decide(input({ requestRate: 1000 }));
    assert.equal(d.desired, 6);
    assert.match(d.reason, /→ 50, held to base max 6: scale out 2 → 6/);
  });
  test('CPU above target dominates low request counts', () => {
    const d = decide(input({ requestRate: 10, cpuPercent: 90 }));
    assert.equal(d.action, 'out');
    assert.equal(d.desired, 3); // ceil(2 × 90 / 60)
    assert.match(d.reason, /10\.0 req\/s over 2 nodes < target 20\/node → 1; CPU 90% > target 60% → 3 \(CPU dominates\)/);
  });
  test('requests dominate when they ask for more than CPU', () => {
    const d = decide(input({ requestRate: 100, cpuPercent: 30 }));
    assert.equal(d.desired, 5);
    assert.doesNotMatch(d.reason, /dominates/);
  });
  test('unhealthy nodes still count as capacity, and are named in the reason', () => {
    const d = decide(input({ nodes: 3, healthy: 1, requestRate: 62 }));
    assert.equal(d.action, 'out');
    assert.equal(d.desired, 4);
    assert.match(d.reason, /62\.0 req\/s over 3 nodes .*\(1 of 3 nodes UP\)$/);
  });
});

describe('scale in', () => {
  test('one node at a time, towards what the load needs', () => {
    const d = decide(input({ nodes: 5, healthy: 5, requestRate: 10 }));
    assert.equal(d.action, 'in');
    assert.equal(d.desired, 4);
    assert.match(d.reason, /scale in 5 → 4, one node at a time towards 2/);
  });
  test('the last step says nothing about more to come', () => {
    const d = decide(input({ nodes: 3, healthy: 3, requestRate: 30 }));
    assert.equal(d.desired, 2);
    assert.match(d.reason, /scale in 3 → 2$/);
  });
  test('any scaling within the scale-in cooldown holds it', () => {
    const d = decide(input({ nodes: 5, healthy: 5, requestRate: 10, lastScaling: ago(60) }));
    assert.equal(d.action, 'hold');
    assert.equal(d.desired, 5);
    assert.match(d.reason, /scale-in cooldown 60s left/);
  });
  test('after the scale-in cooldown the next node goes', () => {
    const d = decide(input({ nodes: 4, healthy: 4, requestRate: 10, lastScaling: ago(120), lastScaleOut: ago(600) }));
    assert.deepEqual([d.action, d.desired], ['in', 3]);
  });
  test('never below min: no traffic at min holds', () => {
    const d = decide(input({ requestRate: 0 }));
    assert.deepEqual([d.action, d.desired], ['hold', 2]);
    assert.match(d.reason, /0\.0 req\/s over 2 nodes < target 20\/node → 0, held to base min 2: hold at 2$/);
  });
  test('load exactly on target holds', () => {
    const d = decide(input({ nodes: 2, requestRate: 40 }));
    assert.deepEqual([d.action, d.desired], ['hold', 2]);
    assert.match(d.reason, /40\.0 req\/s over 2 nodes = target 20\/node → 2: hold at 2/);
  });
  test('no scale-in while no node is UP: zero traffic then says nothing about demand', () => {
    const d = decide(input({ nodes: 4, healthy: 0, requestRate: 0 }));
    assert.deepEqual([d.action, d.desired], ['hold', 4]);
    assert.match(d.reason, /no node is UP/);
    assert.match(d.reason, /0 of 4 nodes UP/);
  });
  test('a last scaling time in the future (clock skew) counts as a full cooldown', () => {
    const d = decide(input({ nodes: 4, healthy: 4, lastScaling: new Date(NOW.getTime() + 3_600_000) }));
    assert.match(d.reason, /scale-in cooldown 120s left/);
  });
});

describe('min and max are corrected at once, whatever the cooldowns', () => {
  test('below min: scale out to min even just after a scale-out', () => {
    const d = decide(input({ nodes: 1, healthy: 1, lastScaleOut: ago(1), lastScaling: ago(1) }));
    assert.deepEqual([d.action, d.desired], ['out', 2]);
    assert.match(d.reason, /1 below base min 2, scale out 1 → 2 now/);
  });
  test('above max: scale in to max in one step even just after a scaling', () => {
    const d = decide(input({ nodes: 9, healthy: 9, requestRate: 0, lastScaling: ago(1) }));
    assert.deepEqual([d.action, d.desired], ['in', 6]);
    assert.match(d.reason, /9 above base max 6, scale in 9 → 6 now/);
  });
  const exam = { name: 'exam-week', from: '2026-03-02T06:00:00Z', until: '2026-03-07T00:00:00Z', min: 8, max: 12 };
  test('a window raising min forces a scale-out despite the cooldown', () => {
    const d = decide(input({ scaling: scaling({ schedule: [exam] }), lastScaleOut: ago(5), lastScaling: ago(5), requestRate: 300 }));
    assert.deepEqual([d.action, d.desired, d.window], ['out', 8, 'exam-week']);
    assert.deepEqual(d.bounds, { min: 8, max: 12, window: 'exam-week' });
    assert.match(d.reason, /2 below window exam-week min 8, scale out 2 → 8 now \(more after the scale-out cooldown, 25s left\)/);
  });
  test('outside the cooldown a window raising min goes straight to what the load needs', () => {
    const d = decide(input({ scaling: scaling({ schedule: [exam] }), requestRate: 200 }));
    assert.deepEqual([d.action, d.desired], ['out', 10]);
  });
  test('a window lowering max scales in at once, more than one node', () => {
    const night = { name: 'night', cron: { start: '0 22 * * *', end: '0 6 * * *' }, min: 1, max: 2 };
    const d = decide(
      input({ nodes: 5, healthy: 5, requestRate: 500, scaling: scaling({ schedule: [night] }), now: new Date('2026-03-05T23:00:00Z'), lastScaling: ago(1) }),
    );
    assert.deepEqual([d.action, d.desired, d.window], ['in', 2, 'night']);
  });
  test('a window lowering min lets the tier shrink below the base min, one node at a time', () => {
    const night = { name: 'night', cron: { start: '0 22 * * *', end: '0 6 * * *' }, min: 1, max: 2 };
    const d = decide(input({ requestRate: 0, scaling: scaling({ schedule: [night] }), now: new Date('2026-03-05T23:00:00Z') }));
    assert.deepEqual([d.action, d.desired], ['in', 1]);
    assert.match(d.reason, /held to window night min 1: scale in 2 → 1/);
  });
});

describe('edge cases', () => {
  test('zero nodes: scale out to min at once', () => {
    const d = decide(input({ nodes: 0, healthy: 0, requestRate: 0, lastScaleOut: ago(1) }));
    assert.deepEqual([d.action, d.desired], ['out', 2]);
    assert.match(d.reason, /^0\.0 req\/s with no nodes, target 20\/node → 0, held to base min 2: 0 below base min 2/);
  });
  test('zero nodes with traffic waiting: straight to what it needs', () => {
    assert.equal(decide(input({ nodes: 0, healthy: 0, requestRate: 70 })).desired, 4);
  });
  for (const bad of [NaN, -5, Infinity]) {
    test(`a request rate of ${bad} is taken as 0 and the reason says so`, () => {
      const d = decide(input({ nodes: 4, healthy: 4, requestRate: bad }));
      assert.deepEqual([d.action, d.desired], ['in', 3]);
      assert.match(d.reason, new RegExp(`request rate ${bad} is not a usable figure, taken as 0`));
    });
  }
  test('a CPU figure of NaN is ignored and the reason says so', () => {
    const d = decide(input({ requestRate: 62, cpuPercent: NaN }));
    assert.equal(d.desired, 4);
    assert.match(d.reason, /CPU NaN% is not a usable figure, ignored/);
    assert.doesNotMatch(d.reason, /target 60%/);
  });
  test('a healthy count above the node count is capped', () => {
    assert.doesNotMatch(decide(input({ healthy: 5 })).reason, /UP/);
  });
  test('float noise does not add a node: 4.9 req/s at 0.7/node is 7, not 8', () => {
    assert.ok(Math.ceil(4.9 / 0.7) === 8, 'the float noise this test is about');
    const d = decide(input({ nodes: 7, healthy: 7, requestRate: 4.9, scaling: scaling({ targetRequestsPerNode: 0.7, max: 20 }) }));
    assert.deepEqual([d.action, d.desired], ['hold', 7]);
  });
  test('the decision is pure: the same input gives the same decision', () => {
    const i = input({ requestRate: 62, cpuPercent: 50, lastScaleOut: ago(100) });
    assert.deepEqual(decide(i), decide(i));
  });
  test('an overridden window is mentioned', () => {
    const exam = { name: 'exam-week', from: '2026-03-02T06:00:00Z', until: '2026-03-07T00:00:00Z', min: 4 };
    const night = { name: 'night', cron: { start: '0 22 * * *', end: '0 6 * * *' }, min: 1, max: 2 };
    const d = decide(input({ scaling: scaling({ schedule: [exam, night] }) }));
    assert.equal(d.window, undefined);
    assert.match(d.reason, /window exam-week open but overridden by a later scheduled action/);
  });
});
