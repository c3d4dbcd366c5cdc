// The drill report's timeline chart as inline SVG: for each second of the run, a column of the
// steps that ended ok with the failed ones stacked on top; the fault and the point where the run
// was error-free again marked with dashed lines. Pure: the HTML report embeds what it returns.
import type { TimelinePoint } from '../load/stats.ts';

export const CHART = { width: 760, height: 260, left: 48, right: 12, top: 18, bottom: 34 } as const;

const num = (x: number) => String(Number(x.toFixed(1)));

/** The x of a time (seconds since the run started) on a chart of `seconds` one-second slots. */
export function chartX(t: number, seconds: number): number {
  const step = (CHART.width - CHART.left - CHART.right) / Math.max(1, seconds);
  return Number((CHART.left + t * step).toFixed(1));
}

/** Rounds up to 1, 2 or 5 times a power of ten (an axis maximum). */
function niceMax(x: number): number {
  if (x <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  return ([1, 2, 5, 10].find((m) => m * p >= x) ?? 10) * p;
}

export function renderTimelineSvg(timeline: readonly TimelinePoint[], faultAtSeconds: number, recoveredAtSeconds: number | null): string {
  const n = Math.max(1, timeline.length);
  const { width, height, left, top, bottom } = CHART;
  const plotH = height - top - bottom;
  const base = top + plotH;
  const max = niceMax(Math.max(1, ...timeline.map((p) => p.ok + p.failed)));
  const y = (v: number) => (v / max) * plotH;
  const slot = chartX(1, n) - chartX(0, n);
  const columnW = Math.max(1, slot * 0.8);
  const columns = timeline.map((p) => {
    const x = chartX(p.second, n) + (slot - columnW) / 2;
    const hOk = y(p.ok);
    const hFailed = y(p.failed);
    return (
      `<g><title>second ${p.second}: ${p.ok} ok, ${p.failed} failed</title>` +
      `<rect class="column-ok" x="${num(x)}" y="${num(base - hOk)}" width="${num(columnW)}" height="${num(hOk)}"/>` +
      `<rect class="column-failed" x="${num(x)}" y="${num(base - hOk - hFailed)}" width="${num(columnW)}" height="${num(hFailed)}"/></g>`
    );
  });
  const ticks: string[] = [];
  const every = n > 300 ? 60 : n > 120 ? 30 : 10;
  for (let s = 0; s <= n; s += every)
    ticks.push(
      `<line class="tick" x1="${chartX(s, n)}" x2="${chartX(s, n)}" y1="${base}" y2="${base + 4}"/><text x="${chartX(s, n)}" y="${base + 16}" text-anchor="middle">${s}s</text>`,
    );
  const marker = (cls: string, t: number, label: string) =>
    `<line class="${cls}" x1="${chartX(t, n)}" x2="${chartX(t, n)}" y1="${top - 6}" y2="${base}"/><text class="${cls}-label" x="${chartX(t, n) + 3}" y="${top + 4}">${label}</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="steps ok and failed per second">`,
    '<style>.column-ok{fill:#3a9d5d}.column-failed{fill:#d64545}.axis,.tick{stroke:#555}.fault-marker{stroke:#d64545;stroke-width:2;stroke-dasharray:4 3}.recovery-marker{stroke:#2f6fd6;stroke-width:2;stroke-dasharray:4 3}text{font:11px sans-serif;fill:#333}.fault-marker-label{fill:#d64545}.recovery-marker-label{fill:#2f6fd6}</style>',
    `<line class="axis" x1="${left}" x2="${width - CHART.right}" y1="${base}" y2="${base}"/>`,
    `<line class="axis" x1="${left}" x2="${left}" y1="${top}" y2="${base}"/>`,
    `<text x="${left - 6}" y="${top + 4}" text-anchor="end">${max}</text><text x="${left - 6}" y="${base}" text-anchor="end">0</text>`,
    ...columns,
    ...ticks,
    marker('fault-marker', faultAtSeconds, `fault ${num(faultAtSeconds)}s`),
    ...(recoveredAtSeconds === null ? [] : [marker('recovery-marker', recoveredAtSeconds, `error-free ${num(recoveredAtSeconds)}s`)]),
    '</svg>',
  ].join('\n');
}
