// Capacity windows, one evaluation for the local autoscaler and the AWS schedule applier: which
// window is in force (the last action to fire wins), and the min/max each window gives.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { activeWindow, bounds, checkSchedule } from '../../../src/spec/windows.ts';
import { validateSpec } from '../../../src/spec/read.ts';
import type { ScheduleEntry } from '../../../src/spec/scaling.ts';
import { UserError } from '../../../src/util/errors.ts';

const at = (iso: string): Date => new Date(iso);
const night: ScheduleEntry = { name: 'night', cron: { start: '0 22 * * *', end: '0 6 * * *' }, min: 1, max: 2 };
const day: ScheduleEntry = { name: 'day', cron: { start: '0 6 * * *', end: '0 22 * * *' }, min: 3 };
const exam: ScheduleEntry = { name: 'exam-week', from: '2026-06-01T06:00:00Z', until: '2026-06-06T00:00:00Z', min: 8, max: 12 };
const scaling = (schedule: unknown[], extra: Record<string, unknown> = {}) => validateSpec({ scaling: { min: 2, max: 6, schedule, ...extra } }).scaling;
const name = (schedule: ScheduleEntry[], iso: string) => activeWindow(schedule, at(iso))?.entry.name;

describe('activeWindow: a recurring overnight window 22:00-06:00', () => {
  const cases: Array<[string, string | undefined]> = [
    ['2026-03-04T22:00:00Z', 'night'],
    ['2026-03-04T23:00:00Z', 'night'],
    ['2026-03-05T00:00:00Z', 'night'],
    ['2026-03-05T05:59:00Z', 'night'],
    ['2026-03-05T05:59:59Z', 'night'],
    ['2026-03-05T06:00:00Z', undefined],
    ['2026-03-05T12:00:00Z', undefined],
    ['2026-03-05T21:59:00Z', undefined],
    ['2026-03-31T23:30:00Z', 'night'], // across a month end
    ['2026-04-01T05:00:00Z', 'night'],
  ];
  for (const [time, expected] of cases) {
    test(`${expected ? 'open' : 'closed'} at ${time}`, () => assert.equal(name([night], time), expected));
  }
  test('since is the last start firing', () => {
    assert.equal(activeWindow([night], at('2026-03-05T05:00:00Z'))?.since.toISOString(), '2026-03-04T22:00:00.000Z');
  });
});

describe('activeWindow: other windows', () => {
  test('weekday office hours are closed on a Saturday and open on Monday morning', () => {
    const office: ScheduleEntry = { name: 'office', cron: { start: '0 7 * * 1-5', end: '0 19 * * 1-5' }, min: 3 };
    assert.equal(name([office], '2026-03-07T10:00:00Z'), undefined); // Saturday
    assert.equal(name([office], '2026-03-09T06:59:00Z'), undefined); // Monday before 07:00
    assert.equal(name([office], '2026-03-09T07:00:00Z'), 'office');
    assert.equal(name([office], '2026-03-06T18:59:00Z'), 'office'); // Friday
  });
  test('a monthly window is found even when it opened more than 8 days ago', () => {
    const monthly: ScheduleEntry = { name: 'enrolment', cron: { start: '0 0 1 * *', end: '0 0 15 * *' }, min: 4 };
    assert.equal(name([monthly], '2026-03-12T00:00:00Z'), 'enrolment');
    assert.equal(name([monthly], '2026-03-15T00:00:00Z'), undefined);
    assert.equal(name([monthly], '2026-03-31T00:00:00Z'), undefined);
  });
  test('a one-off window is open from "from" (inclusive) to "until" (exclusive)', () => {
    assert.equal(name([exam], '2026-06-01T05:59:59Z'), undefined);
    assert.equal(name([exam], '2026-06-01T06:00:00Z'), 'exam-week');
    assert.equal(name([exam], '2026-06-03T12:00:00Z'), 'exam-week');
    assert.equal(name([exam], '2026-06-05T23:59:59Z'), 'exam-week');
    assert.equal(name([exam], '2026-06-06T00:00:00Z'), undefined);
  });
  test('a one-off window given with a zone offset is compared in UTC', () => {
    const w: ScheduleEntry = { name: 'w', from: '2026-06-01T08:00:00+02:00', until: '2026-06-01T10:00:00+02:00', min: 3 };
    assert.equal(name([w], '2026-06-01T06:00:00Z'), 'w');
    assert.equal(name([w], '2026-06-01T08:00:00Z'), undefined);
  });
  test('no schedule, no window', () => assert.equal(name([], '2026-06-01T06:00:00Z'), undefined));
});

describe('activeWindow: overlapping windows, the last action to fire wins', () => {
  const both = [exam, night];
  test('inside exam week, before the night opens: exam-week', () => assert.equal(name(both, '2026-06-01T12:00:00Z'), 'exam-week'));
  test('the night opened after exam week did, so it wins', () => assert.equal(name(both, '2026-06-01T23:00:00Z'), 'night'));
  test('the order in the list does not matter, only the firing times', () => assert.equal(name([night, exam], '2026-06-01T23:00:00Z'), 'night'));
  test('the night close at 06:00 restores the base, as on AWS, and exam-week is reported overridden', () => {
    assert.equal(name(both, '2026-06-02T07:00:00Z'), undefined);
    const b = bounds(scaling(both), at('2026-06-02T07:00:00Z'));
    assert.deepEqual(b, { min: 2, max: 6, overridden: ['exam-week'] });
  });
  test('a window opening after another closed is in force', () => {
    assert.equal(name(both, '2026-05-31T23:00:00Z'), 'night');
    assert.equal(name(both, '2026-06-01T06:00:00Z'), 'exam-week'); // night closes, exam opens in the same minute
  });
  test('hand-over in the same minute: the window that opens wins over the one that closes', () => {
    assert.equal(name([night, day], '2026-03-05T06:00:00Z'), 'day');
    assert.equal(name([day, night], '2026-03-05T06:00:00Z'), 'day');
    assert.equal(name([night, day], '2026-03-05T22:00:00Z'), 'night');
    assert.equal(name([day, night], '2026-03-05T21:59:00Z'), 'day');
  });
  test('two windows opening in the same minute: the one listed later wins', () => {
    const a: ScheduleEntry = { name: 'a', cron: { start: '0 8 * * *', end: '0 18 * * *' }, min: 3 };
    const b: ScheduleEntry = { name: 'b', cron: { start: '0 8 * * *', end: '0 12 * * *' }, min: 5 };
    assert.equal(name([a, b], '2026-03-05T09:00:00Z'), 'b');
    assert.equal(name([b, a], '2026-03-05T09:00:00Z'), 'a');
    assert.equal(name([a, b], '2026-03-05T13:00:00Z'), undefined); // b's close restored the base
  });
});

describe('bounds', () => {
  test('outside every window: the base min and max', () => {
    assert.deepEqual(bounds(scaling([night]), at('2026-03-05T12:00:00Z')), { min: 2, max: 6 });
  });
  test('inside a window: its min and max, and its name', () => {
    assert.deepEqual(bounds(scaling([night]), at('2026-03-05T01:00:00Z')), { min: 1, max: 2, window: 'night' });
    assert.deepEqual(bounds(scaling([exam]), at('2026-06-02T12:00:00Z')), { min: 8, max: 12, window: 'exam-week' });
  });
  test('a window without max keeps the base max', () => {
    assert.deepEqual(bounds(scaling([day]), at('2026-03-05T12:00:00Z')), { min: 3, max: 6, window: 'day' });
  });
  test('a window whose min exceeds the base max raises the max to fit (as on AWS)', () => {
    const peak = { name: 'peak', cron: { start: '0 7 * * *', end: '0 19 * * *' }, min: 10 };
    assert.deepEqual(bounds(scaling([peak]), at('2026-03-05T12:00:00Z')), { min: 10, max: 10, window: 'peak' });
  });
  test('a window min of 0 is raised to 1: an empty web tier is an outage', () => {
    const quiet = { name: 'quiet', cron: { start: '0 1 * * *', end: '0 5 * * *' }, min: 0, max: 1 };
    assert.deepEqual(bounds(scaling([quiet]), at('2026-03-05T02:00:00Z')), { min: 1, max: 1, window: 'quiet' });
  });
  test('the ha profile default min of 2 is the base min', () => {
    const s = validateSpec({ profile: 'ha' }).scaling;
    assert.deepEqual(bounds(s, at('2026-03-05T02:00:00Z')), { min: 2, max: 4 });
  });
});

describe('cron problems are reported with their spec path', () => {
  const broken: ScheduleEntry = { name: 'broken', cron: { start: '0 25 * * *', end: '0 6 * * *' }, min: 1 };
  test('checkSchedule lists each one', () => {
    assert.deepEqual(checkSchedule([night, broken]), ['scaling.schedule.1.cron.start: cron "0 25 * * *": hour 25 is out of range 0-23']);
    assert.deepEqual(checkSchedule([night, exam]), []);
  });
  test('activeWindow throws a UserError naming the path', () => {
    assert.throws(
      () => activeWindow([broken], at('2026-03-05T02:00:00Z')),
      (e: unknown) => e instanceof UserError && e.details[0]!.startsWith('scaling.schedule.0.cron.start: '),
    );
  });
});
