// The failover benchmark's results: one line per drill (from the drill runner's result; whatever
// drills the registry lists, each with its module's own detection cell and figures), the
// autoscaler's reaction, how busy the shared machine was meanwhile, and the table on stdout. The
// summary goes to bench/results/failover-<time>.json, each drill's own JSON + HTML next to it in
// bench/results/failover-<time>/.
import type { Bar } from '../src/ops/drills/bars.ts';
import { drillNamed, figureRows, type DrillName } from '../src/ops/drills/registry.ts';
import type { DrillResult } from '../src/ops/drills/result.ts';
import { ms } from '../src/ops/drills/summary.ts';
import type { LoadAverage } from './contention.ts';
import type { AutoscalerReaction } from './failover-autoscaler.ts';

export interface DrillLine {
  readonly drill: DrillName;
  /** met / MISSED as `moodle-ha drill` judges it; "did not run" with the reason otherwise. */
  readonly status: 'met' | 'missed' | 'did not run';
  readonly reason?: string;
  readonly wallSeconds: number;
  readonly loadAverage: LoadAverage;
  /** Other moodle-ha clusters running when the drill started or ended. */
  readonly otherClusters: readonly string[];
  readonly files?: { readonly json: string; readonly html: string };
  readonly fault?: DrillResult['fault'];
  readonly figures?: DrillResult['figures'];
  readonly errorFreeAfterSeconds?: number | null;
  readonly writesResumedSeconds?: number | null;
  /** Failed steps of the run, GET / POST; `slow`: those of them that got their page after more than SLOW_STEP (5 s). */
  readonly steps?: { readonly ok: number; readonly failedGet: number; readonly failedPost: number; readonly slow: number };
  /** p99 latency (ms) of the steps that ended in the fault window (the drills' definition, recovery.ts). */
  readonly faultWindowP99Ms?: number | null;
  readonly sessions?: DrillResult['sessions'];
  readonly posts?: { readonly missing: number; readonly acknowledged: number };
  readonly missedBars?: readonly Bar[];
}

export interface FailoverResults {
  readonly schema: 'moodle-ha.bench-failover/1';
  readonly at: string;
  readonly host: { readonly cpus: number; readonly memoryGiB: number; readonly docker: string; readonly node: string };
  readonly cluster: {
    readonly name: string;
    readonly profile: 'ha';
    readonly http: number;
    readonly stats: number;
    readonly webNodes: number;
    readonly upSeconds: number;
  };
  readonly drillOptions: { readonly users: number; readonly durationSeconds: number; readonly faultAtSeconds: number; readonly thinkSeconds: number };
  readonly drills: readonly DrillLine[];
  readonly autoscaler:
    | (AutoscalerReaction & { readonly loadAverage: LoadAverage; readonly otherClusters: readonly string[] })
    | { readonly problems: readonly string[] };
  readonly timings: { readonly drillsSeconds: number; readonly autoscalerSeconds: number; readonly totalSeconds: number };
  readonly resultsDir: string;
  /** Why the run exits non-zero; empty when every bar was met and the autoscaler reacted both ways. */
  readonly problems: readonly string[];
}

export function drillLine(r: DrillResult, extra: Pick<DrillLine, 'wallSeconds' | 'loadAverage' | 'otherClusters' | 'files'>): DrillLine {
  return {
    drill: r.drill,
    status: r.passed ? 'met' : 'missed',
    ...extra,
    fault: r.fault,
    figures: r.figures,
    errorFreeAfterSeconds: r.recovery.seconds,
    writesResumedSeconds: r.recovery.writesResumedSeconds,
    steps: { ok: r.totals.ok, failedGet: r.totals.failedIdempotent, failedPost: r.totals.failedNonIdempotent, slow: r.totals.slow },
    faultWindowP99Ms: r.faultWindow.p99Ms,
    sessions: r.sessions,
    posts: { missing: r.posts.missing.length, acknowledged: r.posts.acknowledged },
    missedBars: r.bars.filter((b) => !b.met),
  };
}

/** The figure that says how fast the cluster noticed or moved, for the drill's table cell (the drill's module says which). */
export function detection(d: DrillLine): string {
  return drillNamed(d.drill).detection(d.figures ?? {}, d.fault);
}

const opt = (x: number | null | undefined) => (x === undefined ? '-' : x === null ? 'never' : `${x} s`);
const load = (l: LoadAverage) => (l.samples ? `${l.mean.toFixed(1)} (max ${l.max.toFixed(1)})` : '-');

function table(head: readonly string[], rows: readonly (readonly string[])[], leftCols: number): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i < leftCols ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

export function renderFailover(r: FailoverResults): string {
  const o = r.drillOptions;
  const out = [
    `moodle-ha bench failover — ${r.at} — ${r.host.cpus} CPUs, ${r.host.memoryGiB} GiB, Docker ${r.host.docker}, Node ${r.host.node}`,
    `cluster ${r.cluster.name}: profile ha (3-node Galera behind the writer endpoint, Redis primary + replica + 3 Sentinels), ${r.cluster.webNodes} web nodes, up in ${r.cluster.upSeconds} s; cron running`,
    `drills (runDrill, as "moodle-ha drill all"): ${o.users} users, ${o.durationSeconds} s of load, fault at ${o.faultAtSeconds} s, think ${o.thinkSeconds} s; JSON + HTML per drill in ${r.resultsDir}`,
    '',
  ];
  const rows = r.drills.map((d) => [
    d.drill,
    d.fault?.target ?? '-',
    d.status === 'did not run' ? 'did not run' : detection(d),
    opt(d.errorFreeAfterSeconds),
    opt(d.writesResumedSeconds),
    d.steps ? `${d.steps.failedGet}/${d.steps.failedPost}` : '-',
    d.steps ? String(d.steps.slow) : '-',
    d.faultWindowP99Ms === undefined ? '-' : ms(d.faultWindowP99Ms),
    d.sessions
      ? `${d.sessions.lost}${d.sessions.writtenInLastSecondBeforeFault ? ` (${d.sessions.writtenInLastSecondBeforeFault} new <1 s before)` : ''}`
      : '-',
    d.posts ? `${d.posts.missing}/${d.posts.acknowledged}` : '-',
    load(d.loadAverage),
    d.status === 'met' ? 'met' : d.status === 'missed' ? `MISSED ${d.missedBars?.length ?? ''}`.trim() : 'NOT RUN',
  ]);
  out.push(
    ...table(
      [
        'drill',
        'fault target',
        'detection',
        'error-free after',
        'writes after',
        'failed GET/POST',
        'slow',
        'p99 fault window',
        'lost sessions',
        'posts missing',
        'load avg 1m',
        'bars',
      ],
      rows,
      3,
    ),
  );
  for (const d of r.drills) {
    if (d.status === 'did not run') out.push(`  ${d.drill}: did not run: ${d.reason ?? ''}`);
    for (const b of d.missedBars ?? []) out.push(`  ${d.drill}: MISSED ${b.name}: ${b.measured} (limit ${b.limit})`);
    const figures = d.figures ? figureRows(d.drill, d.figures) : [];
    if (figures.length > 1)
      out.push(`  ${d.drill}: ${figures.map((f) => `${f.label} ${f.value === null || f.value === undefined ? '-' : String(f.value)}`).join(', ')}`);
  }
  out.push('', ...renderAutoscaler(r.autoscaler));
  const others = [...new Set([...r.drills.flatMap((d) => d.otherClusters), ...('otherClusters' in r.autoscaler ? r.autoscaler.otherClusters : [])])].sort();
  out.push(
    '',
    `shared host: load avg 1m is the host's 1-minute load average over the phase, mean (max), on ${r.host.cpus} CPUs; other moodle-ha clusters running meanwhile: ${others.join(', ') || 'none'}`,
  );
  out.push(`time: drills ${r.timings.drillsSeconds} s, autoscaler ${r.timings.autoscalerSeconds} s, whole run ${r.timings.totalSeconds} s`);
  if (r.problems.length) out.push('', `FAILED: ${r.problems.length} problem(s):`, ...r.problems.map((p) => `  - ${p}`));
  return `${out.join('\n')}\n`;
}

function renderAutoscaler(a: FailoverResults['autoscaler']): string[] {
  if (!('settings' in a)) return ['autoscaler: not measured', ...a.problems.map((p) => `  ${p}`)];
  const s = a.settings;
  const out = [
    `autoscaler (runAutoscaler in-process, a decision every ${s.intervalSeconds} s): min ${s.min}, max ${s.max}, target ${s.targetRequestsPerNode} req/s per node, CPU ${s.targetCpuPercent}%, scale-out cooldown ${s.scaleOutCooldown}, scale-in cooldown ${s.scaleInCooldown}; each reaction at most ${s.limitSeconds} s; load avg 1m ${load(a.loadAverage)}`,
  ];
  const l = a.loadStep;
  const step = l ? `${s.loadUsers} users, no think time, ${l.requestsPerSecond} req/s for ${l.seconds} s, ${l.stepsFailed} failed steps` : 'not run';
  const so = a.scaleOut;
  out.push(
    so
      ? `  load step → new node serving    ${so.servingAfterSeconds === null ? 'never' : `${so.servingAfterSeconds} s`}  (scale-out ${so.from} → ${so.to} decided after ${so.decidedAfterSeconds} s; the scale-out itself ${so.actionSeconds} s: ${so.node} started, /readyz, into HAProxy; load step: ${step})`
      : `  load step → new node serving    no scale-out (load step: ${step})`,
  );
  const si = a.scaleIn;
  out.push(
    si
      ? `  idle → back to min (${si.to} nodes)  ${si.doneAfterSeconds} s  (scale-in ${si.from} → ${si.to} decided after ${si.decidedAfterSeconds} s; the scale-in itself ${si.actionSeconds} s: drain, out of HAProxy, stop)`
      : `  idle → back to min               ${so ? 'not within the limit' : 'not measured'}`,
  );
  if (so) out.push(`  scale-out decision: ${so.reason}`);
  if (si) out.push(`  scale-in decision: ${si.reason}`);
  return out;
}
