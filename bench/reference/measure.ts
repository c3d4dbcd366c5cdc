// One measurement of one path (the cluster through HAProxy, or the reference server) under one
// workload (a single page with anonymous users, or the journey mix with logged-in users), with the
// CPU it cost: the path's containers (cgroups; the database is on both paths) plus the engine's
// processes (dockerd, containerd, the shims, docker-proxy), per successful request or step.
import { cpus } from 'node:os';
import { runLoad as runJourneys } from '../../src/ops/load/run.ts';
import type { LoadFixture } from '../../src/ops/load/fixture.ts';
import type { Target } from '../../src/ops/load/http.ts';
import { percentile } from '../../src/ops/load/stats.ts';
import { meterCpu } from '../cpu.ts';
import { daemonCpuMs, ENGINE_AND_PROXY } from '../daemon-cpu.ts';
import { runLoad as runPage } from '../load.ts';
import { loadMemberPage, logInMembers } from './member-load.ts';
import { REFERENCE_SERVICE } from './server.ts';

export type PathName = 'cluster' | 'reference';
/** The cluster's containers that no request of either path goes through (by service label). */
const OFF_PATH = ['cron', 'mail', 'autoscaler', 'migrate'];
/** Whether a container (by service label) is on a path's requests: the database is on both. */
export function onPath(path: PathName, service: string): boolean {
  return path === 'reference' ? service === REFERENCE_SERVICE || service === 'db' : service !== REFERENCE_SERVICE && !OFF_PATH.includes(service);
}

export interface Workload {
  readonly name: string;
  /** A single page's path; undefined for the journey mix. */
  readonly path?: string;
  /** The single page is asked for by logged-in users (each its own generated user), else anonymous ones. */
  readonly loggedIn?: boolean;
}

export interface Measurement {
  readonly workload: string;
  readonly path: PathName;
  readonly round: number;
  /** Successful requests (a page) or journey steps (a page with its redirects) per second. */
  readonly okPerSecond: number;
  readonly p95Ms: number;
  readonly ok: number;
  readonly failed: number;
  /** CPU ms per successful request/step: the path's containers, the engine's processes, both. */
  readonly containerMs: number;
  readonly engineMs: number;
  readonly totalMs: number;
  readonly byService: Readonly<Record<string, number>>;
  /** Share of the host's CPUs that work outside the bench cluster and the bench took, 0..1. */
  readonly otherShare: number;
}

export interface MeasureArgs {
  readonly cluster: string;
  readonly target: Target;
  readonly users: number;
  readonly seconds: number;
  readonly fixture: LoadFixture;
  readonly password: string;
  readonly signal: AbortSignal;
}

type Drive = () => Promise<{ ok: number; failed: number; elapsed: number; p95: number }>;

/**
 * Runs the workload for `seconds`: successes, failures, seconds taken and the successes' p95 (ms).
 * Logged-in users log in before the run (`work` is what is measured), and out of it at the end.
 */
async function drive<T>(w: Workload, a: MeasureArgs, seconds: number, around: (work: Drive) => Promise<T>): Promise<T> {
  if (w.path !== undefined && w.loggedIn) {
    const members = await logInMembers(a.target, a.fixture, a.password, a.users);
    try {
      return await around(() => loadMemberPage(members, w.path!, seconds));
    } finally {
      members.close();
    }
  }
  return around(() => driveAnonymousOrMix(w, a, seconds));
}

async function driveAnonymousOrMix(w: Workload, a: MeasureArgs, seconds: number): ReturnType<Drive> {
  if (w.path !== undefined) {
    const r = await runPage({
      url: `http://${a.target.connectHost}:${a.target.connectPort}${w.path}`,
      host: a.target.hostHeader,
      vus: a.users,
      durationMs: seconds * 1000,
      maxRequests: 200_000,
    });
    return { ok: r.ok, failed: r.errors, elapsed: r.seconds, p95: r.p95 };
  }
  const ms: number[] = [];
  const r = await runJourneys({
    target: a.target,
    fixture: a.fixture,
    password: a.password,
    signal: a.signal,
    options: { users: a.users, durationSeconds: seconds, rampSeconds: 0, thinkSeconds: 0 },
    onSample: (s) => void (s.ok && ms.push(s.ms)),
  });
  ms.sort((x, y) => x - y);
  return { ok: r.totals.ok, failed: r.totals.failed, elapsed: r.elapsedSeconds, p95: percentile(ms, 95) ?? Number.NaN };
}

export async function warmUp(w: Workload, a: MeasureArgs, seconds: number): Promise<void> {
  if (seconds > 0) await drive(w, a, seconds, (work) => work());
}

export async function measure(w: Workload, path: PathName, round: number, a: MeasureArgs): Promise<Measurement> {
  const { r, cpu, engine } = await drive(w, a, a.seconds, async (work) => {
    const engine0 = daemonCpuMs(ENGINE_AND_PROXY);
    const { value, cpu } = await meterCpu(a.cluster, cpus().length, work);
    return { r: value, cpu, engine: daemonCpuMs(ENGINE_AND_PROXY) - engine0 };
  });
  const containers = Object.entries(cpu.byService).reduce((sum, [s, v]) => sum + (onPath(path, s) ? v : 0), 0) * 1000;
  // The engine's processes are not the cluster's containers, so meterCpu counts them as other work.
  const other = Math.max(0, cpu.otherSeconds - engine / 1000);
  const per = (x: number) => Math.round((x / Math.max(1, r.ok)) * 100) / 100;
  return {
    workload: w.name,
    path,
    round,
    okPerSecond: Math.round((r.ok / r.elapsed) * 10) / 10,
    p95Ms: Math.round(r.p95 * 10) / 10,
    ok: r.ok,
    failed: r.failed,
    containerMs: per(containers),
    engineMs: per(engine),
    totalMs: per(containers + engine),
    byService: cpu.byService,
    otherShare: Math.round((other / (cpu.wallSeconds * cpus().length)) * 1000) / 1000,
  };
}
