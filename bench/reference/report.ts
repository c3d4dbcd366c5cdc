// The reference benchmark's tables: every measurement, then per workload the medians of the two
// paths and the ratios against the targets (requests per second ≥ 1.0×, CPU per request ≤ 1.0×),
// then Moodle's own figures per page on both paths, so the cost is explained, not guessed.
//
// A ratio is paired: each round measures both paths back to back, so a round's ratio cancels what
// the machine did to both in it (this shared machine's CPU per page moved up to 47 % between rounds),
// and the ratio shown is the geometric mean of the rounds' ratios. The ratio of the two paths' medians,
// which mixes rounds, moved more from run to run: dashboard CPU 1.03, 0.94, 1.08 in runs 12-14 of
// December 2026, paired 1.02, 1.00, 1.03; course 1.04, 1.07, 1.02 against 1.05, 1.05, 1.05.
import { median } from '../load.ts';
import type { Measurement, PathName } from './measure.ts';
import type { PerfInfo } from './perf-info.ts';

export const TARGETS = { rps: 1.0, cpu: 1.0 } as const;

const r2 = (x: number) => Math.round(x * 100) / 100;

type Figure = 'okPerSecond' | 'totalMs' | 'p95Ms';

export interface Summary {
  readonly workload: string;
  /** Each path's median over the rounds. */
  readonly okPerSecond: Readonly<Record<PathName, number>>;
  readonly totalMs: Readonly<Record<PathName, number>>;
  readonly p95Ms: Readonly<Record<PathName, number>>;
  /** cluster / reference, paired: the geometric mean of the rounds' ratios (pairedRatio). */
  readonly rpsRatio: number;
  readonly cpuRatio: number;
  readonly p95Ratio: number;
  /** The rounds' CPU ratios, in round order: the spread the paired ratio is the mean of. */
  readonly cpuRatioByRound: readonly number[];
}

/**
 * cluster / reference of `k`, paired by round: the geometric mean of the ratios of the rounds that
 * measured both paths (NaN when none did). A kept busy round is one round (reference.ts runs a busy
 * round again whole). Pure.
 */
export function pairedRatio(runs: readonly Measurement[], workload: string, k: Figure): { ratio: number; byRound: number[] } {
  const of = (path: PathName) => new Map(runs.filter((r) => r.workload === workload && r.path === path).map((r) => [r.round, r[k]]));
  const cluster = of('cluster');
  const reference = of('reference');
  const byRound = [...cluster.keys()]
    .sort((a, b) => a - b)
    .filter((round) => reference.has(round) && reference.get(round)! > 0 && cluster.get(round)! > 0)
    .map((round) => cluster.get(round)! / reference.get(round)!);
  const ratio = byRound.length ? Math.exp(byRound.reduce((sum, x) => sum + Math.log(x), 0) / byRound.length) : NaN;
  return { ratio, byRound };
}

/** Per workload, over the rounds that count (not the busy ones that were repeated). */
export function summarize(runs: readonly Measurement[]): Summary[] {
  const workloads = [...new Set(runs.map((r) => r.workload))];
  return workloads.map((workload) => {
    const of = (path: PathName, k: Figure) => median(runs.filter((r) => r.workload === workload && r.path === path).map((r) => r[k]));
    const both = (k: Figure) => ({ cluster: of('cluster', k), reference: of('reference', k) });
    const cpu = pairedRatio(runs, workload, 'totalMs');
    return {
      workload,
      okPerSecond: both('okPerSecond'),
      totalMs: both('totalMs'),
      p95Ms: both('p95Ms'),
      rpsRatio: r2(pairedRatio(runs, workload, 'okPerSecond').ratio),
      cpuRatio: r2(cpu.ratio),
      p95Ratio: r2(pairedRatio(runs, workload, 'p95Ms').ratio),
      cpuRatioByRound: cpu.byRound.map(r2),
    };
  });
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

export function renderRuns(runs: readonly Measurement[]): string[] {
  return [
    'workload       path       round   ok/s  p95 ms failed  CPU ms/ok: containers + engine = total  other work',
    ...runs.map(
      (r) =>
        `${r.workload.padEnd(14)} ${r.path.padEnd(10)} ${pad(r.round, 5)} ${pad(r.okPerSecond.toFixed(1), 6)} ${pad(r.p95Ms.toFixed(0), 7)} ${pad(r.failed, 6)} ${pad(r.containerMs.toFixed(2), 21)} + ${pad(r.engineMs.toFixed(2), 6)} = ${pad(r.totalMs.toFixed(2), 5)} ${pad(`${(r.otherShare * 100).toFixed(0)}%`, 11)}`,
    ),
  ];
}

export function renderSummary(sums: readonly Summary[]): string[] {
  const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');
  return [
    "medians of each path; ratios cluster / reference paired by round (the geometric mean of the rounds' ratios):",
    'workload       ok/s cluster reference  ratio (≥1.0)   CPU ms/ok cluster reference  ratio (≤1.0)   p95 ratio  CPU ratio by round',
    ...sums.map(
      (s) =>
        `${s.workload.padEnd(14)} ${pad(s.okPerSecond.cluster.toFixed(1), 12)} ${pad(s.okPerSecond.reference.toFixed(1), 9)} ${pad(s.rpsRatio.toFixed(2), 6)} ${mark(s.rpsRatio >= TARGETS.rps).padEnd(7)} ${pad(s.totalMs.cluster.toFixed(2), 17)} ${pad(s.totalMs.reference.toFixed(2), 9)} ${pad(s.cpuRatio.toFixed(2), 6)} ${mark(s.cpuRatio <= TARGETS.cpu).padEnd(7)} ${pad(s.p95Ratio.toFixed(2), 9)}  ${s.cpuRatioByRound.map((x) => x.toFixed(2)).join(', ')}`,
    ),
  ];
}

/**
 * Where each path's CPU per success went, medians over the rounds: each container (by service
 * label) on the path, and the engine. Services under 0.05 ms per success are left out.
 */
export function renderCpuSplit(runs: readonly Measurement[], onPath: (path: PathName, service: string) => boolean): string[] {
  const lines = ['CPU ms per success by container (medians; the engine: dockerd, containerd, shims, docker-proxy):'];
  for (const workload of [...new Set(runs.map((r) => r.workload))]) {
    for (const path of ['cluster', 'reference'] as const) {
      const of = runs.filter((r) => r.workload === workload && r.path === path);
      const services = [...new Set(of.flatMap((r) => Object.keys(r.byService)))].filter((sv) => onPath(path, sv)).sort();
      const parts = services
        .map((sv) => [sv, median(of.map((r) => ((r.byService[sv] ?? 0) * 1000) / Math.max(1, r.ok)))] as const)
        .filter(([, ms]) => ms >= 0.05)
        .map(([sv, ms]) => `${sv} ${ms.toFixed(2)}`);
      lines.push(`${workload.padEnd(14)} ${path.padEnd(10)} ${[...parts, `engine ${median(of.map((r) => r.engineMs)).toFixed(2)}`].join(', ')}`);
    }
  }
  return lines;
}

function stores(p: PerfInfo): string {
  return p.stores.map((s) => `${s.store} ${s.hits}/${s.misses}/${s.sets}`).join(', ') || '(none)';
}

export function renderPerf(perf: Readonly<Record<PathName, Readonly<Record<string, PerfInfo>>>>): string[] {
  const pages = Object.keys(perf.cluster);
  const lines = ["Moodle's figures per page ($CFG->perfdebug, medians of the fetches): time, included files, DB reads/writes, cache stores hits/misses/sets"];
  for (const page of pages) {
    for (const path of ['cluster', 'reference'] as const) {
      const p = perf[path][page];
      if (!p) continue;
      lines.push(
        `${page.padEnd(11)} ${path.padEnd(10)} ${pad((p.seconds * 1000).toFixed(0), 5)} ms ${pad(p.includedFiles, 5)} files  DB ${pad(`${p.dbReads}/${p.dbWrites}`, 7)}  ${stores(p)}`,
      );
    }
  }
  return lines;
}
