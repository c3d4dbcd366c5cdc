// How a load run is shown on a terminal: the live line every few seconds and the final table.
import type { LiveProgress, LoadResult } from './run.ts';
import { SLOW_STEP } from './stats.ts';

const ms = (x: number | null) => (x === null ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(1));

export function progressLine(p: LiveProgress, users: number): string {
  return `[${String(p.elapsedSeconds).padStart(4)}s] users ${p.activeUsers}/${users}  ok ${p.ok}  failed ${p.failed}  lost sessions ${p.lostSessions}  posts ${p.posts}  ${p.rps.toFixed(1)} req/s  p95 ${ms(p.p95Ms)} ms`;
}

export function formatTable(r: LoadResult): string {
  const head = ['step', 'method', 'ok', 'failed', 'p50 ms', 'p95 ms', 'p99 ms'];
  const rows = r.steps.map((s) => [s.step, s.method, String(s.ok), String(s.failed), ms(s.p50Ms), ms(s.p95Ms), ms(s.p99Ms)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const t = r.totals;
  const failures = r.steps.flatMap((s) => Object.entries(s.failures).map(([k, n]) => `${s.step}: ${n} ${k}`));
  return [
    `load on ${r.target} (cluster ${r.cluster}): ${r.options.users} users, ${r.elapsedSeconds} s (stopped by ${r.stoppedBy}), ${r.requests} requests (${(r.requests / Math.max(r.elapsedSeconds, 0.001)).toFixed(1)}/s)`,
    '',
    line(head),
    ...rows.map(line),
    '',
    `steps ok ${t.ok}, failed ${t.failed} (idempotent GET ${t.failedIdempotent}, non-idempotent POST ${t.failedNonIdempotent}; ${t.slow} of them slow: the page came after more than ${SLOW_STEP.seconds} s)`,
    `lost sessions: ${t.lostSessions}`,
    `forum posts acknowledged: ${r.posts.acknowledged}`,
    ...(failures.length ? [`failures: ${failures.join(', ')}`] : []),
    ...r.failures.slice(0, 5).map((f) => `  at ${(f.atMs / 1000).toFixed(1)} s ${f.step} ${f.kind}: ${f.detail}`),
  ].join('\n');
}
