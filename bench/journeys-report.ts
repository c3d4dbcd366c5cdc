// The journeys benchmark's results: medians per configuration, the ratios against the dev
// profile, the collapse check, the table printed on stdout (the JSON goes to bench/results/).
import type { LoadFixture } from '../src/ops/load/fixture.ts';
import type { FailureSample } from '../src/ops/load/stats.ts';
import type { JourneyRun, ConfigName, Config } from './journeys-measure.ts';
import { median } from './load.ts';

/** A configuration has collapsed when any of these holds. */
export const COLLAPSE = {
  /** Failed steps (lost sessions included) over all steps of its measurements. */
  failedShare: 0.01,
  /** Its median steps/s against dev's, below this. */
  minRatioToDev: 0.5,
} as const;

export interface Range {
  readonly min: number;
  readonly max: number;
}

export interface ConfigSummary {
  readonly config: ConfigName;
  readonly profile: string;
  readonly webNodes: number;
  /** Medians over the rounds. */
  readonly stepsPerSecond: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly cpuMsPerStep: number;
  /** Sums over the rounds. */
  readonly ok: number;
  readonly failed: number;
  readonly lostSessions: number;
  /** Times HAProxy's health check took a web node DOWN during a measurement. */
  readonly nodeDowns: number;
  /** Share of the requests each web node got (HAProxy counters, all rounds). */
  readonly requestsByNode: Readonly<Record<string, number>>;
  readonly otherShare: Range;
  readonly idleClusterShare: Range;
  readonly loadGeneratorShare: Range;
  readonly roundsStepsPerSecond: readonly number[];
  /** Why it counts as collapsed; empty when it did not. */
  readonly collapse: readonly string[];
}

export interface RatioToDev {
  readonly config: ConfigName;
  readonly stepsPerSecond: number;
  readonly p95: number;
  readonly cpuMsPerStep: number;
}

export interface ClusterFacts {
  readonly name: string;
  readonly profile: string;
  readonly runtimeImage: string;
  readonly upSeconds: number;
  readonly fixtureSeconds: number;
  readonly fixture: Pick<LoadFixture, 'course' | 'forum' | 'file'> & { readonly discussions: number; readonly users: number };
}

export interface JourneysResults {
  readonly schema: 'moodle-ha.bench-journeys/1';
  readonly at: string;
  readonly host: { readonly cpus: number; readonly memoryGiB: number; readonly docker: string; readonly node: string };
  readonly options: {
    readonly users: number;
    readonly durationSeconds: number;
    readonly warmupSeconds: number;
    readonly thinkSeconds: number;
    readonly rounds: number;
    readonly maxRequests: number;
    readonly cronPaused: boolean;
  };
  readonly clusters: Readonly<Record<'dev' | 'ha', ClusterFacts>>;
  readonly timings: { readonly measureSeconds: number; readonly totalSeconds: number };
  /** The configurations in the order they were measured. */
  readonly order: readonly ConfigName[];
  readonly summary: readonly ConfigSummary[];
  readonly ratios: readonly RatioToDev[];
  readonly runs: readonly JourneyRun[];
  readonly warmups: ReadonlyArray<{
    readonly config: ConfigName;
    readonly round: number;
    readonly stepsPerSecond: number;
    readonly failed: number;
    readonly failures: readonly FailureSample[];
  }>;
  readonly scaling: ReadonlyArray<{ readonly node: string; readonly action: string; readonly ms: number }>;
  readonly notes: readonly string[];
}

const range = (xs: readonly number[]): Range => ({ min: Math.min(...xs), max: Math.max(...xs) });
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

export function summarize(configs: readonly Config[], runs: readonly JourneyRun[]): { summary: ConfigSummary[]; ratios: RatioToDev[] } {
  const base = configs.map((c) => {
    const rs = runs.filter((r) => r.config === c.name);
    const med = (f: (r: JourneyRun) => number) => r1(median(rs.map(f)));
    const sum = (f: (r: JourneyRun) => number) => rs.reduce((a, r) => a + f(r), 0);
    const byNode: Record<string, number> = {};
    for (const r of rs) for (const [s, v] of Object.entries(r.lb)) byNode[s] = (byNode[s] ?? 0) + v.requests;
    const total = Object.values(byNode).reduce((a, b) => a + b, 0);
    for (const s of Object.keys(byNode)) byNode[s] = r2(byNode[s]! / Math.max(1, total));
    return {
      config: c.name,
      profile: c.profile,
      webNodes: c.nodes,
      stepsPerSecond: med((r) => r.stepsPerSecond),
      p50Ms: med((r) => r.p50Ms),
      p95Ms: med((r) => r.p95Ms),
      cpuMsPerStep: med((r) => r.cpuMsPerStep),
      ok: sum((r) => r.ok),
      failed: sum((r) => r.failed),
      lostSessions: sum((r) => r.lostSessions),
      nodeDowns: sum((r) => Object.values(r.lb).reduce((a, v) => a + v.downs, 0)),
      requestsByNode: byNode,
      otherShare: range(rs.map((r) => r.otherShare)),
      idleClusterShare: range(rs.map((r) => r.idleClusterShare)),
      loadGeneratorShare: range(rs.map((r) => r.loadGeneratorShare)),
      roundsStepsPerSecond: rs.map((r) => r.stepsPerSecond),
    };
  });
  const dev = base.find((s) => s.config === 'dev')!;
  const summary = base.map((s): ConfigSummary => {
    const collapse: string[] = [];
    const steps = s.ok + s.failed;
    if (s.failed > COLLAPSE.failedShare * steps) collapse.push(`${s.failed} of ${steps} steps failed (more than ${COLLAPSE.failedShare * 100}%)`);
    if (s.nodeDowns > 0) collapse.push(`HAProxy took a web node DOWN ${s.nodeDowns} time(s) while measuring`);
    if (s.stepsPerSecond < COLLAPSE.minRatioToDev * dev.stepsPerSecond) collapse.push(`steps/s below ${COLLAPSE.minRatioToDev}× dev's`);
    return { ...s, collapse };
  });
  const ratios = summary
    .filter((s) => s.config !== 'dev')
    .map((s) => ({
      config: s.config,
      stepsPerSecond: r2(s.stepsPerSecond / dev.stepsPerSecond),
      p95: r2(s.p95Ms / dev.p95Ms),
      cpuMsPerStep: r2(s.cpuMsPerStep / dev.cpuMsPerStep),
    }));
  return { summary, ratios };
}

const pct = (r: Range) => {
  if (!Number.isFinite(r.min) || !Number.isFinite(r.max)) return 'n/a';
  const [a, b] = [(r.min * 100).toFixed(0), (r.max * 100).toFixed(0)];
  return a === b ? `${a}%` : `${a}–${b}%`;
};
const num = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const LABEL: Record<ConfigName, string> = {
  dev: 'dev (1 web node, 1 MariaDB, 1 Redis)',
  'ha-1': 'ha-1 (1 web node)',
  'ha-2': 'ha-2 (2 web nodes)',
  'ha-3': 'ha-3 (3 web nodes)',
};

function table(head: readonly string[], rows: readonly (readonly string[])[], left = 1): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i < left ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

/** Median CPU ms per step of each service's containers, e.g. "web 60.1 + db 10.7 + redis 5.3". */
function byService(runs: readonly JourneyRun[]): string {
  const keys = [...new Set(runs.flatMap((x) => Object.keys(x.cpu.byService)))];
  const parts = keys
    .map((k) => [k, median(runs.map((x) => ((x.cpu.byService[k] ?? 0) * 1000) / x.ok))] as const)
    .filter(([, v]) => v >= 0.05)
    .sort((a, b) => b[1] - a[1]);
  return parts.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(' + ') || 'n/a';
}

/** p95 of each journey step per configuration (median over the rounds). */
function stepTable(r: JourneysResults): string[] {
  const steps = r.runs[0]?.steps.map((s) => s.step) ?? [];
  const p95 = (config: ConfigName, step: string) => {
    const xs = r.runs
      .filter((x) => x.config === config)
      .map((x) => x.steps.find((s) => s.step === step)?.p95Ms ?? null)
      .filter((x): x is number => x !== null);
    return xs.length ? median(xs).toFixed(0) : '-';
  };
  return table(
    ['p95 ms by step', ...r.summary.map((s) => s.config)],
    steps.map((step) => [step, ...r.summary.map((s) => p95(s.config, step))]),
  );
}

export function renderJourneys(r: JourneysResults): string {
  const o = r.options;
  const { dev, ha } = r.clusters;
  const f = dev.fixture;
  const out = [
    `moodle-ha bench journeys — ${r.at} — ${r.host.cpus} CPUs, ${r.host.memoryGiB} GiB, Docker ${r.host.docker}, Node ${r.host.node}`,
    '',
    `journey mix (moodle-ha load): log in (logintoken), dashboard, course, forum discussion, reply form + reply (sesskey), file download;`,
    `test course ${f.course.shortname} made by Moodle's generator on each cluster (${f.users} users, ${f.discussions} discussions, file ${f.file.bytes} B on dev, ${ha.fixture.file.bytes} B on ha);`,
    `${o.users} users (own generated user and session each), think ${o.thinkSeconds} s, ${o.durationSeconds} s per measurement after ${o.warmupSeconds} s warm-up, ${o.rounds} round(s) alternating`,
    `dev → ha-1 → ha-2 → ha-3, then back (ABBA), medians of the rounds${o.cronPaused ? '; cron paused on both clusters' : ''}; the replies of each run are deleted before the next`,
    `time: dev up ${num(dev.upSeconds)} s, ha up ${num(ha.upSeconds)} s, test data ${num(dev.fixtureSeconds)} + ${num(ha.fixtureSeconds)} s, measuring ${num(r.timings.measureSeconds)} s, whole run ${num(r.timings.totalSeconds)} s`,
    '',
    ...table(
      ['configuration', 'steps/s', 'p50 ms', 'p95 ms', 'failed', 'lost sess.', 'CPU ms/step', 'other work CPU', 'idle cluster CPU', 'rounds (steps/s)'],
      r.summary.map((s) => [
        LABEL[s.config],
        num(s.stepsPerSecond, 1),
        num(s.p50Ms),
        num(s.p95Ms),
        String(s.failed),
        String(s.lostSessions),
        num(s.cpuMsPerStep, 1),
        pct(s.otherShare),
        pct(s.idleClusterShare),
        s.roundsStepsPerSecond.map((x) => x.toFixed(1)).join(', '),
      ]),
    ),
    '',
    ...table(
      ['ratio to dev', 'steps/s', 'p95', 'CPU ms/step'],
      r.ratios.map((x) => [`${x.config} / dev`, `${x.stepsPerSecond.toFixed(2)}×`, `${x.p95.toFixed(2)}×`, `${x.cpuMsPerStep.toFixed(2)}×`]),
    ),
    '',
    ...stepTable(r),
    '',
    `steps/s: journey steps that worked (a page with its redirects) per second; p50/p95 over all steps that worked; failed includes lost sessions`,
    `CPU ms/step: CPU time of the measured cluster's containers (LB, web, DB, Redis, endpoints, Sentinels) per step; less disturbed by a busy machine than steps/s`,
    `other work CPU: share of all ${r.host.cpus} CPUs used outside both bench clusters and this process (range over the rounds); idle cluster CPU: the bench cluster not being measured`,
    `load generator (this process): ${pct(range(r.summary.flatMap((s) => [s.loadGeneratorShare.min, s.loadGeneratorShare.max])))} of the CPUs; it shares the cores with the cluster it measures`,
  ];
  for (const s of r.summary) out.push(`CPU ms/step by container at ${s.config}: ${byService(r.runs.filter((x) => x.config === s.config))}`);
  for (const s of r.summary.filter((x) => x.webNodes > 1))
    out.push(
      `requests by web node (HAProxy) at ${s.config}: ${Object.entries(s.requestsByNode)
        .map(([k, v]) => `${k.replace(/^.*-web-/, 'web-')} ${(v * 100).toFixed(0)}%`)
        .join(', ')}`,
    );
  const collapsed = r.summary.filter((s) => s.collapse.length);
  out.push(
    collapsed.length
      ? `COLLAPSE: ${collapsed.map((s) => `${s.config}: ${s.collapse.join('; ')}`).join(' | ')}`
      : `nothing collapsed: no configuration had more than ${COLLAPSE.failedShare * 100}% failed steps, a web node taken DOWN while measuring, or under ${COLLAPSE.minRatioToDev}× dev's steps/s`,
  );
  for (const n of r.notes) out.push(`note: ${n}`);
  return `${out.join('\n')}\n`;
}
