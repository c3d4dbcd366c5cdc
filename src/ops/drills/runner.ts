// Runs one drill: steady state before, load (runLoad) with the drill's fault injected at a fixed
// time into it, the restore (always: under-load.ts), steady state after, the acknowledged posts
// checked in the database, the figures and the bars. Acts on the cluster only through the runtime.
import { cpus, totalmem } from 'node:os';
import type { ClusterRuntime } from '../../runtime/cluster.ts';
import { UserError } from '../../util/errors.ts';
import { prepareFixture, verifyPosts } from '../load/fixture.ts';
import { progressLine } from '../load/report.ts';
import { loadTarget, runLoad, type LoadResult } from '../load/run.ts';
import type { StepSample } from '../load/stats.ts';
import { clusterShape, whyNotApplicable } from './applicability.ts';
import { compareInventories, takeInventory, type Inventory } from './inventory.ts';
import { DRILL_LIMITS, type DrillOptions } from './options.ts';
import {
  FAULT_WINDOW_DEFINITION,
  failuresAfterFault,
  faultWindow,
  latencyIn,
  maintenanceWindowSeconds,
  recoveryFrom,
  sessionsWrittenBefore,
  splitAtFault,
  writesResumedSeconds,
} from './recovery.ts';
import { drillNamed, type DrillName } from './registry.ts';
import { DRILL_SCHEMA, RECOVERY_DEFINITION, type DrillResult } from './result.ts';
import { waitSteadyState } from './steady-state.ts';
import { DrillStopped, restoreLine, runFaultUnderLoad } from './under-load.ts';

const STEADY_BEFORE_MS = 240_000;
/** A short fault may come this late (its prepare asks the cluster) and still have its load after it. */
const PREPARE_GRACE_SECONDS = 60;
const STEADY_AFTER_MS = 300_000;

function hostFacts(): DrillResult['host'] {
  return { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 1024 ** 3), node: process.version };
}

/**
 * Runs drill `name` on the cluster behind `runtime`. `signal` is an interruption (SIGINT, SIGTERM):
 * the load stops, what the fault broke is restored, and a DrillStopped error says so.
 */
export async function runDrill(
  name: DrillName,
  runtime: ClusterRuntime,
  o: DrillOptions,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<DrillResult> {
  const drill = drillNamed(name);
  const spec = runtime.loaded.spec;
  const shape = await clusterShape(runtime);
  const why = whyNotApplicable(name, shape);
  if (why) throw new UserError(why);
  const notYetBroken = () => {
    if (signal?.aborted)
      throw new DrillStopped(name, 'interrupted', undefined, `drill ${name} was interrupted before the fault was injected: nothing was broken`);
  };
  const target = loadTarget(spec);
  const { fixture, password } = await prepareFixture(runtime, { users: o.users, log });
  const probe = { username: fixture.usernames.at(-1)!, password };
  notYetBroken();

  log(`drill ${name}: ${drill.summary}; checking the steady state ...`);
  const steadyBefore = await waitSteadyState(runtime, target, probe, STEADY_BEFORE_MS, signal);
  notYetBroken();
  if (!steadyBefore.ok)
    throw new UserError(
      `drill ${name}: the cluster is not in its steady state after ${steadyBefore.waitedSeconds} s, so nothing was broken:`,
      steadyBefore.problems,
    );

  const samples: StepSample[] = [];
  // The load ends afterFaultSeconds after the fault (runFaultUnderLoad); this is only its cap: a
  // long fault takes what it takes, a short one may come up to PREPARE_GRACE_SECONDS late.
  const durationSeconds = drill.longFault
    ? DRILL_LIMITS.maxDurationSeconds
    : Math.min(o.durationSeconds + PREPARE_GRACE_SECONDS, DRILL_LIMITS.maxDurationSeconds);
  let inventoryBefore: Inventory | undefined;
  const startedAt = new Date();
  log(
    `drill ${name}: ${o.users} users for ${drill.longFault ? `as long as the fault takes + ${o.durationSeconds - o.faultAtSeconds}` : o.durationSeconds} s, fault at ${o.faultAtSeconds} s`,
  );
  // Any drill, its figure keys erased to string here: each module's own keys are checked where it is defined.
  const run = await runFaultUnderLoad<string, LoadResult>({
    drill,
    ctx: {
      runtime,
      log,
      recordInventory: async () => {
        inventoryBefore = await takeInventory(runtime);
      },
    },
    faultAtSeconds: o.faultAtSeconds,
    afterFaultSeconds: o.durationSeconds - o.faultAtSeconds,
    signal,
    runLoad: (stop) =>
      runLoad({
        target,
        fixture,
        password,
        signal: stop,
        options: { users: o.users, durationSeconds, rampSeconds: o.rampSeconds, thinkSeconds: o.thinkSeconds },
        onProgress: (p) => log(progressLine(p, o.users)),
        onSample: (s) => samples.push(s),
      }),
  });
  const { load, fault, restore } = run;
  const figures = await fault.figures();
  const steadyAfter = await waitSteadyState(runtime, target, probe, STEADY_AFTER_MS, signal);
  if (signal?.aborted)
    throw new DrillStopped(name, 'interrupted', restore, `drill ${name} was interrupted after its restore; ${restoreLine(restore, fault.target)}`);
  const posts = await verifyPosts(runtime, load.posts.ids);
  const inventory = inventoryBefore ? compareInventories(inventoryBefore, await takeInventory(runtime, inventoryBefore)) : null;

  const faultAtMs = run.injected.at - run.startedAt;
  const recovery = recoveryFrom(load.timeline, faultAtMs / 1000);
  const writes = writesResumedSeconds(samples, faultAtMs);
  const split = splitAtFault(load.timeline, faultAtMs / 1000);
  const afterFailed = failuresAfterFault(samples, faultAtMs);
  const writtenBefore = sessionsWrittenBefore(samples, faultAtMs);
  const window = faultWindow({
    faultAtMs,
    actionTookMs: run.injected.tookMs,
    recoveredAtSeconds: recovery.recoveredAtSeconds,
    runEndMs: load.elapsedSeconds * 1000,
  });
  const inWindow = latencyIn(samples, window);
  const lost = load.totals.lostSessions;
  const bars = drill.bars({
    failed: load.totals.failed,
    failedIdempotent: load.totals.failedIdempotent,
    maintenance: load.totals.maintenance,
    maintenanceWindowSeconds: maintenanceWindowSeconds(samples),
    lostSessions: lost,
    sessionsWrittenBeforeFault: writtenBefore,
    postsMissing: posts.missing.length,
    recoverySeconds: recovery.seconds,
    writesResumedSeconds: writes,
    steadyAfter: steadyAfter.ok,
    inventory,
    figures,
  });
  return {
    schema: DRILL_SCHEMA,
    drill: name,
    cluster: spec.name,
    profile: shape.profile,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    host: hostFacts(),
    options: {
      users: o.users,
      durationSeconds: load.elapsedSeconds,
      faultAtSeconds: o.faultAtSeconds,
      thinkSeconds: o.thinkSeconds,
      rampSeconds: o.rampSeconds,
    },
    fault: {
      action: fault.action,
      target: fault.target,
      atSeconds: Math.round(faultAtMs / 100) / 10,
      tookSeconds: Math.round(run.injected.tookMs / 100) / 10,
      detail: run.injected.detail,
    },
    restore,
    steadyState: { before: steadyBefore, after: steadyAfter },
    load: { requests: load.requests, elapsedSeconds: load.elapsedSeconds, stoppedBy: load.stoppedBy, steps: load.steps },
    totals: {
      ok: load.totals.ok,
      failed: load.totals.failed,
      failedIdempotent: load.totals.failedIdempotent,
      failedNonIdempotent: load.totals.failedNonIdempotent,
      slow: load.totals.slow,
      maintenance: load.totals.maintenance,
    },
    afterFault: { ok: split.after.ok, failed: split.after.failed, failedIdempotent: afterFailed.idempotent, failedNonIdempotent: afterFailed.nonIdempotent },
    sessions: { lost, writtenInLastSecondBeforeFault: writtenBefore, lostBeyondThose: Math.max(0, lost - writtenBefore) },
    posts: { acknowledged: load.posts.acknowledged, checked: posts.checked, missing: posts.missing },
    recovery: { ...recovery, writesResumedSeconds: writes, definition: RECOVERY_DEFINITION },
    faultWindow: {
      fromSeconds: Math.round(window.fromMs / 100) / 10,
      toSeconds: Math.round(window.toMs / 100) / 10,
      ...inWindow,
      definition: FAULT_WINDOW_DEFINITION,
    },
    figures,
    inventory,
    bars,
    passed: bars.every((b) => b.met),
    timeline: load.timeline,
    failures: load.failures,
  };
}
