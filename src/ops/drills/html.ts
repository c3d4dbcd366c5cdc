// A drill's self-contained HTML report: the bars, the figures, and the timeline as inline SVG
// (steps ok and failed per second, stacked; the fault and the recovery point marked). No script,
// no external font or stylesheet: the file opens in any browser, offline.
import type { TimelinePoint } from '../load/stats.ts';
import type { DrillResult } from './result.ts';

export const CHART = { width: 760, height: 260, left: 48, right: 12, top: 18, bottom: 34 } as const;

const num = (x: number) => String(Number(x.toFixed(1)));

/** The x of a time (seconds since the run started) on a chart of `seconds` one-second slots. */
export function chartX(t: number, seconds: number): number {
  const step = (CHART.width - CHART.left - CHART.right) / Math.max(1, seconds);
  return Number((CHART.left + t * step).toFixed(1));
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
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
  const barW = Math.max(1, slot * 0.8);
  const bars = timeline.map((p) => {
    const x = chartX(p.second, n) + (slot - barW) / 2;
    const hOk = y(p.ok);
    const hFailed = y(p.failed);
    return `<g><title>second ${p.second}: ${p.ok} ok, ${p.failed} failed</title>` +
      `<rect class="bar-ok" x="${num(x)}" y="${num(base - hOk)}" width="${num(barW)}" height="${num(hOk)}"/>` +
      `<rect class="bar-failed" x="${num(x)}" y="${num(base - hOk - hFailed)}" width="${num(barW)}" height="${num(hFailed)}"/></g>`;
  });
  const ticks: string[] = [];
  const every = n > 300 ? 60 : n > 120 ? 30 : 10;
  for (let s = 0; s <= n; s += every) ticks.push(`<line class="tick" x1="${chartX(s, n)}" x2="${chartX(s, n)}" y1="${base}" y2="${base + 4}"/><text x="${chartX(s, n)}" y="${base + 16}" text-anchor="middle">${s}s</text>`);
  const marker = (cls: string, t: number, label: string) =>
    `<line class="${cls}" x1="${chartX(t, n)}" x2="${chartX(t, n)}" y1="${top - 6}" y2="${base}"/><text class="${cls}-label" x="${chartX(t, n) + 3}" y="${top + 4}">${label}</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="steps ok and failed per second">`,
    '<style>.bar-ok{fill:#3a9d5d}.bar-failed{fill:#d64545}.axis,.tick{stroke:#555}.fault-marker{stroke:#d64545;stroke-width:2;stroke-dasharray:4 3}.recovery-marker{stroke:#2f6fd6;stroke-width:2;stroke-dasharray:4 3}text{font:11px sans-serif;fill:#333}.fault-marker-label{fill:#d64545}.recovery-marker-label{fill:#2f6fd6}</style>',
    `<line class="axis" x1="${left}" x2="${width - CHART.right}" y1="${base}" y2="${base}"/>`,
    `<line class="axis" x1="${left}" x2="${left}" y1="${top}" y2="${base}"/>`,
    `<text x="${left - 6}" y="${top + 4}" text-anchor="end">${max}</text><text x="${left - 6}" y="${base}" text-anchor="end">0</text>`,
    ...bars,
    ...ticks,
    marker('fault-marker', faultAtSeconds, `fault ${num(faultAtSeconds)}s`),
    ...(recoveredAtSeconds === null ? [] : [marker('recovery-marker', recoveredAtSeconds, `error-free ${num(recoveredAtSeconds)}s`)]),
    '</svg>',
  ].join('\n');
}

const row = (cells: readonly string[], tag = 'td') => `<tr>${cells.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('')}</tr>`;

export function renderHtml(r: DrillResult): string {
  const fig = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
  const figures: Array<[string, string]> = [
    ['steps ok / failed', `${r.totals.ok} / ${r.totals.failed}`],
    ['failed idempotent (GET) / non-idempotent (POST)', `${r.totals.failedIdempotent} / ${r.totals.failedNonIdempotent}`],
    ['from the fault on: ok / failed', `${r.afterFault.ok} / ${r.afterFault.failed}`],
    ['lost sessions', `${r.sessions.lost} (sessions written in the last second before the fault: ${r.sessions.writtenInLastSecondBeforeFault})`],
    ['forum posts acknowledged / missing afterwards', `${r.posts.acknowledged} / ${r.posts.missing.length}`],
    ['error-free again after', r.recovery.seconds === null ? 'not within the run' : `${r.recovery.seconds} s`],
    ['writes resumed after', r.recovery.writesResumedSeconds === null ? '-' : `${r.recovery.writesResumedSeconds} s`],
    ...Object.entries(r.figures).map(([k, v]) => [k, fig(v)] as [string, string]),
  ];
  const steady = (label: string, s: DrillResult['steadyState']['before']) => `<p><b>${label}:</b> ${s.ok ? 'all checks pass' : `problems: ${escapeHtml(s.problems.join('; '))}`} (waited ${s.waitedSeconds} s)</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>moodle-ha drill ${escapeHtml(r.drill)} on ${escapeHtml(r.cluster)}</title>
<style>body{font:14px/1.4 sans-serif;margin:2em;max-width:60em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}.met{color:#1e7b3c;font-weight:bold}.missed{color:#b42020;font-weight:bold}code{background:#f3f3f3}</style>
</head><body>
<h1>Drill <code>${escapeHtml(r.drill)}</code>: ${r.passed ? '<span class="met">every bar met</span>' : '<span class="missed">a bar was missed</span>'}</h1>
<p>Cluster <b>${escapeHtml(r.cluster)}</b> (profile ${escapeHtml(r.profile)}), ${escapeHtml(r.startedAt)} to ${escapeHtml(r.finishedAt)}; ${r.options.users} users, think ${r.options.thinkSeconds} s, ${r.load.elapsedSeconds} s of load, ${r.load.requests} HTTP requests; host ${r.host.cpus} CPUs, Node ${escapeHtml(r.host.node)}.</p>
<p><b>Fault</b> at ${r.fault.atSeconds} s: ${escapeHtml(r.fault.action)} <code>${escapeHtml(r.fault.target)}</code> (took ${r.fault.tookSeconds} s; ${escapeHtml(r.fault.detail)}).<br>
<b>Restore</b>: ${escapeHtml(r.restore.action)} (took ${r.restore.tookSeconds} s; ${escapeHtml(r.restore.detail)}).</p>
<h2>Bars</h2>
<table>${row(['bar', 'limit', 'measured', ''], 'th')}${r.bars.map((b) => `<tr><td>${escapeHtml(b.name)}</td><td>${escapeHtml(b.limit)}</td><td>${escapeHtml(b.measured)}</td><td class="${b.met ? 'met' : 'missed'}">${b.met ? 'met' : 'missed'}</td></tr>`).join('')}</table>
<h2>Timeline</h2>
<p>Steps (pages with their redirects) that ended in each second: <span style="color:#3a9d5d">ok</span>, <span style="color:#d64545">failed</span>. Red dashed line: the fault; blue: error-free again.</p>
${renderTimelineSvg(r.timeline, r.fault.atSeconds, r.recovery.recoveredAtSeconds)}
<p><small>Error-free again: ${escapeHtml(r.recovery.definition)}.</small></p>
<h2>Figures</h2>
<table>${figures.map(([k, v]) => row([k, v])).join('')}</table>
${steady('Steady state before', r.steadyState.before)}${steady('Steady state after', r.steadyState.after)}
<h2>Steps</h2>
<table>${row(['step', 'method', 'ok', 'failed', 'p50 ms', 'p95 ms', 'failures'], 'th')}${r.load.steps.map((s) => row([s.step, s.method, String(s.ok), String(s.failed), fig(s.p50Ms), fig(s.p95Ms), Object.entries(s.failures).map(([k, v]) => `${k} ${v}`).join(', ')])).join('')}</table>
${r.failures.length ? `<h2>First failures</h2><table>${row(['at s', 'step', 'kind', 'detail'], 'th')}${r.failures.slice(0, 30).map((f) => row([(f.atMs / 1000).toFixed(2), f.step, f.kind, f.detail])).join('')}</table>` : ''}
</body></html>
`;
}
