// The drill report: the inline SVG timeline, the self-contained HTML, the JSON file, the summary.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { renderHtml } from '../../../src/ops/drills/html.ts';
import { writeResultFiles } from '../../../src/ops/drills/result-files.ts';
import { DRILL_SCHEMA, type DrillResult } from '../../../src/ops/drills/result.ts';
import { formatSummary } from '../../../src/ops/drills/summary.ts';
import { CHART, chartX, renderTimelineSvg } from '../../../src/ops/drills/timeline-chart.ts';
import { sampleResult } from './sample-result.ts';
import { tempDir } from '../../support/temp.ts';

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;
const attr = (svg: string, cls: string, name: string) => Number(new RegExp(`<line class="${cls}" [^>]*${name}="([\\d.]+)"`).exec(svg)?.[1]);

describe('timeline chart (inline SVG)', () => {
  const r = sampleResult(60, 20.3);
  const svg = renderTimelineSvg(r.timeline, r.fault.atSeconds, r.recovery.recoveredAtSeconds);

  test('one ok column and one failed column per second of the run', () => {
    assert.equal(count(svg, /class="column-ok"/g), 60);
    assert.equal(count(svg, /class="column-failed"/g), 60);
    assert.equal(count(svg, /<title>second \d+:/g), 60);
  });

  test('the fault marker at the fault time, the recovery marker where the run was error-free again', () => {
    const plot = CHART.width - CHART.left - CHART.right;
    assert.equal(attr(svg, 'fault-marker', 'x1'), Number((CHART.left + (20.3 * plot) / 60).toFixed(1)));
    assert.equal(attr(svg, 'fault-marker', 'x1'), chartX(20.3, 60));
    assert.equal(r.recovery.recoveredAtSeconds, 23);
    assert.equal(attr(svg, 'recovery-marker', 'x1'), chartX(23, 60));
  });

  test('column x positions follow the seconds; failed columns are stacked on the ok columns', () => {
    const xs = [...svg.matchAll(/class="column-ok" x="([\d.]+)"/g)].map((m) => Number(m[1]));
    assert.ok(
      xs.every((x, i) => i === 0 || x > xs[i - 1]!),
      'increasing x',
    );
    const second20 =
      /<title>second 20: 6 ok, 2 failed<\/title><rect class="column-ok" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"\/><rect class="column-failed" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/.exec(
        svg,
      );
    assert.ok(second20, 'second 20 has its columns');
    const [okY, okH, failedY, failedH] = second20.slice(1).map(Number) as [number, number, number, number];
    assert.ok(okH > 0 && failedH > 0);
    assert.ok(Math.abs(failedY + failedH - okY) < 0.2, 'failed column sits on the ok column');
  });

  test('no recovery marker when the run never recovered', () => {
    const none = renderTimelineSvg(r.timeline, 20.3, null);
    assert.equal(count(none, /class="recovery-marker"/g), 0);
    assert.equal(count(none, /class="fault-marker"/g), 1);
  });
});

describe('HTML report', () => {
  const html = renderHtml(sampleResult());
  test('self-contained: no script, no external stylesheet, font or image', () => {
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<link|@import|url\(|src=/i);
    assert.deepEqual(
      [...html.matchAll(/https?:\/\/[^\s"']+/g)].map((m) => m[0]),
      ['http://www.w3.org/2000/svg'],
    );
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<svg [^>]*viewBox/);
  });
  test('shows the bars and escapes what came from outside', () => {
    assert.match(html, /error-free again<\/td><td>&lt;= 5 s<\/td><td>2\.7 s<\/td><td class="met">met/);
    assert.match(html, /HTTP 502 at \/my\/ &lt;script&gt;/);
    assert.match(html, /SIGKILL &lt;b&gt;/);
  });
  test('shows the p99 latency of the fault window and the slow steps', () => {
    assert.match(html, /<td>p99 latency in the fault window<\/td><td>5210 ms \(20\.3 to 24 s: 16 steps, 1 slow\)<\/td>/);
    assert.match(html, /<td>failed as slow \(the page came after more than 5 s\)<\/td><td>1<\/td>/);
    assert.match(html, /Fault window: from the fault&#39;s injection|Fault window: from the fault's injection/);
  });
  test("shows the drill's figures by their labels, and when the restore ran", () => {
    assert.match(html, /<td>seconds until HAProxy marked the node down<\/td><td>3\.7<\/td>/);
    assert.doesNotMatch(html, /lbMarkedDownSeconds/, 'keys are for code, labels for people');
    assert.match(html, /<b>Restore<\/b> after the run: start mhunit-web-2 \(took 9\.5 s/);
  });
});

describe('JSON file', () => {
  test('written under the output folder with the documented shape', () => {
    const dir = join(tempDir('drill-unit-'), 'out');
    const files = writeResultFiles(sampleResult(), dir);
    assert.deepEqual(readdirSync(dir).sort(), ['drill-web-loss-2026-11-25T01-00-00-000Z.html', 'drill-web-loss-2026-11-25T01-00-00-000Z.json']);
    const r = JSON.parse(readFileSync(files.json, 'utf8')) as DrillResult;
    assert.equal(r.schema, DRILL_SCHEMA);
    assert.deepEqual(Object.keys(r), [
      'schema',
      'drill',
      'cluster',
      'profile',
      'startedAt',
      'finishedAt',
      'host',
      'options',
      'fault',
      'restore',
      'steadyState',
      'load',
      'totals',
      'afterFault',
      'sessions',
      'posts',
      'recovery',
      'faultWindow',
      'figures',
      'inventory',
      'bars',
      'passed',
      'timeline',
      'failures',
    ]);
    assert.deepEqual(Object.keys(r.recovery), [
      'errorsAfterFault',
      'failedAfterFault',
      'lastFailedSecond',
      'recoveredAtSeconds',
      'seconds',
      'writesResumedSeconds',
      'definition',
    ]);
    assert.deepEqual(Object.keys(r.sessions), ['lost', 'writtenInLastSecondBeforeFault', 'lostBeyondThose']);
    assert.deepEqual(Object.keys(r.totals), ['ok', 'failed', 'failedIdempotent', 'failedNonIdempotent', 'slow', 'maintenance']);
    assert.deepEqual(Object.keys(r.faultWindow), ['fromSeconds', 'toSeconds', 'steps', 'slow', 'p99Ms', 'definition']);
    for (const b of r.bars) assert.deepEqual(Object.keys(b), ['name', 'limit', 'measured', 'met']);
    assert.deepEqual(r.figures, { lbMarkedDownSeconds: 3.7 }, 'figures by key');
    assert.deepEqual(Object.keys(r.restore), ['action', 'tookSeconds', 'detail', 'reason', 'failed']);
    assert.equal(r.timeline.length, 60);
    assert.equal(r.passed, true);
    assert.match(readFileSync(files.html, 'utf8'), /<svg/);
  });
});

test('summary: a line per drill, every bar, skipped drills with the reason', () => {
  const out = formatSummary([sampleResult()], [{ drill: 'db-writer-loss', reason: 'needs the ha profile' }]);
  const lines = out.split('\n');
  assert.match(lines[0]!, /^drill +ok +failed +GET\/POST failed +slow +lost sessions +posts missing +error-free after +writes after +p99 fault window +bars$/);
  assert.match(lines[1]!, /^web-loss +354 +4 +0\/4 +1 +0 +0\/30 +2\.7 s +4\.1 s +5210 ms +met$/);
  assert.match(out, /web-loss: kill -9 web node mhunit-web-2 at 20\.3 s; fault window 20\.3-24 s: 16 steps, 1 slow, p99 5210 ms;/);
  assert.match(lines[2]!, /^db-writer-loss( +-)+ +skipped$/);
  assert.match(out, /met {4}error-free again: 2\.7 s \(limit <= 5 s\)/);
  assert.match(out, /db-writer-loss: skipped: needs the ha profile/);
  assert.match(out, /web-loss: kill -9 web node mhunit-web-2 at 20\.3 s; fault window [^;]+; seconds until HAProxy marked the node down 3\.7/);
});
