import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { percentile, Recorder, STEPS, type StepSample } from '../../../src/ops/load/stats.ts';

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  test('1..100 gives the rank itself', () => {
    assert.equal(percentile(hundred, 50), 50);
    assert.equal(percentile(hundred, 95), 95);
    assert.equal(percentile(hundred, 99), 99);
    assert.equal(percentile(hundred, 100), 100);
    assert.equal(percentile(hundred, 0), 1);
  });
  test('small samples take the next value up, never interpolate', () => {
    assert.equal(percentile([10, 20, 30, 40], 50), 20);
    assert.equal(percentile([10, 20, 30, 40], 95), 40);
    assert.equal(percentile([7], 99), 7);
  });
  test('no samples: null, not NaN (JSON-safe)', () => {
    assert.equal(percentile([], 50), null);
  });
});

describe('Recorder', () => {
  test('counts per step, failure kinds, and latencies of successes only', () => {
    const r = new Recorder();
    for (let i = 1; i <= 20; i++) r.record({ step: 'dashboard', ok: true, ms: i * 10, at: 100, requests: 1 });
    r.record({ step: 'dashboard', ok: false, ms: 30_000, at: 200, requests: 1, kind: 'timeout', detail: 'no answer' });
    r.record({ step: 'reply', ok: false, ms: 5, at: 300, requests: 1, kind: 'http', detail: 'HTTP 502' });
    r.record({ step: 'reply', ok: false, ms: 5, at: 300, requests: 2, kind: 'lost-session' });
    const steps = r.steps();
    assert.deepEqual(
      steps.map((s) => s.step),
      STEPS.map((s) => s.name),
    );
    const d = steps.find((s) => s.step === 'dashboard')!;
    assert.equal(d.ok, 20);
    assert.equal(d.failed, 1);
    assert.deepEqual(d.failures, { timeout: 1 });
    assert.equal(d.p50Ms, 100);
    assert.equal(d.p95Ms, 190);
    assert.equal(d.p99Ms, 200, 'the 30 s failure is not in the latencies');
    const reply = steps.find((s) => s.step === 'reply')!;
    assert.equal(reply.method, 'POST');
    assert.deepEqual(reply.failures, { http: 1, 'lost-session': 1 });
    assert.equal(reply.p50Ms, null);
    const login = steps.find((s) => s.step === 'login')!;
    assert.equal(login.ok + login.failed, 0);
  });

  test('failures are split into idempotent (GET) and non-idempotent (POST)', () => {
    const r = new Recorder();
    r.record({ step: 'download', ok: false, ms: 1, at: 0, requests: 1, kind: 'network' });
    r.record({ step: 'course', ok: false, ms: 1, at: 0, requests: 1, kind: 'error-page' });
    r.record({ step: 'login', ok: false, ms: 1, at: 0, requests: 1, kind: 'http' });
    r.record({ step: 'course', ok: true, ms: 1, at: 0, requests: 1 });
    assert.deepEqual(r.totals(), { ok: 1, failed: 3, failedIdempotent: 2, failedNonIdempotent: 1, slow: 0, maintenance: 0 });
  });

  test('the timeline has one point per second, with zeros where nothing ended', () => {
    const r = new Recorder();
    r.record({ step: 'course', ok: true, ms: 5, at: 10, requests: 1 });
    r.record({ step: 'course', ok: true, ms: 5, at: 999, requests: 2 });
    r.record({ step: 'course', ok: false, ms: 5, at: 2500, requests: 1, kind: 'http' });
    assert.deepEqual(r.timeline(4), [
      { second: 0, ok: 2, failed: 0, requests: 3 },
      { second: 1, ok: 0, failed: 0, requests: 0 },
      { second: 2, ok: 0, failed: 1, requests: 1 },
      { second: 3, ok: 0, failed: 0, requests: 0 },
      { second: 4, ok: 0, failed: 0, requests: 0 },
    ]);
    assert.equal(r.timeline(0).length, 3, 'never shorter than what was recorded');
  });

  test('failure samples are capped; the live p95 window empties on each read', () => {
    const r = new Recorder(undefined, 3);
    for (let i = 0; i < 10; i++) r.record({ step: 'course', ok: false, ms: 1, at: i, requests: 1, kind: 'network', detail: `e${i}` });
    assert.deepEqual(
      r.failureSamples.map((f) => f.detail),
      ['e0', 'e1', 'e2'],
    );
    r.record({ step: 'course', ok: true, ms: 42, at: 20, requests: 1 });
    assert.equal(r.takeWindowP95(), 42);
    assert.equal(r.takeWindowP95(), null);
  });
});

test('the recorder hands every sample to onSample as it records it', () => {
  const seen: StepSample[] = [];
  const r = new Recorder((x) => seen.push(x));
  const s: StepSample = { step: 'login', ok: true, ms: 10, at: 100, requests: 2 };
  r.record(s);
  r.record({ ...s, ok: false, kind: 'timeout', detail: 'no answer' });
  assert.deepEqual(
    seen.map((x) => x.ok),
    [true, false],
  );
  assert.equal(r.totals().ok, 1, 'the recorder still records');
});
