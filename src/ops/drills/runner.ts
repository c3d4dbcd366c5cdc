// Runs one drill: steady state before, load (runLoad), one fault at a fixed time into the run,
// restore, steady state after, the acknowledged posts checked in the database, the figures and
// the bars, and the JSON + HTML files.
import { LABELS } from '../../contract/image.ts';
import { requireDocker } from '../../local/engine/docker.ts';
import { clusterContainers, sleep } from '../../local/containers.ts';
import { localRuntime } from '../../local/runtime.ts';
import { runningWebNodes } from '../../local/scale.ts';
import type { LoadedSpec } from '../../spec/read.ts';
import { UserError } from '../../util/errors.ts';
import { prepareFixture, verifyPosts } from '../load/fixture.ts';
import { progressLine } from '../load/report.ts';
import { loadTarget, runLoad, type LoadResult } from '../load/run.ts';
import type { StepSample } from '../load/stats.ts';
import { barsFor } from './bars.ts';
import { DRILLS, whyNotApplicable } from './definitions.ts';
import { injectFault, type InjectedFault } from './faults.ts';
import { compareInventories, takeInventory, type Inventory } from './inventory.ts';
import { DRILL_LIMITS, type DrillName, type DrillOptions } from './options.ts';
import { failuresAfterFault, recoveryFrom, sessionsWrittenBefore, splitAtFault, writesResumedSeconds } from './recovery.ts';
import { DRILL_SCHEMA, hostFacts, RECOVERY_DEFINITION, type DrillResult, type Figure } from './result.ts';
import { waitSteadyState } from './steady-state.ts';

const STEADY_BEFORE_MS = 240_000;
const STEADY_AFTER_MS = 300_000;

/** The profile the cluster runs (ha when it has the endpoints container), and its web nodes. */
export async function clusterShape(loaded: LoadedSpec): Promise<{ name: string; profile: string; webNodes: number }> {
  await requireDocker();
  const spec = loaded.spec;
  const containers = await clusterContainers(spec.name);
  if (!containers.some((c) => c.Labels[LABELS.service] === 'lb' && c.State === 'running')) {
    throw new UserError(`cluster "${spec.name}" is not running: start it with "moodle-ha up" first`);
  }
  const ha = containers.some((c) => c.Labels[LABELS.service] === 'endpoints');
  return { name: spec.name, profile: ha ? 'ha' : 'dev', webNodes: (await runningWebNodes(spec)).length };
}

export async function runDrill(drill: DrillName, loaded: LoadedSpec, o: DrillOptions, log: (line: string) => void): Promise<DrillResult> {
  const spec = loaded.spec;
  const def = DRILLS[drill];
  const shape = await clusterShape(loaded);
  const why = whyNotApplicable(drill, shape);
  if (why) throw new UserError(why);
  const target = loadTarget(spec);
  const runtime = localRuntime(loaded);
  const { fixture, password } = await prepareFixture(runtime, { users: o.users, log });
  const probe = { username: fixture.usernames.at(-1)!, password };

  log(`drill ${drill}: ${def.summary}; checking the steady state ...`);
  const steadyBefore = await waitSteadyState(spec, target, probe, STEADY_BEFORE_MS);
  if (!steadyBefore.ok) throw new UserError(`drill ${drill}: the cluster is not in its steady state after ${steadyBefore.waitedSeconds} s, so nothing was broken:`, steadyBefore.problems);

  const samples: StepSample[] = [];
  const abort = new AbortController();
  const durationSeconds = def.longFault ? DRILL_LIMITS.maxDurationSeconds : o.durationSeconds;
  let fault: InjectedFault | undefined;
  let faultError: unknown;
  let faultAtMs = o.faultAtSeconds * 1000;
  let faultTookMs = 0;
  let inventoryBefore: Inventory | undefined;
  const startedAt = new Date();
  const wallT0 = Date.now();
  log(`drill ${drill}: ${o.users} users for ${def.longFault ? `as long as the fault takes + ${o.durationSeconds - o.faultAtSeconds}` : durationSeconds} s, fault at ${o.faultAtSeconds} s`);
  const faultTask = (async () => {
    await sleep(o.faultAtSeconds * 1000);
    const t = Date.now();
    fault = await injectFault(drill, {
      loaded, log,
      beforeDown: async () => {
        inventoryBefore = await takeInventory(runtime);
      },
    });
    faultAtMs = fault.at - wallT0;
    faultTookMs = Date.now() - t;
    log(`[${((Date.now() - wallT0) / 1000).toFixed(1)}s] fault: ${fault.action} ${fault.target} (${fault.detail})`);
    if (def.longFault) {
      await sleep((o.durationSeconds - o.faultAtSeconds) * 1000);
      abort.abort();
    }
  })().catch((e: unknown) => {
    faultError = e;
    abort.abort();
  });
  let load: LoadResult;
  try {
    load = await runLoad({
      target, fixture, password, signal: abort.signal,
      options: { users: o.users, durationSeconds, rampSeconds: o.rampSeconds, thinkSeconds: o.thinkSeconds },
      onProgress: (p) => log(progressLine(p, o.users)),
      onSample: (s) => samples.push(s),
    });
  } finally {
    abort.abort();
    await faultTask;
  }
  log(`drill ${drill}: load done; restoring ...`);
  const t1 = Date.now();
  const restored = fault ? await fault.restore() : { action: 'none', detail: 'no fault was injected' };
  const restoreTookS = Math.round((Date.now() - t1) / 100) / 10;
  if (faultError) throw faultError instanceof UserError ? faultError : new Error(`drill ${drill}: injecting the fault failed: ${(faultError as Error)?.stack ?? String(faultError)}`);
  if (!fault) throw new Error(`drill ${drill}: the run ended before the fault was injected at ${o.faultAtSeconds} s`);
  const figures: Record<string, Figure> = await fault.figures();
  const steadyAfter = await waitSteadyState(spec, target, probe, STEADY_AFTER_MS);
  const posts = await verifyPosts(runtime, load.posts.ids);
  const inventory = inventoryBefore ? compareInventories(inventoryBefore, await takeInventory(runtime, inventoryBefore)) : null;

  const faultAtSeconds = Math.round(faultAtMs / 100) / 10;
  const recovery = recoveryFrom(load.timeline, faultAtMs / 1000);
  const writes = writesResumedSeconds(samples, faultAtMs);
  const split = splitAtFault(load.timeline, faultAtMs / 1000);
  const afterFailed = failuresAfterFault(samples, faultAtMs);
  const writtenBefore = sessionsWrittenBefore(samples, faultAtMs);
  const lost = load.totals.lostSessions;
  const bars = barsFor(drill, {
    failed: load.totals.failed, failedIdempotent: load.totals.failedIdempotent, lostSessions: lost, sessionsWrittenBeforeFault: writtenBefore,
    postsMissing: posts.missing.length, recoverySeconds: recovery.seconds, writesResumedSeconds: writes, steadyAfter: steadyAfter.ok, inventory,
  });
  return {
    schema: DRILL_SCHEMA,
    drill,
    cluster: spec.name,
    profile: shape.profile,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    host: hostFacts(),
    options: { users: o.users, durationSeconds: load.elapsedSeconds, faultAtSeconds: o.faultAtSeconds, thinkSeconds: o.thinkSeconds, rampSeconds: o.rampSeconds },
    fault: { action: fault.action, target: fault.target, atSeconds: faultAtSeconds, tookSeconds: Math.round(faultTookMs / 100) / 10, detail: fault.detail },
    restore: { ...restored, tookSeconds: restoreTookS },
    steadyState: { before: steadyBefore, after: steadyAfter },
    load: { requests: load.requests, elapsedSeconds: load.elapsedSeconds, stoppedBy: load.stoppedBy, steps: load.steps },
    totals: { ok: load.totals.ok, failed: load.totals.failed, failedIdempotent: load.totals.failedIdempotent, failedNonIdempotent: load.totals.failedNonIdempotent },
    afterFault: { ok: split.after.ok, failed: split.after.failed, failedIdempotent: afterFailed.idempotent, failedNonIdempotent: afterFailed.nonIdempotent },
    sessions: { lost, writtenInLastSecondBeforeFault: writtenBefore, lostBeyondThose: Math.max(0, lost - writtenBefore) },
    posts: { acknowledged: load.posts.acknowledged, checked: posts.checked, missing: posts.missing },
    recovery: { ...recovery, writesResumedSeconds: writes, definition: RECOVERY_DEFINITION },
    figures,
    inventory,
    bars,
    passed: bars.every((b) => b.met),
    timeline: load.timeline,
    failures: load.failures,
  };
}
