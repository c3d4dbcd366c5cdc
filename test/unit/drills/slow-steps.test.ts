// Issue 9's accounting rules for the drills: a step slower than SLOW_STEP (5 s) is a failure
// wherever failures are counted (stalls hide outages), the p99 latency is taken over the fault
// window only, and db-writer-loss has a bar on failed requests.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DB_WRITER_LOSS_MAX_FAILED } from '../../../src/ops/drills/catalog/db-writer-loss.ts';
import { faultWindow, latencyIn, recoveryFrom, sessionsWrittenBefore, writesResumedSeconds } from '../../../src/ops/drills/recovery.ts';
import { drillNamed } from '../../../src/ops/drills/registry.ts';
import { Recorder, SLOW_STEP, type StepSample } from '../../../src/ops/load/stats.ts';
import { cleanMeasured } from './measured.ts';

const step = (at: number, ms: number, ok = true, name: StepSample['step'] = 'course'): StepSample => ({ step: name, ok, at, ms, requests: 1 });

describe('a step slower than SLOW_STEP is a failure', () => {
  test('the threshold is 5 s, one typed constant', () => assert.deepEqual(SLOW_STEP, { seconds: 5 }));

  test('the recorder counts a 5.2 s page as failed ("slow"), keeps its latency, and passes it on as failed', () => {
    const seen: StepSample[] = [];
    const r = new Recorder((s) => seen.push(s));
    r.record(step(1000, 5200));
    r.record(step(1100, 5000)); // exactly 5 s: not slower
    r.record(step(1200, 4900));
    assert.deepEqual(r.totals(), { ok: 2, failed: 1, failedIdempotent: 1, failedNonIdempotent: 0, slow: 1, maintenance: 0 });
    const course = r.steps().find((s) => s.step === 'course')!;
    assert.deepEqual(course.failures, { slow: 1 });
    assert.equal(course.maxMs, 5200, 'the page came: its latency counts in the percentiles');
    assert.deepEqual(
      seen.map((s) => [s.ok, s.kind]),
      [
        [false, 'slow'],
        [true, undefined],
        [true, undefined],
      ],
    );
    assert.match(r.failureSamples[0]!.detail, /after 5\.2 s \(more than 5 s counts as failed\)/);
    assert.deepEqual(r.timeline(1), [
      { second: 0, ok: 0, failed: 0, requests: 0 },
      { second: 1, ok: 2, failed: 1, requests: 3 },
    ]);
  });

  test('a 5.2 s request in an otherwise recovered window makes it not error-free', () => {
    const r = new Recorder();
    for (let sec = 0; sec < 40; sec++) for (let i = 0; i < 4; i++) r.record(step(sec * 1000 + 100 + i * 200, 150));
    const before = recoveryFrom(r.timeline(39), 20.3);
    assert.equal(before.seconds, 0, 'every step quick: error-free from the fault on');
    r.record(step(26_400, 5200)); // started 21.2 s, answered after 5.2 s
    const after = recoveryFrom(r.timeline(39), 20.3);
    assert.deepEqual(after, { errorsAfterFault: true, failedAfterFault: 1, lastFailedSecond: 26, recoveredAtSeconds: 27, seconds: 6.7 });
  });

  test('a slow write is not a resumed write', () => {
    const seen: StepSample[] = [];
    const r = new Recorder((s) => seen.push(s));
    r.record(step(27_000, 5500, true, 'reply'));
    r.record(step(29_000, 300, true, 'reply'));
    assert.equal(writesResumedSeconds(seen, 20_000), 9);
  });

  test('a slow login still wrote its session (cache-primary-loss may lose it)', () => {
    const seen: StepSample[] = [];
    const r = new Recorder((s) => seen.push(s));
    r.record(step(19_500, 5300, true, 'login'));
    r.record(step(19_600, 5300, false, 'login'));
    assert.equal(sessionsWrittenBefore(seen, 20_000), 1);
  });

  test('a slow step fails a bar on failed requests (scale-in: 0 failed)', () => {
    const r = new Recorder();
    r.record(step(1000, 200));
    r.record(step(2000, 5200));
    const bars = drillNamed('scale-in').bars({ ...cleanMeasured, failed: r.totals().failed });
    assert.deepEqual(
      bars.filter((b) => !b.met).map((b) => `${b.name}: ${b.measured}`),
      ['failed requests: 1'],
    );
  });
});

describe('the fault window and its p99', () => {
  test('from the injection to the end of the first error-free second', () => {
    assert.deepEqual(faultWindow({ faultAtMs: 20_300, actionTookMs: 50, recoveredAtSeconds: 27, runEndMs: 40_000 }), { fromMs: 20_300, toMs: 28_000 });
  });
  test('at least SLOW_STEP (nothing failed, or a quick recovery), at least the fault action, never past the run', () => {
    assert.deepEqual(faultWindow({ faultAtMs: 20_300, actionTookMs: 50, recoveredAtSeconds: 20.3, runEndMs: 40_000 }), { fromMs: 20_300, toMs: 25_300 });
    assert.deepEqual(faultWindow({ faultAtMs: 20_300, actionTookMs: 50, recoveredAtSeconds: 23, runEndMs: 40_000 }), { fromMs: 20_300, toMs: 25_300 });
    assert.deepEqual(faultWindow({ faultAtMs: 20_300, actionTookMs: 24_000, recoveredAtSeconds: 30, runEndMs: 70_000 }), { fromMs: 20_300, toMs: 44_300 });
    assert.deepEqual(faultWindow({ faultAtMs: 37_000, actionTookMs: 50, recoveredAtSeconds: 37, runEndMs: 40_000 }), { fromMs: 37_000, toMs: 40_000 });
  });
  test('never error-free again: to the end of the run', () => {
    assert.deepEqual(faultWindow({ faultAtMs: 20_300, actionTookMs: 50, recoveredAtSeconds: null, runEndMs: 40_000 }), { fromMs: 20_300, toMs: 40_000 });
  });

  test('p99 is computed over the steps that ended in the window only', () => {
    const samples = [
      step(5_000, 29_000), // before the fault: a slow page that is not the fault's
      ...Array.from({ length: 99 }, (_, i) => step(20_400 + i * 30, 100 + i)), // 100..198 ms, in the window
      { ...step(23_900, 6100), ok: false, kind: 'slow' as const }, // in the window, slow
      step(30_000, 25_000), // after the window
    ];
    const w = faultWindow({ faultAtMs: 20_300, actionTookMs: 10, recoveredAtSeconds: 23, runEndMs: 40_000 });
    assert.deepEqual(w, { fromMs: 20_300, toMs: 25_300 });
    assert.deepEqual(latencyIn(samples, w), { steps: 100, slow: 1, p99Ms: 198 });
    assert.deepEqual(latencyIn(samples.slice(0, 100), w), { steps: 99, slow: 0, p99Ms: 198 });
    assert.deepEqual(latencyIn([...samples.slice(0, 101), step(23_950, 7000)], w).p99Ms, 6100, 'the top 1 % of 101 steps');
    assert.deepEqual(latencyIn([step(1000, 100)], w), { steps: 0, slow: 0, p99Ms: null });
  });
});

describe('db-writer-loss: a bar on failed requests', () => {
  const bar = (failed: number) =>
    drillNamed('db-writer-loss')
      .bars({ ...cleanMeasured, failed })
      .find((b) => b.name === 'failed requests')!;
  test(`at most ${DB_WRITER_LOSS_MAX_FAILED}: met at the limit, missed above it`, () => {
    assert.equal(DB_WRITER_LOSS_MAX_FAILED, 25);
    assert.deepEqual(bar(12), { name: 'failed requests', limit: '<= 25', measured: '12', met: true });
    assert.equal(bar(25).met, true);
    assert.deepEqual(bar(26), { name: 'failed requests', limit: '<= 25', measured: '26', met: false });
  });
});
