// A drill's self-contained HTML report: the bars, the figures (the drill's own by their labels),
// and the timeline chart (timeline-chart.ts). No script, no external font or stylesheet: the file
// opens in any browser, offline.
import { SLOW_STEP } from '../load/stats.ts';
import { figureRows } from './registry.ts';
import { RESTORED_AFTER, type DrillResult } from './result.ts';
import { ms } from './summary.ts';
import { renderTimelineSvg } from './timeline-chart.ts';

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const row = (cells: readonly string[], tag = 'td') => `<tr>${cells.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('')}</tr>`;

export function renderHtml(r: DrillResult): string {
  const fig = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
  const figures: Array<[string, string]> = [
    ['steps ok / failed', `${r.totals.ok} / ${r.totals.failed}`],
    [`failed as slow (the page came after more than ${SLOW_STEP.seconds} s)`, String(r.totals.slow)],
    ['failed idempotent (GET) / non-idempotent (POST)', `${r.totals.failedIdempotent} / ${r.totals.failedNonIdempotent}`],
    ['from the fault on: ok / failed', `${r.afterFault.ok} / ${r.afterFault.failed}`],
    ['lost sessions', `${r.sessions.lost} (sessions written in the last second before the fault: ${r.sessions.writtenInLastSecondBeforeFault})`],
    ['forum posts acknowledged / missing afterwards', `${r.posts.acknowledged} / ${r.posts.missing.length}`],
    ['error-free again after', r.recovery.seconds === null ? 'not within the run' : `${r.recovery.seconds} s`],
    [
      'p99 latency in the fault window',
      `${ms(r.faultWindow.p99Ms)} (${r.faultWindow.fromSeconds} to ${r.faultWindow.toSeconds} s: ${r.faultWindow.steps} steps, ${r.faultWindow.slow} slow)`,
    ],
    ['writes resumed after', r.recovery.writesResumedSeconds === null ? '-' : `${r.recovery.writesResumedSeconds} s`],
    ...figureRows(r.drill, r.figures).map((f) => [f.label, fig(f.value)] as [string, string]),
  ];
  const steady = (label: string, s: DrillResult['steadyState']['before']) =>
    `<p><b>${label}:</b> ${s.ok ? 'all checks pass' : `problems: ${escapeHtml(s.problems.join('; '))}`} (waited ${s.waitedSeconds} s)</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>moodle-ha drill ${escapeHtml(r.drill)} on ${escapeHtml(r.cluster)}</title>
<style>body{font:14px/1.4 sans-serif;margin:2em;max-width:60em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}.met{color:#1e7b3c;font-weight:bold}.missed{color:#b42020;font-weight:bold}code{background:#f3f3f3}</style>
</head><body>
<h1>Drill <code>${escapeHtml(r.drill)}</code>: ${r.passed ? '<span class="met">every bar met</span>' : '<span class="missed">a bar was missed</span>'}</h1>
<p>Cluster <b>${escapeHtml(r.cluster)}</b> (profile ${escapeHtml(r.profile)}), ${escapeHtml(r.startedAt)} to ${escapeHtml(r.finishedAt)}; ${r.options.users} users, think ${r.options.thinkSeconds} s, ${r.load.elapsedSeconds} s of load, ${r.load.requests} HTTP requests; host ${r.host.cpus} CPUs, Node ${escapeHtml(r.host.node)}.</p>
<p><b>Fault</b> at ${r.fault.atSeconds} s: ${escapeHtml(r.fault.action)} <code>${escapeHtml(r.fault.target)}</code> (took ${r.fault.tookSeconds} s; ${escapeHtml(r.fault.detail)}).<br>
<b>Restore</b> ${RESTORED_AFTER[r.restore.reason]}: ${escapeHtml(r.restore.action)}${r.restore.failed ? ' <span class="missed">FAILED</span>' : ''} (took ${r.restore.tookSeconds} s; ${escapeHtml(r.restore.detail)}).</p>
<h2>Bars</h2>
<table>${row(['bar', 'limit', 'measured', ''], 'th')}${r.bars.map((b) => `<tr><td>${escapeHtml(b.name)}</td><td>${escapeHtml(b.limit)}</td><td>${escapeHtml(b.measured)}</td><td class="${b.met ? 'met' : 'missed'}">${b.met ? 'met' : 'missed'}</td></tr>`).join('')}</table>
<h2>Timeline</h2>
<p>Steps (pages with their redirects) that ended in each second: <span style="color:#3a9d5d">ok</span>, <span style="color:#d64545">failed</span>. Red dashed line: the fault; blue: error-free again.</p>
${renderTimelineSvg(r.timeline, r.fault.atSeconds, r.recovery.recoveredAtSeconds)}
<p><small>Error-free again: ${escapeHtml(r.recovery.definition)}. Fault window: ${escapeHtml(r.faultWindow.definition)}.</small></p>
<h2>Figures</h2>
<table>${figures.map(([k, v]) => row([k, v])).join('')}</table>
${steady('Steady state before', r.steadyState.before)}${steady('Steady state after', r.steadyState.after)}
<h2>Steps</h2>
<table>${row(['step', 'method', 'ok', 'failed', 'p50 ms', 'p95 ms', 'failures'], 'th')}${r.load.steps
    .map((s) =>
      row([
        s.step,
        s.method,
        String(s.ok),
        String(s.failed),
        fig(s.p50Ms),
        fig(s.p95Ms),
        Object.entries(s.failures)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      ]),
    )
    .join('')}</table>
${
  r.failures.length
    ? `<h2>First failures</h2><table>${row(['at s', 'step', 'kind', 'detail'], 'th')}${r.failures
        .slice(0, 30)
        .map((f) => row([(f.atMs / 1000).toFixed(2), f.step, f.kind, f.detail]))
        .join('')}</table>`
    : ''
}
</body></html>
`;
}
