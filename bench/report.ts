// The benchmark's results: their shape, the table printed on stdout and the JSON file written to
// bench/results/ (gitignored).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UpTiming } from './cluster.ts';
import type { ImageSize } from './image.ts';
import type { PlainInstall } from './install.ts';
import type { CpuUse } from './cpu.ts';
import { median, type LoadResult } from './load.ts';

export const TARGET_RATIO = 0.9;

/** One load measurement with the CPU used meanwhile. */
export type Measured = LoadResult & { readonly cpu: CpuUse /** CPU ms of the bench cluster's containers per 200 answer. */; readonly cpuMsPerRequest: number };

export interface PageResult {
  readonly page: string;
  readonly cluster: readonly Measured[];
  readonly direct: readonly Measured[];
  /** Medians over the rounds. */
  readonly clusterRps: number;
  readonly directRps: number;
  readonly clusterP95: number;
  readonly directP95: number;
  readonly clusterCpuMs: number;
  readonly directCpuMs: number;
  /** clusterRps / directRps. */
  readonly ratio: number;
  readonly met: boolean;
}

export interface BenchResults {
  readonly at: string;
  readonly host: { readonly cpus: number; readonly memoryGiB: number; readonly docker: string; readonly node: string };
  readonly cluster: string;
  readonly image: ImageSize;
  readonly webStart: { readonly runs: readonly number[]; readonly median: number };
  readonly up: UpTiming;
  readonly plainInstall: PlainInstall;
  readonly load: {
    readonly vus: number;
    readonly durationSeconds: number;
    readonly warmupSeconds: number;
    readonly rounds: number;
    readonly cronPaused: boolean;
    readonly directNoRedis: boolean;
    readonly pages: readonly PageResult[];
  };
  /** CPU that other work on the shared host used during the timed phases. */
  readonly otherCpu: Readonly<Record<'up' | 'plainInstall', CpuUse>>;
  readonly checks: Record<string, number | string>;
  readonly notes: readonly string[];
}

const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
const s = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)} s` : 'n/a');
const pad = (t: string, w: number) => (t.length >= w ? t : t + ' '.repeat(w - t.length));
const lpad = (t: string, w: number) => (t.length >= w ? t : ' '.repeat(w - t.length) + t);

/** Median CPU ms per 200 answer of each service's containers, e.g. "web 12.1 + lb 0.6 + db 1.9". */
function byService(runs: readonly Measured[]): string {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.cpu.byService)))].sort();
  const parts = keys.map((k) => [k, median(runs.map((r) => ((r.cpu.byService[k] ?? 0) * 1000) / r.ok))] as const).filter(([, v]) => !(v < 0.05));
  return parts.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(' + ') || 'n/a';
}

export function renderTable(r: BenchResults): string {
  const rows: Array<[string, string]> = [
    ['runtime image', r.image.tag],
    ['  uncompressed (image inspect Size)', `${mb(r.image.uncompressedBytes)} (${r.image.uncompressedBytes} B)`],
    [
      '  docker save | gzip (zlib level 6)',
      `${mb(r.image.savedGzipBytes)} (${r.image.savedGzipBytes} B; tar ${mb(r.image.savedTarBytes)}, ${r.image.gzipSeconds.toFixed(0)} s to stream)`,
    ],
    [
      `web container start → /healthz 200`,
      `${s(r.webStart.median)} median of ${r.webStart.runs.length} (${r.webStart.runs.map((x) => x.toFixed(2)).join(', ')})`,
    ],
    ['up (fresh state) → login page 200 via HAProxy', `${s(r.up.toLoginSeconds)} (up exited after ${s(r.up.upExitSeconds)})`],
    ['  migrate step, as up reported it', s(r.up.migrateStepSeconds)],
    ['  of which install (install_database.php)', s(r.up.migrateInstallSeconds)],
    [
      'plain install.php, same image, fresh prefix',
      `${s(r.plainInstall.seconds)} (migrate install / plain = ${(r.up.migrateInstallSeconds / r.plainInstall.seconds).toFixed(2)}×)`,
    ],
  ];
  const w = Math.max(...rows.map(([k]) => k.length)) + 2;
  const out = [`moodle-ha bench — ${r.at} — ${r.host.cpus} CPUs, ${r.host.memoryGiB} GiB, Docker ${r.host.docker}, Node ${r.host.node}`, ''];
  for (const [k, v] of rows) out.push(`${pad(k, w)}${v}`);
  const l = r.load;
  out.push(
    '',
    `requests/s and latency: ${l.vus} VUs (own cookie jar = own Moodle session each), ${l.durationSeconds} s per measurement, ${l.warmupSeconds} s warm-up per path, ${l.rounds} rounds alternating cluster/direct (ABBA), medians of the rounds${l.cronPaused ? '; cron paused' : ''}`,
  );
  out.push(
    `cluster = HAProxy → web-1 (Redis sessions + MUC); direct = same image, no LB, file sessions${l.directNoRedis ? ', MUC in files (no Redis)' : ', MUC in Redis'}; same FPM workers, memory, no CPU limit`,
    '',
  );
  const head = ['page', 'path', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'CPU ms/req', 'errors', 'rounds (req/s)'];
  const widths = [18, 8, 8, 8, 8, 8, 11, 7, 0];
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 && i <= 7 ? `${lpad(c, widths[i]!)} ` : pad(c, widths[i]!))).join('');
  out.push(line(head));
  for (const p of l.pages) {
    for (const path of ['cluster', 'direct'] as const) {
      const runs = p[path];
      const med = (f: (x: Measured) => number) => median(runs.map(f));
      out.push(
        line([
          path === 'cluster' ? p.page : '',
          path,
          med((x) => x.rps).toFixed(1),
          med((x) => x.p50).toFixed(0),
          med((x) => x.p95).toFixed(0),
          med((x) => x.p99).toFixed(0),
          med((x) => x.cpuMsPerRequest).toFixed(1),
          String(runs.reduce((a, x) => a + x.errors, 0)),
          runs.map((x) => x.rps.toFixed(1)).join(', '),
        ]),
      );
    }
    out.push(`${pad('', 18)}CPU ms/req by container: cluster ${byService(p.cluster)}; direct ${byService(p.direct)}`);
    out.push(
      `${pad('', 18)}ratio cluster/direct req/s: ${p.ratio.toFixed(2)}× (target ≥ ${TARGET_RATIO}×: ${p.met ? 'met' : 'NOT MET'}); p95 ${p.clusterP95.toFixed(0)} vs ${p.directP95.toFixed(0)} ms; CPU per request ${p.clusterCpuMs.toFixed(1)} vs ${p.directCpuMs.toFixed(1)} ms`,
    );
  }
  const shares = l.pages.flatMap((p) => [...p.cluster, ...p.direct]).map((m) => m.cpu.otherShare * 100);
  const pct = (x: number) => `${x.toFixed(0)}%`;
  out.push('', `CPU ms/req: CPU time of the bench cluster's containers (LB, web, DB, Redis) per 200 answer; less sensitive to a busy machine than req/s`);
  out.push(
    `other work on this shared host (share of all CPUs used outside the bench cluster's containers and the bench process with its CLI runs): during up ${pct(r.otherCpu.up.otherShare * 100)}, plain install ${pct(r.otherCpu.plainInstall.otherShare * 100)}, load measurements ${pct(Math.min(...shares))}–${pct(Math.max(...shares))}`,
  );
  out.push(
    `checks: ${Object.entries(r.checks)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  );
  for (const n of r.notes) out.push(`note: ${n}`);
  return `${out.join('\n')}\n`;
}

export function writeResults(r: BenchResults): string {
  return writeJson('bench', r.at, r);
}

/** Writes a benchmark's results to bench/results/<prefix>-<time>.json; returns the file. */
export function writeJson(prefix: string, at: string, data: unknown): string {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${prefix}-${at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}
