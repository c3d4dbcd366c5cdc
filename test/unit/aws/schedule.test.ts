// Capacity windows → Application Auto Scaling scheduled actions (Unix cron → AWS cron, one-off
// windows → at()).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { awsAt, awsCron, scheduledCapacity } from '../../../src/aws/compute/schedule.ts';
import { UserError } from '../../../src/util/errors.ts';

describe('awsCron', () => {
  const cases: Array<[string, string]> = [
    ['0 22 * * *', 'cron(0 22 * * ? *)'],
    ['30 6 * * 1-5', 'cron(30 6 ? * 2,3,4,5,6 *)'],
    ['0 0 * * 0', 'cron(0 0 ? * 1 *)'],
    ['0 0 * * 7', 'cron(0 0 ? * 1 *)'],
    ['0 0 * * 5-7', 'cron(0 0 ? * 1,6,7 *)'],
    ['15 3 1 9 *', 'cron(15 3 1 9 ? *)'],
  ];
  for (const [unix, aws] of cases) test(`${unix} → ${aws}`, () => assert.equal(awsCron(unix), aws));
  test('day of month and weekday together are refused with the fix', () => {
    assert.throws(() => awsCron('0 6 1 * 1'), /AWS cannot combine: set one of them to "\*"/);
  });
  test('a step in the weekday field is refused', () => {
    assert.throws(() => awsCron('0 6 * * */2'), /step in the day-of-week field is not supported/);
  });
  test('a weekday out of range is refused', () => {
    assert.throws(() => awsCron('0 6 * * 8'), /not a day-of-week range from 0/);
  });
});

describe('scheduledCapacity', () => {
  const base = { min: 2, max: 6 };
  test('a recurring window opens with its own capacity and closes back to the base', () => {
    const actions = scheduledCapacity([{ name: 'day', cron: { start: '0 7 * * 1-5', end: '0 19 * * 1-5' }, min: 3 }], base, 2);
    assert.deepEqual(actions, [
      { name: 'day-open', expression: 'cron(0 7 ? * 2,3,4,5,6 *)', minCapacity: 3, maxCapacity: 6 },
      { name: 'day-close', expression: 'cron(0 19 ? * 2,3,4,5,6 *)', minCapacity: 2, maxCapacity: 6 },
    ]);
  });
  test('a one-off window uses at() in UTC and may raise the maximum', () => {
    const actions = scheduledCapacity([{ name: 'exam', from: '2099-06-01T08:00:00+02:00', until: '2099-06-02T20:00:00Z', min: 8, max: 12 }], base, 2);
    assert.equal(actions[0]!.expression, 'at(2099-06-01T06:00:00)');
    assert.equal(actions[0]!.maxCapacity, 12);
    assert.equal(actions[1]!.expression, 'at(2099-06-02T20:00:00)');
    assert.equal(actions[1]!.minCapacity, 2);
  });
  test('a window whose min exceeds the base max raises the max to fit', () => {
    const [open] = scheduledCapacity([{ name: 'peak', cron: { start: '0 7 * * *', end: '0 19 * * *' }, min: 10 }], base, 2);
    assert.equal(open!.maxCapacity, 10);
  });
  test('a one-off window that already closed is left out', () => {
    assert.deepEqual(scheduledCapacity([{ name: 'old', from: '2020-01-01T00:00:00Z', until: '2020-01-02T00:00:00Z', min: 3 }], base, 2, new Date('2026-01-01T00:00:00Z')), []);
  });
  test('problems are reported with the window path', () => {
    assert.throws(() => scheduledCapacity([{ name: 'bad', cron: { start: '0 6 1 * 1', end: '0 7 * * *' }, min: 2 }], base, 2),
      (e: unknown) => e instanceof UserError && e.details.some((d) => d.startsWith('scaling.schedule.0.cron:')));
  });
  test('awsAt drops milliseconds and the zone', () => assert.equal(awsAt('2099-01-01T00:00:00.500Z'), 'at(2099-01-01T00:00:00)'));
});
