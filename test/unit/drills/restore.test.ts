// Restore always runs: after the load run, after an error in the load or in the fault, and after an
// interruption (the signal SIGINT/SIGTERM abort in the CLI). The real drill modules run against a
// ClusterRuntime held in memory; each test asserts the cluster was put back.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configChange } from '../../../src/ops/drills/catalog/config-change.ts';
import { fullRestart } from '../../../src/ops/drills/catalog/full-restart.ts';
import { lbRestart } from '../../../src/ops/drills/catalog/lb-restart.ts';
import { scaleIn } from '../../../src/ops/drills/catalog/scale-in.ts';
import { webLoss } from '../../../src/ops/drills/catalog/web-loss.ts';
import type { Drill } from '../../../src/ops/drills/drill.ts';
import { DrillStopped, runFaultUnderLoad } from '../../../src/ops/drills/under-load.ts';
import { isUserError } from '../../../src/util/errors.ts';
import { MemoryRuntime } from './memory-runtime.ts';

/** Polls until `cond` holds (every 5 ms, at most 2 s). */
async function until(cond: () => boolean, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > 2000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const injected = (rt: MemoryRuntime) => () => rt.calls.some((c) => /^(kill|scale|restart|down)/.test(c));

/** A load that runs until stopped and says whether it saw the stop signal. */
function loadUntilStopped() {
  const seen = { stopped: false };
  const run = (signal: AbortSignal) =>
    new Promise<{ stoppedBy: string }>((resolve) => {
      const done = () => {
        seen.stopped = true;
        resolve({ stoppedBy: 'signal' });
      };
      if (signal.aborted) done();
      else signal.addEventListener('abort', done, { once: true });
    });
  return { seen, run };
}

/** A load whose generator crashes once the fault is in. */
const loadThatThrowsAfterInjection = (rt: MemoryRuntime) => async (): Promise<never> => {
  await until(injected(rt), 'the fault');
  throw new Error('load generator crashed');
};

function run(rt: MemoryRuntime, drill: Drill<string, string>, runLoad: (s: AbortSignal) => Promise<unknown>, signal?: AbortSignal, afterFaultSeconds = 60) {
  const log: string[] = [];
  const p = runFaultUnderLoad({
    drill,
    ctx: { runtime: rt, log: (l) => log.push(l), recordInventory: async () => {} },
    faultAtSeconds: 0.01,
    afterFaultSeconds,
    runLoad,
    signal,
  });
  return { p, log };
}

/** An AbortController whose abort fires once the fault is in (as Ctrl-C would, mid-drill). */
function interruptAfterInjection(rt: MemoryRuntime): AbortController {
  const interrupt = new AbortController();
  void until(injected(rt), 'the fault').then(() => interrupt.abort());
  return interrupt;
}

describe('web-loss: the killed web node is started again', () => {
  test('when the load run throws after the kill', async () => {
    const rt = new MemoryRuntime(2);
    const { p, log } = run(rt, webLoss, loadThatThrowsAfterInjection(rt));
    await assert.rejects(p, (e: Error) => {
      assert.ok(!isUserError(e), 'a crash of the load generator is a bug: reported with its stack');
      assert.match(
        e.message,
        /drill web-loss stopped by an error: load generator crashed; restored after an error: start mem-web-2 \(started; \/readyz 200; [\d.]+ s\)/,
      );
      assert.match(e.stack!, /caused by: Error: load generator crashed/);
      return true;
    });
    assert.deepEqual(rt.calls, ['kill mem-web-2', 'start mem-web-2']);
    assert.deepEqual(await rt.webNodes(), ['mem-web-1', 'mem-web-2']);
    assert.ok(
      log.some((l) => /restored after an error: start mem-web-2/.test(l)),
      log.join('\n'),
    );
  });

  test('when the drill is interrupted after the kill: the load stops, the node is started, the error says so', async () => {
    const rt = new MemoryRuntime(2);
    const load = loadUntilStopped();
    const { p } = run(rt, webLoss, load.run, interruptAfterInjection(rt).signal);
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof DrillStopped, String(e));
      assert.equal(e.reason, 'interrupted');
      assert.equal(e.restore?.reason, 'interrupted');
      assert.equal(e.restore?.action, 'start mem-web-2');
      assert.match(e.message, /^drill web-loss was interrupted; restored after an interruption: start mem-web-2/);
      return true;
    });
    assert.ok(load.seen.stopped, 'the load was stopped');
    assert.equal(rt.running.get('mem-web-2'), true);
  });

  test('a restore that fails is reported, not hidden', async () => {
    const rt = new MemoryRuntime(2);
    rt.start = async () => {
      throw new Error('engine gone');
    };
    const { p } = run(rt, webLoss, loadUntilStopped().run, interruptAfterInjection(rt).signal);
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof DrillStopped);
      assert.equal(e.restore?.failed, true);
      assert.match(e.message, /the restore after an interruption FAILED \(engine gone\): mem-web-2 may still be broken; check it with "moodle-ha status"/);
      return true;
    });
  });

  test('a run that ends by itself restores too, and returns the figures by key', async () => {
    const rt = new MemoryRuntime(2);
    const r = await run(rt, webLoss, async () => {
      await until(injected(rt), 'the fault');
      return { stoppedBy: 'duration' };
    }).p;
    assert.equal(r.restore.reason, 'run ended');
    assert.equal(r.restore.failed, false);
    assert.equal(r.fault.target, 'mem-web-2');
    assert.equal(rt.running.get('mem-web-2'), true);
    assert.equal(typeof (await r.fault.figures()).lbMarkedDownSeconds, 'number');
  });
});

describe('the load after the fault', () => {
  test('a fault that came late (its prepare took 1.1 s) still has afterFaultSeconds of load after it, and the log says it was late', async () => {
    const rt = new MemoryRuntime(2);
    const slow: Drill<string, string> = {
      ...webLoss,
      prepare: async (ctx) => {
        await new Promise((r) => setTimeout(r, 1100));
        return webLoss.prepare(ctx);
      },
    };
    let injectedAt = 0;
    const { p, log } = run(
      rt,
      slow,
      async (signal) => {
        while (!injected(rt)()) await new Promise((r) => setTimeout(r, 5));
        injectedAt = Date.now();
        await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
        return { stoppedBy: 'signal', ranAfterFaultMs: Date.now() - injectedAt };
      },
      undefined,
      0.4,
    );
    const r = await p;
    const after = (r.load as { ranAfterFaultMs: number }).ranAfterFaultMs;
    assert.ok(after >= 390, `the load stopped ${after} ms after the fault; 400 wanted`);
    assert.ok(
      log.some((l) => /fault: .* s after its time \(choosing it took that long\)/.test(l)),
      log.join('\n'),
    );
    assert.equal(r.restore.reason, 'run ended');
  });
});

describe('scale-in: the tier is scaled back', () => {
  test('when the load run throws after the scale-in', async () => {
    const rt = new MemoryRuntime(2);
    await assert.rejects(run(rt, scaleIn, loadThatThrowsAfterInjection(rt)).p, /restored after an error: scale back to 2 nodes \(mem-web-2 added/);
    assert.deepEqual(rt.calls, ['scale 1', 'scale 2']);
    assert.equal((await rt.webNodes()).length, 2);
  });

  test('when the drill is interrupted while the load runs on after the scale-in', async () => {
    const rt = new MemoryRuntime(2);
    const { p } = run(rt, scaleIn, loadUntilStopped().run, interruptAfterInjection(rt).signal);
    await assert.rejects(p, (e: unknown) => e instanceof DrillStopped && e.restore?.action === 'scale back to 2 nodes');
    assert.equal((await rt.webNodes()).length, 2);
  });

  test('when the scale-in itself fails half-way', async () => {
    const rt = new MemoryRuntime(3);
    rt.scaleFailsWith = new Error('drain timed out');
    await assert.rejects(run(rt, scaleIn, loadUntilStopped().run).p, /stopped by an error: drain timed out; restored after an error: scale back to 3 nodes/);
    assert.deepEqual(await rt.webNodes(), ['mem-web-1', 'mem-web-2', 'mem-web-3']);
  });
});

describe('other drills and moments', () => {
  test('interrupted before the fault time: nothing was broken, nothing is restored', async () => {
    const rt = new MemoryRuntime(2);
    const interrupt = new AbortController();
    interrupt.abort();
    await assert.rejects(
      run(rt, webLoss, loadUntilStopped().run, interrupt.signal).p,
      (e: unknown) => e instanceof DrillStopped && e.restore === undefined && /nothing had been broken yet/.test(e.message),
    );
    assert.deepEqual(rt.calls, []);
  });

  test('full-restart: an up that failed after the down is run again', async () => {
    const rt = new MemoryRuntime(2);
    const up = rt.up.bind(rt);
    let ups = 0;
    rt.up = async () => {
      if (ups++ === 0) {
        rt.calls.push('up (failed)');
        throw new Error('migrate failed');
      }
      return up();
    };
    await assert.rejects(run(rt, fullRestart, loadUntilStopped().run).p, /migrate failed; restored after an error: up \(the fault's own up did not finish\)/);
    assert.deepEqual(rt.calls, ['down', 'up (failed)', 'up']);
    assert.ok([...rt.running.values()].every(Boolean), 'every member runs again');
  });

  test('lb-restart: a load balancer left stopped is started', async () => {
    const rt = new MemoryRuntime(2);
    rt.restart = async (member) => {
      rt.calls.push(`restart ${member} (stopped, then failed)`);
      rt.running.set(member, false);
      throw new Error('start failed');
    };
    await assert.rejects(run(rt, lbRestart, loadUntilStopped().run).p, /restored after an error: start mem-lb/);
    assert.equal(rt.running.get('mem-lb'), true);
  });

  test("config-change: the edited up runs under load, and the restore runs up with the spec's own bundle, also after an interruption", async () => {
    for (const interrupted of [false, true]) {
      const rt = new MemoryRuntime(2);
      const edited = () => rt.calls.some((c) => c.startsWith('up (php.ini'));
      const interrupt = new AbortController();
      if (interrupted) void until(edited, 'the edited up').then(() => interrupt.abort());
      const { p } = run(rt, configChange, loadUntilStopped().run, interrupt.signal, interrupted ? 60 : 0.01);
      if (interrupted) await assert.rejects(p, /interrupted/);
      else {
        const f = await (await p).fault.figures();
        assert.deepEqual([f.rollSeconds, f.nodesReplaced, typeof f.changeUpSeconds], [1, 2, 'number']);
      }
      assert.equal(rt.calls.length, 2, rt.calls.join('; '));
      assert.match(rt.calls[0]!, /^up \(php\.ini \+ "\\n; moodle-ha drill config-change, [^"]+\\nhighlight\.comment = \\"#FF8001\\"\\n"\)$/);
      assert.equal(rt.calls[1], 'up', 'the restore: up with the bundle as the spec has it');
    }
  });
});
