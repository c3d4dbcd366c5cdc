// The reference benchmark's summary: each path's medians, and ratios paired by round.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Measurement, PathName } from '../../../bench/reference/measure.ts';
import { pairedRatio, renderSummary, summarize } from '../../../bench/reference/report.ts';

const m = (workload: string, path: PathName, round: number, totalMs: number, okPerSecond = 10, p95Ms = 100): Measurement => ({
  workload,
  path,
  round,
  okPerSecond,
  p95Ms,
  ok: okPerSecond * 30,
  failed: 0,
  containerMs: totalMs - 1,
  engineMs: 1,
  totalMs,
  byService: {},
  otherShare: 0.02,
});

describe('pairedRatio', () => {
  test("the geometric mean of the rounds' ratios, each round's two paths paired whatever their order in the list", () => {
    const runs = [m('course', 'reference', 2, 100), m('course', 'cluster', 1, 110), m('course', 'cluster', 2, 90), m('course', 'reference', 1, 100)];
    const r = pairedRatio(runs, 'course', 'totalMs');
    assert.deepEqual(r.byRound, [1.1, 0.9]);
    assert.ok(Math.abs(r.ratio - Math.sqrt(1.1 * 0.9)) < 1e-12, String(r.ratio));
  });

  test("a round's ratio cancels what the machine did to both paths in it; the ratio of medians mixes rounds", () => {
    // The dashboard's CPU ms per page in run 14 (December 2026, 6 rounds): the machine's speed moved
    // up to 47 % between rounds, and whichever path went first in a round paid more.
    const cluster = [87.05, 113.83, 101.94, 105.56, 92.92, 84.84];
    const reference = [81.74, 126.49, 86.9, 108.27, 76.45, 92.86];
    const runs = cluster.flatMap((c, i) => [m('dashboard', 'cluster', i + 1, c), m('dashboard', 'reference', i + 1, reference[i]!)]);
    const [s] = summarize(runs);
    assert.deepEqual(s!.cpuRatioByRound, [1.06, 0.9, 1.17, 0.97, 1.22, 0.91]);
    assert.equal(s!.cpuRatio, 1.03);
    assert.equal(Math.round((s!.totalMs.cluster / s!.totalMs.reference) * 100) / 100, 1.08, 'the ratio of the medians (97.43 / 89.88)');
  });

  test('a round that measured one path only is left out; none measured both: NaN', () => {
    const runs = [m('login', 'cluster', 1, 20), m('login', 'reference', 1, 25), m('login', 'cluster', 2, 40)];
    assert.deepEqual(pairedRatio(runs, 'login', 'totalMs').byRound, [0.8]);
    assert.ok(Number.isNaN(pairedRatio([m('login', 'cluster', 1, 20)], 'login', 'totalMs').ratio));
    assert.deepEqual(pairedRatio(runs, 'front', 'totalMs').byRound, [], 'another workload is not mixed in');
  });
});

describe('summarize and renderSummary', () => {
  const runs = [
    m('course', 'cluster', 1, 110, 9, 120),
    m('course', 'reference', 1, 100, 10, 100),
    m('course', 'reference', 2, 200, 5, 300),
    m('course', 'cluster', 2, 180, 6, 240),
  ];

  test("each path's medians, the paired ratios and the rounds' CPU ratios", () => {
    const [s] = summarize(runs);
    assert.deepEqual(s!.totalMs, { cluster: 145, reference: 150 });
    assert.deepEqual(s!.okPerSecond, { cluster: 7.5, reference: 7.5 });
    assert.equal(s!.cpuRatio, Math.round(Math.sqrt(1.1 * 0.9) * 100) / 100);
    assert.equal(s!.rpsRatio, Math.round(Math.sqrt(0.9 * 1.2) * 100) / 100);
    assert.equal(s!.p95Ratio, Math.round(Math.sqrt(1.2 * 0.8) * 100) / 100);
    assert.deepEqual(s!.cpuRatioByRound, [1.1, 0.9]);
  });

  test('the table marks each target met or missed by the paired ratio, and lists the rounds', () => {
    const line = renderSummary(summarize(runs)).find((l) => l.startsWith('course'));
    assert.ok(line);
    // CPU 0.99 (≤ 1.0): met; ok/s 1.04 (≥ 1.0): met.
    assert.match(line, /\s1\.04 met\s+145\.00\s+150\.00\s+0\.99 met\s+0\.98\s+1\.10, 0\.90$/);
    const worse = renderSummary(summarize(runs.map((r) => (r.path === 'cluster' ? { ...r, totalMs: r.totalMs * 1.2 } : r)))).find((l) =>
      l.startsWith('course'),
    );
    assert.match(worse!, /1\.19 MISSED/);
  });
});
