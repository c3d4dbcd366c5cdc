// The reference benchmark's tables: every measurement, then per workload the medians of the two
// paths with the ratios against the targets (requests per second ≥ 1.0×, CPU per request ≤ 1.0×),
// then Moodle's own figures per page on both paths, so the cost is explained, not guessed.
import { median } from '../load.ts';
import type { Measurement, PathName } from './measure.ts';
import type { PerfInfo } from './perf-info.ts';

export const TARGETS = { rps: 1.0, cpu: 1.0 } as const;

const r2 = (x: number) => Math.round(x * 100) / 100;

export interface Summary {
  readonly workload: string;
  readonly okPerSecond: Readonly<Record<PathName, number>>;
  readonly totalMs: Readonly<Record<PathName, number>>;
  readonly p95Ms: Readonly<Record<PathName, number>>;
  /** cluster / reference. */
  readonly rpsRatio: number;
  readonly cpuRatio: number;
  readonly p95Ratio: number;
}

/** Medians over the rounds that count (not the busy ones that were repeated). */
export function summarize(runs: readonly Measurement[]): Summary[] {
  const workloads = [...new Set(runs.map((r) => r.workload))];
  return workloads.map((workload) => {
    const of = (path: PathName, k: 'okPerSecond' | 'totalMs' | 'p95Ms') =>
      median(runs.filter((r) => r.workload === workload && r.path === path).map((r) => r[k]));
    const both = (k: 'okPerSecond' | 'totalMs' | 'p95Ms') => ({ cluster: of('cluster', k), reference: of('reference', k) });
    const ok = both('okPerSecond');
    const cpu = both('totalMs');
    const p95 = both('p95Ms');
    return {
      workload,
      okPerSecond: ok,
      totalMs: cpu,
      p95Ms: p95,
      rpsRatio: r2(ok.cluster / ok.reference),
      cpuRatio: r2(cpu.cluster / cpu.reference),
      p95Ratio: r2(p95.cluster / p95.reference),
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
    'medians, cluster / reference:',
    'workload       ok/s cluster reference  ratio (≥1.0)   CPU ms/ok cluster reference  ratio (≤1.0)   p95 ratio',
    ...sums.map(
      (s) =>
        `${s.workload.padEnd(14)} ${pad(s.okPerSecond.cluster.toFixed(1), 12)} ${pad(s.okPerSecond.reference.toFixed(1), 9)} ${pad(s.rpsRatio.toFixed(2), 6)} ${mark(s.rpsRatio >= TARGETS.rps).padEnd(7)} ${pad(s.totalMs.cluster.toFixed(2), 17)} ${pad(s.totalMs.reference.toFixed(2), 9)} ${pad(s.cpuRatio.toFixed(2), 6)} ${mark(s.cpuRatio <= TARGETS.cpu).padEnd(7)} ${pad(s.p95Ratio.toFixed(2), 9)}`,
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
