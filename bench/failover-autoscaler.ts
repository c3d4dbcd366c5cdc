// The autoscaler's reaction time on the failover benchmark's cluster. runAutoscaler (the loop
// behind `moodle-ha autoscale`) runs in this process, claiming the cluster's foreground autoscaler
// slot as that command does, while
//  1. a load step hits the cluster at its minimum: the project's load generator (src/ops/load),
//     the drills' users with no think time, until the new node serves (HAProxy shows it UP and it
//     has answered requests), at most REACTION_LIMIT_S;
//  2. then nothing: until the autoscaler has taken the cluster back to its minimum, at most
//     REACTION_LIMIT_S.
// Both phases are bounded; a phase without a reaction says so with the autoscaler's last decisions.
import { sleep } from '../src/local/containers.ts';
import { assertAutoscalerMayStart, claimForeground } from '../src/local/autoscaler-guard.ts';
import { clusterNames } from '../src/local/names.ts';
import { runAutoscaler } from '../src/ops/autoscaler/loop.ts';
import type { ScalingEvent } from '../src/ops/autoscaler/events.ts';
import { prepareFixture } from '../src/ops/load/fixture.ts';
import { progressLine } from '../src/ops/load/report.ts';
import { loadTarget, runLoad } from '../src/ops/load/run.ts';
import type { Spec } from '../src/spec/schema.ts';
import { lbCounters, type BenchCluster } from './journeys-clusters.ts';

/** Low targets and short cooldowns (as the dev cluster's test uses), so the reaction shows within a minute. */
export const SCALING = { min: 2, max: 3, targetRequestsPerNode: 3, targetCpuPercent: 60, scaleOutCooldown: '5s', scaleInCooldown: '10s' } as const;
/** Time between two decisions of the autoscaler (the cluster test's; the detached default is 5 s). */
export const INTERVAL_MS = 2000;
/** Longest wait for each reaction (load step → new node serving; idle → back to min). */
export const REACTION_LIMIT_S = 90;

export function scalingYaml(): string {
  return `scaling:\n${Object.entries(SCALING)
    .map(([k, v]) => `  ${k}: ${v}\n`)
    .join('')}`;
}

export interface Reaction {
  /** Seconds from the phase's start to the autoscaler's decision (the event's time). */
  readonly decidedAfterSeconds: number;
  /** Seconds the scaling action itself took (scaleTo: new node ready and in HAProxy; or drained and stopped). */
  readonly actionSeconds: number;
  /** Seconds from the phase's start to the action's end. */
  readonly doneAfterSeconds: number;
  readonly from: number;
  readonly to: number;
  /** The decision's reason, with the figures it saw. */
  readonly reason: string;
}

export interface AutoscalerReaction {
  readonly settings: typeof SCALING & { readonly intervalSeconds: number; readonly limitSeconds: number; readonly loadUsers: number; readonly thinkSeconds: 0 };
  /** Problems that make the run fail (no reaction within the limit); empty when it reacted both ways. */
  readonly problems: readonly string[];
  readonly loadStep: {
    readonly seconds: number;
    readonly requests: number;
    readonly requestsPerSecond: number;
    readonly stepsOk: number;
    readonly stepsFailed: number;
  } | null;
  readonly scaleOut:
    | (Reaction & {
        readonly node: string /** Load step start → the new node UP in HAProxy with requests answered. */;
        readonly servingAfterSeconds: number | null;
      })
    | null;
  /** Its doneAfterSeconds is idle start → back to min. */
  readonly scaleIn: Reaction | null;
  /** Every decision line of the run, as `moodle-ha autoscale` prints them. */
  readonly ticks: readonly string[];
}

const secs = (ms: number) => Math.round(ms / 100) / 10;

/** Measures the scale-out under a load step and the return to min when idle; never throws for a missing reaction. */
export async function measureAutoscaler(c: BenchCluster, users: number, signal: AbortSignal, log: (s: string) => void): Promise<AutoscalerReaction> {
  const spec: Spec = c.spec;
  const min = spec.scaling.min;
  const settings = { ...SCALING, intervalSeconds: INTERVAL_MS / 1000, limitSeconds: REACTION_LIMIT_S, loadUsers: users, thinkSeconds: 0 as const };
  const running = (await c.runtime.webNodes()).length;
  if (running !== min) {
    log(`scaling to the minimum of ${min} web nodes first (${running} running)`);
    await c.runtime.scale(min);
  }
  const { fixture, password } = await prepareFixture(c.runtime, { users, log: (s) => log(`  ${s}`) });
  await assertAutoscalerMayStart(spec, 'foreground');
  const release = claimForeground(spec.name);
  const stop = new AbortController();
  const onOuter = () => stop.abort();
  signal.addEventListener('abort', onOuter, { once: true });
  const events: Array<{ readonly e: ScalingEvent; readonly doneAt: number; readonly ms: number }> = [];
  const ticks: string[] = [];
  let controllerError: unknown;
  log(
    `autoscaler in-process: every ${INTERVAL_MS / 1000} s, ${min}..${spec.scaling.max} nodes, target ${spec.scaling.targetRequestsPerNode} req/s per node, CPU ${spec.scaling.targetCpuPercent}%, cooldowns out ${spec.scaling.scaleOutCooldown.seconds} s / in ${spec.scaling.scaleInCooldown.seconds} s`,
  );
  const controller = runAutoscaler(c.runtime, {
    intervalMs: INTERVAL_MS,
    durationMs: (2 * REACTION_LIMIT_S + 120) * 1000,
    signal: stop.signal,
    onTick: (line) => {
      ticks.push(line);
      log(`  autoscaler ${line}`);
    },
    onEvent: (e, ms) => {
      events.push({ e, doneAt: Date.now(), ms });
      log(`  autoscaler scaled ${e.from} → ${e.to} in ${(ms / 1000).toFixed(1)} s`);
    },
  }).catch((e: unknown) => {
    controllerError = e;
  });
  const lastDecisions = () => `; the autoscaler's last decisions:\n    ${ticks.slice(-5).join('\n    ') || '(none)'}`;
  const problems: string[] = [];
  const failed = () => (controllerError ? `the autoscaler stopped with an error: ${(controllerError as Error).message ?? String(controllerError)}` : undefined);
  try {
    // 1. Load step: from min nodes, as hard as the users can go, until the new node serves.
    const newNode = clusterNames(spec.name).container('web', min + 1);
    const loadAbort = new AbortController();
    const loadStart = Date.now();
    log(`load step: ${users} users, no think time, until ${newNode} serves (at most ${REACTION_LIMIT_S} s)`);
    const loading = runLoad({
      target: loadTarget(spec),
      fixture,
      password,
      signal: loadAbort.signal,
      options: { users, durationSeconds: REACTION_LIMIT_S, rampSeconds: 0, thinkSeconds: 0 },
      onProgress: (p) => log(`  ${progressLine(p, users)}`),
    });
    let servingAt: number | undefined;
    try {
      while (Date.now() - loadStart < REACTION_LIMIT_S * 1000 && !stop.signal.aborted && !controllerError) {
        const s = (await lbCounters(c).catch(() => undefined))?.[newNode];
        if (s?.status.startsWith('UP') && s.requests > 0) {
          servingAt = Date.now();
          break;
        }
        await sleep(250);
      }
    } finally {
      loadAbort.abort();
    }
    const load = await loading;
    const loadStep = {
      seconds: load.elapsedSeconds,
      requests: load.requests,
      requestsPerSecond: Math.round((load.requests / Math.max(load.elapsedSeconds, 0.1)) * 10) / 10,
      stepsOk: load.totals.ok,
      stepsFailed: load.totals.failed,
    };
    log(`load step: ${loadStep.requests} requests in ${loadStep.seconds} s (${loadStep.requestsPerSecond} req/s), ${loadStep.stepsFailed} failed steps`);
    // The new node may serve a moment before scaleTo returns and the event is recorded.
    while (servingAt !== undefined && !events.some((x) => x.e.to > min) && Date.now() - servingAt < 30_000 && !controllerError) await sleep(250);
    const out = events.find((x) => x.e.to > min);
    const scaleOut = out
      ? {
          decidedAfterSeconds: secs(out.e.at.getTime() - loadStart),
          actionSeconds: secs(out.ms),
          doneAfterSeconds: secs(out.doneAt - loadStart),
          from: out.e.from,
          to: out.e.to,
          reason: out.e.reason,
          node: newNode,
          servingAfterSeconds: servingAt === undefined ? null : secs(servingAt - loadStart),
        }
      : null;
    if (!out)
      problems.push(
        failed() ??
          `no scale-out within ${REACTION_LIMIT_S} s of the load step (${loadStep.requestsPerSecond} req/s at ${min} nodes, target ${spec.scaling.targetRequestsPerNode} per node)${lastDecisions()}`,
      );
    else if (servingAt === undefined)
      problems.push(
        failed() ??
          `the autoscaler scaled out after ${scaleOut?.decidedAfterSeconds} s, but ${newNode} did not serve within ${REACTION_LIMIT_S} s of the load step${lastDecisions()}`,
      );
    if (!out || stop.signal.aborted || controllerError) return { settings, problems, loadStep, scaleOut, scaleIn: null, ticks };

    // 2. Idle: no load at all, until the web tier is back to min.
    const idleStart = Date.now();
    log(`idle: no load, until the autoscaler is back to ${min} web nodes (at most ${REACTION_LIMIT_S} s)`);
    let back: (typeof events)[number] | undefined;
    while (!back && Date.now() - idleStart < REACTION_LIMIT_S * 1000 && !stop.signal.aborted && !controllerError) {
      back = events.find((x) => x !== out && x.e.to === min);
      if (!back) await sleep(250);
    }
    let scaleIn: Reaction | null = null;
    if (back) {
      const nodes = (await c.runtime.webNodes()).length;
      scaleIn = {
        decidedAfterSeconds: secs(back.e.at.getTime() - idleStart),
        actionSeconds: secs(back.ms),
        doneAfterSeconds: secs(back.doneAt - idleStart),
        from: back.e.from,
        to: back.e.to,
        reason: back.e.reason,
      };
      if (nodes !== min) problems.push(`the autoscaler scaled in to ${min}, but ${nodes} web nodes run`);
    } else problems.push(failed() ?? `not back to ${min} web nodes within ${REACTION_LIMIT_S} s of idle${lastDecisions()}`);
    return { settings, problems, loadStep, scaleOut, scaleIn, ticks };
  } finally {
    stop.abort();
    await controller;
    signal.removeEventListener('abort', onOuter);
    release();
  }
}
