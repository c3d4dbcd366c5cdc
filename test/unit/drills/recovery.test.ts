// Recovery figures from a drill's timeline and step samples (src/ops/drills/recovery.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  failuresAfterFault,
  maintenanceWindowSeconds,
  recoveryFrom,
  sessionsWrittenBefore,
  splitAtFault,
  writesResumedSeconds,
} from '../../../src/ops/drills/recovery.ts';
import type { StepSample, TimelinePoint } from '../../../src/ops/load/stats.ts';

/** A timeline from [ok, failed] pairs, one per second. */
const tl = (pairs: ReadonlyArray<readonly [number, number]>): TimelinePoint[] =>
  pairs.map(([ok, failed], second) => ({ second, ok, failed, requests: ok + failed }));
const sample = (step: StepSample['step'], ok: boolean, at: number, ms = 100): StepSample => ({ step, ok, at, ms, requests: 1 });

describe('seconds until error-free again', () => {
  test('the start of the first full error-free second after the last failure, minus the fault time', () => {
    // fault at 3.2 s; failures in seconds 3, 4 and 6; second 7 is clean with traffic
    const t = tl([
      [5, 0],
      [5, 0],
      [5, 0],
      [2, 1],
      [0, 3],
      [1, 0],
      [2, 1],
      [4, 0],
      [5, 0],
    ]);
    assert.deepEqual(recoveryFrom(t, 3.2), { errorsAfterFault: true, failedAfterFault: 5, lastFailedSecond: 6, recoveredAtSeconds: 7, seconds: 3.8 });
  });

  test('a second without any step does not count as error-free', () => {
    const t = tl([
      [5, 0],
      [0, 2],
      [0, 0],
      [0, 0],
      [3, 0],
    ]);
    assert.equal(recoveryFrom(t, 1).recoveredAtSeconds, 4);
    assert.equal(recoveryFrom(t, 1).seconds, 3);
  });

  test('nothing failed from the fault on: 0 s, recovered at the fault', () => {
    const t = tl([
      [5, 1],
      [5, 0],
      [5, 0],
      [5, 0],
    ]);
    assert.deepEqual(recoveryFrom(t, 1.5), { errorsAfterFault: false, failedAfterFault: 0, lastFailedSecond: null, recoveredAtSeconds: 1.5, seconds: 0 });
  });

  test("failures before the fault are not the fault's", () => {
    const t = tl([
      [1, 4],
      [5, 0],
      [5, 0],
    ]);
    assert.equal(recoveryFrom(t, 1.0).errorsAfterFault, false);
  });

  test("a failure in the fault's own second, before the fault, counts (the timeline has whole seconds)", () => {
    const t = tl([
      [5, 0],
      [3, 1],
      [5, 0],
    ]);
    assert.deepEqual(recoveryFrom(t, 1.7), { errorsAfterFault: true, failedAfterFault: 1, lastFailedSecond: 1, recoveredAtSeconds: 2, seconds: 0.3 });
  });

  test('still failing at the end of the run: not recovered (null)', () => {
    const t = tl([
      [5, 0],
      [0, 3],
      [0, 3],
      [1, 1],
    ]);
    assert.deepEqual(recoveryFrom(t, 1), { errorsAfterFault: true, failedAfterFault: 7, lastFailedSecond: 3, recoveredAtSeconds: null, seconds: null });
  });

  test("steps before and after the fault's second", () => {
    const t = tl([
      [5, 1],
      [4, 0],
      [1, 3],
      [6, 0],
    ]);
    assert.deepEqual(splitAtFault(t, 2.4), { before: { ok: 9, failed: 1 }, after: { ok: 7, failed: 3 } });
  });
});

describe('writes resume', () => {
  const fault = 20_000;
  test('the end of the first successful POST that started after the fault', () => {
    const s = [
      sample('reply', true, 20_050, 200), // started before the fault: in flight, does not count
      sample('dashboard', true, 21_000), // a read
      sample('reply', false, 22_000),
      sample('login', true, 26_500, 400), // started 26.1 s
      sample('reply', true, 27_000, 100),
    ];
    assert.equal(writesResumedSeconds(s, fault), 6.5);
  });
  test('null when no write succeeded after the fault', () => {
    assert.equal(writesResumedSeconds([sample('reply', false, 21_000), sample('course', true, 22_000)], fault), null);
  });
});

describe('sessions written in the last second before the fault', () => {
  test('counts logins that succeeded in (fault - 1 s, fault]', () => {
    const s = [
      sample('login', true, 18_900),
      sample('login', true, 19_100),
      sample('login', true, 20_000),
      sample('login', false, 19_500),
      sample('dashboard', true, 19_600),
      sample('login', true, 20_100),
    ];
    assert.equal(sessionsWrittenBefore(s, 20_000), 2);
    assert.equal(sessionsWrittenBefore(s, 20_000, 2000), 3);
  });
});

test('failures after the fault split by method (GET idempotent, POST not)', () => {
  const s = [
    sample('dashboard', false, 19_000),
    sample('dashboard', false, 21_000),
    sample('download', false, 21_500),
    sample('reply', false, 22_000),
    sample('login', true, 23_000),
  ];
  assert.deepEqual(failuresAfterFault(s, 20_000), { idempotent: 2, nonIdempotent: 1 });
});

describe('the maintenance window users met', () => {
  test('first to last step the maintenance page answered; other failures do not widen it; null when none', () => {
    const s: StepSample[] = [
      { ...sample('dashboard', false, 10_000), kind: 'http' },
      { ...sample('course', false, 12_340), kind: 'maintenance' },
      sample('discussion', true, 15_000),
      { ...sample('login-page', false, 30_390), kind: 'maintenance' },
      { ...sample('dashboard', false, 40_000), kind: 'network' },
    ];
    assert.equal(maintenanceWindowSeconds(s), 18.1);
    assert.equal(maintenanceWindowSeconds(s.filter((x) => x.kind !== 'maintenance')), null);
  });
});
