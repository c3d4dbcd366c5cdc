// The drills' summary on stdout: one line per drill with the figures that matter, then each bar.
import { figureRows } from './registry.ts';
import type { DrillResult } from './result.ts';

export interface Skipped {
  readonly drill: string;
  readonly reason: string;
}

const s = (x: number | null) => (x === null ? 'never' : `${x} s`);
/** A latency in ms for a cell: "5210 ms", "-" when no step ended in the window. */
export const ms = (x: number | null) => (x === null ? '-' : `${Math.round(x)} ms`);

export function formatSummary(results: readonly DrillResult[], skipped: readonly Skipped[] = []): string {
  const head = [
    'drill',
    'ok',
    'failed',
    'GET/POST failed',
    'slow',
    'lost sessions',
    'posts missing',
    'error-free after',
    'writes after',
    'p99 fault window',
    'bars',
  ];
  const rows = results.map((r) => [
    r.drill,
    String(r.totals.ok),
    String(r.totals.failed),
    `${r.totals.failedIdempotent}/${r.totals.failedNonIdempotent}`,
    String(r.totals.slow),
    `${r.sessions.lost}${r.sessions.writtenInLastSecondBeforeFault ? ` (${r.sessions.writtenInLastSecondBeforeFault} new <1 s before)` : ''}`,
    `${r.posts.missing.length}/${r.posts.acknowledged}`,
    s(r.recovery.seconds),
    s(r.recovery.writesResumedSeconds),
    ms(r.faultWindow.p99Ms),
    r.passed ? 'met' : `MISSED ${r.bars.filter((b) => !b.met).length}`,
  ]);
  for (const k of skipped) rows.push([k.drill, ...head.slice(2).map(() => '-'), 'skipped']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const details = results.flatMap((r) => [
    '',
    `${r.drill}: ${r.fault.action} ${r.fault.target} at ${r.fault.atSeconds} s; fault window ${r.faultWindow.fromSeconds}-${r.faultWindow.toSeconds} s: ${r.faultWindow.steps} steps, ${r.faultWindow.slow} slow, p99 ${ms(r.faultWindow.p99Ms)}; ${figureRows(
      r.drill,
      r.figures,
    )
      .map((f) => `${f.label} ${f.value === null || f.value === undefined ? '-' : String(f.value)}`)
      .join(', ')}`,
    ...r.bars.map((b) => `  ${b.met ? 'met   ' : 'MISSED'} ${b.name}: ${b.measured} (limit ${b.limit})`),
  ]);
  return [line(head), ...rows.map(line), ...details, ...skipped.map((k) => `\n${k.drill}: skipped: ${k.reason}`)].join('\n');
}
