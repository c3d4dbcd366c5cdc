// The capacity windows' 5-field UTC cron matcher: field syntax, the day-of-month / day-of-week rule,
// Sunday as 0 and 7, and lastFiring across midnight, month and year ends.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cronMatches, lastFiring, parseCron } from '../../../src/spec/cron.ts';

const at = (iso: string): Date => new Date(iso);
const iso = (d: Date | undefined): string | undefined => d?.toISOString();

describe('parseCron', () => {
  test('lists, ranges and steps expand to the right values', () => {
    const c = parseCron('*/15 1-3,7 1,15 */5 1-5/2');
    assert.deepEqual([...c.minutes], [0, 15, 30, 45]);
    assert.deepEqual([...c.hours], [1, 2, 3, 7]);
    assert.deepEqual([...c.daysOfMonth], [1, 15]);
    assert.deepEqual([...c.months], [1, 6, 11]);
    assert.deepEqual([...c.daysOfWeek], [1, 3, 5]);
  });
  test('a number with a step runs to the end of the field', () => {
    assert.deepEqual([...parseCron('5/20 * * * *').minutes], [5, 25, 45]);
  });
  test('7 in the day of week is Sunday, stored as 0', () => {
    assert.deepEqual([...parseCron('0 0 * * 7').daysOfWeek], [0]);
    assert.deepEqual([...parseCron('0 0 * * 5-7').daysOfWeek].sort(), [0, 5, 6]);
  });
  test('restriction flags follow Vixie cron: a field starting with * is unrestricted', () => {
    assert.equal(parseCron('0 0 * * 1').domRestricted, false);
    assert.equal(parseCron('0 0 * * 1').dowRestricted, true);
    assert.equal(parseCron('0 0 */2 * 1').domRestricted, false);
  });
  const bad: Array<[string, RegExp]> = [
    ['0 0 * *', /must have 5 fields .* it has 4/],
    ['60 * * * *', /minute 60 is out of range 0-59/],
    ['0 24 * * *', /hour 24 is out of range 0-23/],
    ['0 0 0 * *', /day of month 0 is out of range 1-31/],
    ['0 0 * 13 *', /month 13 is out of range 1-12/],
    ['0 0 * * 8', /day of week 8 is out of range 0-7/],
    ['0 5-1 * * *', /runs backwards/],
    ['*/0 * * * *', /step "\/0" must be 1 or more/],
    ['0 0 * * MON', /day of week "MON" is not \*/],
  ];
  for (const [expr, message] of bad) test(`refuses "${expr}"`, () => assert.throws(() => parseCron(expr), message));
});

describe('cronMatches', () => {
  const cases: Array<[string, string, boolean]> = [
    ['0 22 * * *', '2026-03-04T22:00:00Z', true],
    ['0 22 * * *', '2026-03-04T22:00:59Z', true],
    ['0 22 * * *', '2026-03-04T22:01:00Z', false],
    ['0 22 * * *', '2026-03-04T21:00:00Z', false],
    ['*/5 * * * *', '2026-03-04T10:35:00Z', true],
    ['*/5 * * * *', '2026-03-04T10:36:00Z', false],
    ['0 9-17 * * *', '2026-03-04T17:00:00Z', true],
    ['0 9-17 * * *', '2026-03-04T18:00:00Z', false],
    // 2026-03-01 is a Sunday.
    ['0 0 * * 0', '2026-03-01T00:00:00Z', true],
    ['0 0 * * 7', '2026-03-01T00:00:00Z', true],
    ['0 0 * * 1-5', '2026-03-01T00:00:00Z', false],
    ['0 0 * * 1-5', '2026-03-02T00:00:00Z', true],
    ['0 0 * * 6,0', '2026-03-07T00:00:00Z', true],
    // Both day fields restricted: either one matching is enough.
    ['0 0 13 * 5', '2026-03-13T00:00:00Z', true], // Friday the 13th: both
    ['0 0 13 * 5', '2026-03-06T00:00:00Z', true], // a Friday, not the 13th
    ['0 0 13 * 5', '2026-04-13T00:00:00Z', true], // the 13th, a Monday
    ['0 0 13 * 5', '2026-04-14T00:00:00Z', false], // neither
    // Day of month restricted, weekday "*": only the day of month counts.
    ['0 0 1 * *', '2026-03-02T00:00:00Z', false],
    // Vixie: "*/2" counts as unrestricted, so both must match (odd day AND Monday).
    ['0 0 */2 * 1', '2026-03-09T00:00:00Z', true], // 9th, Monday
    ['0 0 */2 * 1', '2026-03-16T00:00:00Z', false], // 16th (even), Monday
    ['0 0 */2 * 1', '2026-03-11T00:00:00Z', false], // 11th (odd), Wednesday
    ['0 0 31 * *', '2026-04-30T00:00:00Z', false],
    ['0 0 * 2 *', '2026-02-28T00:00:00Z', true],
    ['0 0 * 2 *', '2026-03-01T00:00:00Z', false],
  ];
  for (const [expr, time, expected] of cases) {
    test(`${expr} ${expected ? 'fires' : 'does not fire'} at ${time}`, () => assert.equal(cronMatches(expr, at(time)), expected));
  }
  test('a parsed expression can be reused', () => {
    const c = parseCron('30 6 * * *');
    assert.equal(cronMatches(c, at('2026-01-01T06:30:00Z')), true);
    assert.equal(cronMatches(c, at('2026-01-01T06:31:00Z')), false);
  });
});

describe('lastFiring', () => {
  test('a firing at the very minute counts (at or before)', () => {
    assert.equal(iso(lastFiring('0 6 * * *', at('2026-03-04T06:00:00Z'))), '2026-03-04T06:00:00.000Z');
    assert.equal(iso(lastFiring('0 6 * * *', at('2026-03-04T06:00:45Z'))), '2026-03-04T06:00:00.000Z');
  });
  test('one minute earlier gives the day before', () => {
    assert.equal(iso(lastFiring('0 6 * * *', at('2026-03-04T05:59:59Z'))), '2026-03-03T06:00:00.000Z');
  });
  test('across midnight', () => {
    assert.equal(iso(lastFiring('0 22 * * *', at('2026-03-04T01:30:00Z'))), '2026-03-03T22:00:00.000Z');
    assert.equal(iso(lastFiring('59 23 * * *', at('2026-03-04T00:00:00Z'))), '2026-03-03T23:59:00.000Z');
  });
  test('across a month end (31 March → 1 April) and February', () => {
    assert.equal(iso(lastFiring('0 12 31 * *', at('2026-04-01T08:00:00Z'), 40)), '2026-03-31T12:00:00.000Z');
    assert.equal(iso(lastFiring('0 0 * * *', at('2026-03-01T00:00:00Z'))), '2026-03-01T00:00:00.000Z');
    assert.equal(iso(lastFiring('30 23 * * *', at('2026-03-01T00:10:00Z'))), '2026-02-28T23:30:00.000Z');
    assert.equal(iso(lastFiring('30 23 * * *', at('2024-03-01T00:10:00Z'))), '2024-02-29T23:30:00.000Z');
  });
  test('across a year end', () => {
    assert.equal(iso(lastFiring('0 18 * * *', at('2027-01-01T03:00:00Z'))), '2026-12-31T18:00:00.000Z');
  });
  test('the latest of several firings in a day', () => {
    assert.equal(iso(lastFiring('*/20 8-10 * * *', at('2026-03-04T09:59:00Z'))), '2026-03-04T09:40:00.000Z');
    assert.equal(iso(lastFiring('*/20 8-10 * * *', at('2026-03-04T23:00:00Z'))), '2026-03-04T10:40:00.000Z');
  });
  test('weekly: Sunday written as 7 is found from a Wednesday', () => {
    // 2026-03-04 is a Wednesday; the Sunday before is 2026-03-01.
    assert.equal(iso(lastFiring('0 20 * * 7', at('2026-03-04T12:00:00Z'))), '2026-03-01T20:00:00.000Z');
  });
  test('weekdays only: a Monday morning looks back to Friday', () => {
    assert.equal(iso(lastFiring('0 19 * * 1-5', at('2026-03-09T07:00:00Z'))), '2026-03-06T19:00:00.000Z');
  });
  test('the search stops after 8 days by default', () => {
    assert.equal(lastFiring('0 0 1 * *', at('2026-03-20T00:00:00Z')), undefined);
    assert.equal(iso(lastFiring('0 0 1 * *', at('2026-03-20T00:00:00Z'), 31)), '2026-03-01T00:00:00.000Z');
  });
  test('exactly 8 days back is inside the horizon, 8 days and a minute is not', () => {
    assert.equal(iso(lastFiring('0 0 1 * *', at('2026-03-09T00:00:00Z'))), '2026-03-01T00:00:00.000Z');
    assert.equal(lastFiring('0 0 1 * *', at('2026-03-09T00:01:00Z')), undefined);
  });
  test('an expression that never fires gives undefined', () => {
    assert.equal(lastFiring('0 0 31 2 *', at('2026-03-20T00:00:00Z'), 3000), undefined);
  });
  test('an invalid date gives undefined', () => assert.equal(lastFiring('* * * * *', new Date(NaN)), undefined));
});
