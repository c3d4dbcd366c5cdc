// One measurement of the journey mix on one configuration: the project's load generator
// (src/ops/load: login with the logintoken, dashboard, course, forum discussion, reply with the
// sesskey, file download), every step's latency seen through runLoad's onSample (its result has
// only per-step percentiles), the CPU used meanwhile by the measured cluster, by the other (idle)
// bench cluster and by everything else, and HAProxy's per-node counters (requests, health checks
// taking a node DOWN).
import { cpus } from 'node:os';
import { renderHaproxyConfig } from '../src/local/haproxy.ts';
import type { LoadFixture } from '../src/ops/load/fixture.ts';
import { progressLine } from '../src/ops/load/report.ts';
import { loadTarget, runLoad, type LoadResult } from '../src/ops/load/run.ts';
import { percentile, type FailureSample, type StepSample, type StepSummary } from '../src/ops/load/stats.ts';
import { meterCpu, type CpuUse } from './cpu.ts';
import { lbCounters, lbDelta, type BenchCluster, type LbCounters, type Profile } from './journeys-clusters.ts';

export type ConfigName = 'dev' | 'ha-1' | 'ha-2' | 'ha-3';
export interface Config {
  readonly name: ConfigName;
  readonly profile: Profile;
  readonly nodes: number;
}
export const CONFIGS: readonly Config[] = [
  { name: 'dev', profile: 'dev', nodes: 1 },
  { name: 'ha-1', profile: 'ha', nodes: 1 },
  { name: 'ha-2', profile: 'ha', nodes: 2 },
  { name: 'ha-3', profile: 'ha', nodes: 3 },
];

/** HAProxy's slow start for a node that just joined (from the LB config the cluster runs), ms. */
export const SLOWSTART_MS = Number(/slowstart (\d+)s/.exec(renderHaproxyConfig({ servers: ['x'], maxConnPerServer: 1 }))?.[1] ?? 10) * 1000;

export interface JourneyOptions {
  readonly users: number;
  readonly durationSeconds: number;
  readonly thinkSeconds: number;
  readonly maxRequests: number;
}

export interface JourneyRun {
  readonly config: ConfigName;
  readonly round: number;
  readonly elapsedSeconds: number;
  readonly stoppedBy: LoadResult['stoppedBy'];
  /** Journey steps that worked, per second of the run (a step is a page with its redirects). */
  readonly stepsPerSecond: number;
  /** HTTP exchanges per second, redirects included. */
  readonly requestsPerSecond: number;
  /** Percentiles over every step that worked, whatever its kind, ms. */
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly ok: number;
  readonly failed: number;
  readonly lostSessions: number;
  readonly posts: number;
  readonly steps: readonly StepSummary[];
  readonly failures: readonly FailureSample[];
  /** CPU of the measured cluster's containers, the bench process and the rest of the host. */
  readonly cpu: CpuUse;
  /** CPU ms of the measured cluster's containers per step that worked. */
  readonly cpuMsPerStep: number;
  /** Share of the CPUs the other bench cluster (idle meanwhile) used, 0..1. */
  readonly idleClusterShare: number;
  /** Share of the CPUs used by neither bench cluster nor this process (other work on the host), 0..1. */
  readonly otherShare: number;
  /** Share of the CPUs this process (the load generator) used, 0..1. */
  readonly loadGeneratorShare: number;
  readonly lb: LbCounters;
}

export interface MeasureArgs {
  readonly config: Config;
  readonly round: number;
  readonly active: BenchCluster;
  readonly idle: BenchCluster;
  readonly fixture: LoadFixture;
  readonly password: string;
  readonly options: JourneyOptions;
  readonly signal: AbortSignal;
  readonly log: (s: string) => void;
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** A run of the journey mix against the active cluster, for `seconds`, with the progress logged. */
export function journeyLoad(a: MeasureArgs, seconds: number, label: string, onSample?: (s: StepSample) => void): Promise<LoadResult> {
  const o = a.options;
  return runLoad({
    target: loadTarget(a.active.spec),
    fixture: a.fixture,
    password: a.password,
    signal: a.signal,
    options: { users: o.users, durationSeconds: seconds, rampSeconds: 0, thinkSeconds: o.thinkSeconds, maxRequests: o.maxRequests },
    onProgress: (p) => a.log(`  ${label} ${progressLine(p, o.users)}`),
    ...(onSample ? { onSample } : {}),
  });
}

export async function measure(a: MeasureArgs): Promise<JourneyRun> {
  const n = cpus().length;
  const latencies: number[] = [];
  const lbBefore = await lbCounters(a.active).catch(() => ({}));
  // Nested meters: the outer one sees the idle cluster, the inner one the measured cluster; both
  // see the host and this process, so the idle cluster can be taken out of "other work".
  const { value: inner, cpu: outer } = await meterCpu(a.idle.spec.name, n, () =>
    meterCpu(a.active.spec.name, n, () =>
      journeyLoad(a, a.options.durationSeconds, `${a.config.name} round ${a.round}`, (s) => void (s.ok && latencies.push(s.ms))),
    ),
  );
  const lb = lbDelta(lbBefore, await lbCounters(a.active).catch(() => ({})));
  const { value: result, cpu } = inner;
  latencies.sort((x, y) => x - y);
  const wall = cpu.wallSeconds * n;
  const at = (p: number) => r1(percentile(latencies, p) ?? NaN);
  return {
    config: a.config.name,
    round: a.round,
    elapsedSeconds: result.elapsedSeconds,
    stoppedBy: result.stoppedBy,
    stepsPerSecond: r1(result.totals.ok / result.elapsedSeconds),
    requestsPerSecond: r1(result.requests / result.elapsedSeconds),
    p50Ms: at(50),
    p95Ms: at(95),
    p99Ms: at(99),
    ok: result.totals.ok,
    failed: result.totals.failed,
    lostSessions: result.totals.lostSessions,
    posts: result.posts.acknowledged,
    steps: result.steps,
    failures: result.failures.slice(0, 10),
    cpu,
    cpuMsPerStep: r1((cpu.containersSeconds * 1000) / result.totals.ok),
    idleClusterShare: r3(outer.containersSeconds / wall),
    otherShare: r3(Math.max(0, cpu.otherSeconds - outer.containersSeconds) / wall),
    loadGeneratorShare: r3(cpu.benchSeconds / wall),
    lb,
  };
}
