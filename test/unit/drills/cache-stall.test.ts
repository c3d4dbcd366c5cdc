// cache-stall: the Redis primary is paused, then unpaused after the stall; the load balancer is
// watched meanwhile, and the bars hold the run to the issue's: never no web node UP, no node marked
// down, error-free again within 5 s of the resume. Runs against the in-memory runtime with a short
// stall (0.4 s) so the test is quick.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Measured } from '../../../src/ops/drills/bars.ts';
import { cacheStall, makeCacheStall, serving, stallBars, watchLoadBalancer } from '../../../src/ops/drills/catalog/cache-stall.ts';
import { drillNamed } from '../../../src/ops/drills/registry.ts';
import { fakeRuntime } from '../../support/fake-runtime.ts';

const clean: Measured = {
  failed: 3,
  failedIdempotent: 3,
  maintenance: 0,
  maintenanceWindowSeconds: null,
  lostSessions: 0,
  sessionsWrittenBeforeFault: 0,
  postsMissing: 0,
  recoverySeconds: 9.5,
  writesResumedSeconds: 1,
  steadyAfter: true,
  inventory: null,
  figures: { stalledSeconds: 5.1, noServerSeconds: 0, webNodesMarkedDown: 'none', lbPolls: '70 (0)' },
};
const missed = (m: Measured) =>
  stallBars(m)
    .filter((b) => !b.met)
    .map((b) => b.name);

/** A runtime whose sentinel names fake-redis-1 as the primary. */
const withPrimary = () =>
  fakeRuntime({ spec: { profile: 'ha' }, exec: (_m, argv) => ({ code: 0, output: argv.includes('get-master-addr-by-name') ? 'fake-redis-1\n6379\n' : '' }) });

describe('cache-stall bars', () => {
  test('met: failures only in the stall, every node UP throughout, error-free 4.4 s after the resume', () => {
    assert.deepEqual(missed(clean), []);
    assert.equal(stallBars(clean).find((b) => b.name === 'error-free again after the resume')!.measured, '4.4 s');
  });
  test('any time without a web node UP ("no server available") misses', () => {
    assert.deepEqual(missed({ ...clean, figures: { ...clean.figures, noServerSeconds: 0.4 } }), [
      'seconds with no web node UP (HAProxy answers "no server available")',
    ]);
  });
  test('one node marked down misses, even with another UP', () => {
    assert.deepEqual(missed({ ...clean, figures: { ...clean.figures, webNodesMarkedDown: 'x-web-2 (3.2 s)' } }), [
      'web nodes the load balancer marked down during the stall and 5 s after',
    ]);
  });
  test('error-free later than 5 s after the resume misses, and so does never', () => {
    assert.deepEqual(missed({ ...clean, recoverySeconds: 10.2 }), ['error-free again after the resume']);
    assert.deepEqual(missed({ ...clean, recoverySeconds: null }), ['error-free again after the resume']);
  });
  test('figures that were never measured miss their bars instead of passing', () => {
    assert.deepEqual(missed({ ...clean, figures: undefined }), [
      'seconds with no web node UP (HAProxy answers "no server available")',
      'web nodes the load balancer marked down during the stall and 5 s after',
      'error-free again after the resume',
    ]);
  });
  test('it is in the registry, needs ha and two web nodes', () => {
    assert.equal(drillNamed('cache-stall'), cacheStall);
    assert.equal(cacheStall.needsHa, true);
    assert.equal(cacheStall.minWebNodes, 2);
  });
  test('HAProxy serves with "UP" and "UP 1/2", not with "DOWN", "DOWN 1/2" or "MAINT"', () => {
    assert.deepEqual(['UP', 'UP 1/2', 'DOWN', 'DOWN 1/2', 'MAINT', 'NOLB'].map(serving), [true, true, false, false, false, false]);
  });
});

describe('cache-stall fault', () => {
  test('pauses the primary Sentinel names, unpauses it after the stall, and reports what the load balancer showed', async () => {
    const rt = withPrimary();
    const drill = makeCacheStall({ stallSeconds: 0.4, watchAfterResumeSeconds: 0.3 });
    const fault = await drill.prepare({ runtime: rt, log: () => {}, recordInventory: async () => {} });
    assert.equal(fault.target, 'fake-redis-1');
    const { at } = await fault.inject();
    assert.deepEqual(
      rt.calls.filter((c) => c.method !== 'exec').map((c) => `${c.method} ${c.args[0]}`),
      ['pause fake-redis-1'],
    );
    rt.lbDown.add('fake-web-2'); // the check failed on one node during the stall
    await new Promise((r) => setTimeout(r, 300));
    rt.lbDown.delete('fake-web-2');
    const f = await fault.figures();
    assert.deepEqual(
      rt.calls.filter((c) => c.method !== 'exec').map((c) => `${c.method} ${c.args[0]}`),
      ['pause fake-redis-1', 'unpause fake-redis-1'],
    );
    assert.ok(typeof f.stalledSeconds === 'number' && f.stalledSeconds >= 0.4 && f.stalledSeconds < 1, String(f.stalledSeconds));
    assert.match(String(f.webNodesMarkedDown), /^fake-web-2 \(0\.\d s\)$/);
    assert.equal(f.noServerSeconds, 0, 'fake-web-1 stayed UP');
    assert.ok(Date.now() - at >= 700, 'the load balancer is watched until after the resume');
    const r = await fault.restore();
    assert.equal(r.action, 'unpause fake-redis-1');
  });
  test('restore unpauses a primary left paused (the resume failed)', async () => {
    const rt = withPrimary();
    let failOnce = true;
    const unpause = rt.unpause;
    rt.unpause = async (m) => {
      if (failOnce) {
        failOnce = false;
        throw new Error('engine busy');
      }
      await unpause(m);
    };
    const fault = await makeCacheStall({ stallSeconds: 0.1, watchAfterResumeSeconds: 0.1 }).prepare({
      runtime: rt,
      log: () => {},
      recordInventory: async () => {},
    });
    await fault.inject();
    const r = await fault.restore();
    assert.deepEqual(r, { action: 'unpause fake-redis-1', detail: 'it was still paused' });
    assert.equal(rt.calls.filter((c) => c.method === 'unpause').length, 1, 'the second unpause, by restore, went through');
  });
  test('time with no web node UP is counted', async () => {
    const rt = withPrimary();
    for (const n of await rt.webNodes()) rt.lbDown.add(n);
    let stop = false;
    setTimeout(() => (stop = true), 600);
    const w = await watchLoadBalancer(rt, Date.now(), () => stop);
    assert.ok(w.noServerSeconds >= 0.4 && w.noServerSeconds <= 0.8, String(w.noServerSeconds));
    assert.deepEqual(Object.keys(w.notUp).sort(), ['fake-web-1', 'fake-web-2']);
  });
});
