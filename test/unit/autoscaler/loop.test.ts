// The autoscaler's loop against an in-memory runtime on a fake clock: what it reads (the load
// balancer's request totals, CPU), what it decides over time (cooldowns, one node per scale-in),
// what it does (scale calls, events recorded by the runtime) and how it stops.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runAutoscaler } from '../../../src/ops/autoscaler/loop.ts';
import { fakeClock, fakeRuntime } from '../../support/fake-runtime.ts';

const SCALING = { min: 1, max: 6, targetRequestsPerNode: 10, targetCpuPercent: 60, scaleOutCooldown: '30s', scaleInCooldown: '60s' };
const INTERVAL_MS = 5000;

function setup(webNodes: number) {
  const clock = fakeClock();
  const runtime = fakeRuntime({ spec: { web: { nodes: webNodes }, scaling: SCALING }, webNodes, now: clock.now });
  const scaled = () => runtime.calls.filter((c) => c.method === 'scale').map((c) => c.args[0]);
  return { clock, runtime, scaled };
}

describe('autoscaler loop', () => {
  test('requests above target: one scale-out to what they need, recorded; then it holds', async () => {
    const { clock, runtime, scaled } = setup(1);
    runtime.requestRate = 35;
    const ticks: string[] = [];
    const seen: number[] = [];
    const events = await runAutoscaler(runtime, {
      intervalMs: INTERVAL_MS,
      durationMs: 60_000,
      clock,
      onTick: (l) => ticks.push(l),
      onEvent: (e) => seen.push(e.to),
    });
    assert.deepEqual(scaled(), [4]);
    assert.deepEqual(
      events.map((e) => [e.from, e.to]),
      [[1, 4]],
    );
    assert.deepEqual(seen, [4]);
    assert.deepEqual(
      runtime.events.map((e) => (e.by === 'healer' ? [e.member] : [e.from, e.to, e.by])),
      [[1, 4, 'autoscaler']],
    );
    assert.match(runtime.events[0]!.reason, /35\.0 req\/s over 1 node > target 10\/node → 4/);
    assert.match(ticks[0]!, /nodes 1 \(1 up\) {2}35\.0 req\/s {2}cpu \?% {2}→ out to 4/);
    assert.equal(ticks.length, 12, 'one decision per interval');
    assert.ok(
      ticks.slice(1).every((t) => /→ hold/.test(t)),
      ticks.join('\n'),
    );
  });

  test('a scale-out that finds the tier already at its size (the healer brought the node back first, under the lease): no event, no webhook, no cooldown', async () => {
    const { clock, runtime, scaled } = setup(1);
    // The decision sees no node; by the time the scale holds the lease, the healer has made one.
    const webNodes = runtime.webNodes.bind(runtime);
    let first = true;
    runtime.webNodes = async () => {
      if (!first) return webNodes();
      first = false;
      return [];
    };
    const ticks: string[] = [];
    const events = await runAutoscaler(runtime, { intervalMs: INTERVAL_MS, durationMs: 10_000, clock, onTick: (l) => ticks.push(l) });
    assert.deepEqual(scaled(), [1]);
    assert.deepEqual(events, []);
    assert.deepEqual(runtime.events, []);
    assert.match(ticks.join('\n'), /nodes 0 .*→ out to 1.*\nnothing to do: the web tier already has 1 node \(changed meanwhile/);
  });

  test('idle: back to min one node at a time, the scale-in cooldown apart', async () => {
    const { clock, runtime, scaled } = setup(3);
    const events = await runAutoscaler(runtime, { intervalMs: INTERVAL_MS, durationMs: 200_000, clock });
    assert.deepEqual(scaled(), [2, 1]);
    const [first, second] = events;
    assert.ok(first && second);
    assert.ok(second.at.getTime() - first.at.getTime() >= 60_000, `scale-ins ${(second.at.getTime() - first.at.getTime()) / 1000} s apart`);
    assert.equal((await runtime.webNodes()).length, 1);
  });

  test('CPU above target scales out while requests are low', async () => {
    const { clock, runtime, scaled } = setup(2);
    runtime.cpuPercent = 90;
    runtime.requestRate = 1;
    await runAutoscaler(runtime, { intervalMs: INTERVAL_MS, durationMs: INTERVAL_MS, clock });
    assert.deepEqual(scaled(), [3]);
  });

  test('nodes the load balancer has down are not scaled in', async () => {
    const { clock, runtime, scaled } = setup(2);
    runtime.lbDown.add('fake-web-1').add('fake-web-2');
    await runAutoscaler(runtime, { intervalMs: INTERVAL_MS, durationMs: 30_000, clock });
    assert.deepEqual(scaled(), []);
  });

  test("unreadable counters end the run with the runtime's reason", async () => {
    const { clock, runtime, scaled } = setup(1);
    runtime.lbProblem = 'load balancer not running';
    await assert.rejects(
      runAutoscaler(runtime, { intervalMs: INTERVAL_MS, durationMs: 30_000, clock }),
      /cannot read the load balancer's counters: load balancer not running/,
    );
    assert.deepEqual(scaled(), []);
  });

  test('the signal ends the loop after the step in progress, with the events so far', async () => {
    const { clock, runtime, scaled } = setup(1);
    runtime.requestRate = 35;
    const stop = new AbortController();
    const events = await runAutoscaler(runtime, { intervalMs: INTERVAL_MS, clock, signal: stop.signal, onEvent: () => stop.abort() });
    assert.equal(events.length, 1);
    assert.deepEqual(scaled(), [4]);
  });
});
