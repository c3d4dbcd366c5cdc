// Capacity windows on AWS: what each window sets (web tasks, EC2 floor, Aurora ACUs, WAF rate
// limit), when the schedule applier runs (Unix cron → EventBridge Scheduler cron, one-off windows →
// at()), and the problems found, each with its spec path.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { instanceFloor } from '../../../src/aws/plan.ts';
import { awsAt, awsCron, capacitySchedule, type CapacityBase } from '../../../src/aws/compute/schedule.ts';
import type { ScheduleEntry } from '../../../src/spec/scaling.ts';
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
  test('awsAt drops milliseconds and the zone', () => assert.equal(awsAt('2099-01-01T00:00:00.500Z'), 'at(2099-01-01T00:00:00)'));
});

describe('instanceFloor: EC2 instances for the web floor plus cron, 2 tasks an instance', () => {
  const cases: Array<[number, boolean, number]> = [
    [1, false, 1],
    [2, false, 2],
    [2, true, 2],
    [3, true, 2],
    [4, true, 3],
    [8, true, 5],
    [12, true, 7],
  ];
  for (const [tasks, prod, instances] of cases)
    test(`${tasks} web tasks, ${prod ? 'production' : 'small'}: ${instances}`, () => assert.equal(instanceFloor(tasks, prod), instances));
});

const EC2_PROVISIONED: CapacityBase = { web: { min: 2, max: 6 }, instancesFor: (t) => instanceFloor(t, true), rateLimit: 3000, production: true, floor: 2 };
const FARGATE_SERVERLESS: CapacityBase = { web: { min: 1, max: 4 }, rateLimit: 2000, database: { min: 0.5, max: 16 }, production: false, floor: 1 };
const NOW = new Date('2026-01-01T00:00:00Z');

function problems(entries: ScheduleEntry[], base: CapacityBase): string[] {
  try {
    capacitySchedule(entries, base, NOW);
  } catch (e) {
    assert.ok(e instanceof UserError);
    return [...e.details];
  }
  assert.fail('expected problems');
}

describe('capacitySchedule: what a window sets', () => {
  test('base values: the spec min/max, the EC2 floor for it, the edge rate limit, no Aurora range with provisioned instances', () => {
    const s = capacitySchedule([], EC2_PROVISIONED, NOW);
    assert.deepEqual(s.base, { web: { min: 2, max: 6 }, instances: 2, rateLimit: 3000, database: undefined });
    assert.deepEqual(s.windows, []);
    assert.deepEqual(s.triggers, []);
  });
  test('a recurring window: its tasks, the EC2 floor those need, the base rate limit; triggers at its cron start and end', () => {
    const s = capacitySchedule([{ name: 'day', cron: { start: '0 7 * * 1-5', end: '0 19 * * 1-5' }, min: 4 }], EC2_PROVISIONED, NOW);
    assert.deepEqual(s.windows, [
      {
        name: 'day',
        cron: { start: '0 7 * * 1-5', end: '0 19 * * 1-5' },
        targets: { web: { min: 4, max: 6 }, instances: 3, rateLimit: 3000, database: undefined },
      },
    ]);
    assert.deepEqual(s.triggers, [
      { name: 'day-open', expression: 'cron(0 7 ? * 2,3,4,5,6 *)' },
      { name: 'day-close', expression: 'cron(0 19 ? * 2,3,4,5,6 *)' },
    ]);
  });
  test('an exam window raises the rate limit and the Aurora range; the max ACU defaults to the larger of base max and its min', () => {
    const s = capacitySchedule(
      [
        {
          name: 'exam',
          from: '2099-06-01T08:00:00+02:00',
          until: '2099-06-02T20:00:00Z',
          min: 3,
          max: 8,
          rateLimit: 20000,
          database: { minCapacity: 4, maxCapacity: 32 },
        },
        { name: 'huge', cron: { start: '0 7 * * *', end: '0 8 * * *' }, min: 2, database: { minCapacity: 24 } },
      ],
      FARGATE_SERVERLESS,
      NOW,
    );
    assert.deepEqual(s.windows[0]!.targets, { web: { min: 3, max: 8 }, instances: undefined, rateLimit: 20000, database: { min: 4, max: 32 } });
    assert.deepEqual(s.windows[1]!.targets.database, { min: 24, max: 24 });
    assert.equal(s.windows[1]!.targets.rateLimit, 2000);
    assert.deepEqual(s.triggers.slice(0, 2), [
      { name: 'exam-open', expression: 'at(2099-06-01T06:00:00)' },
      { name: 'exam-close', expression: 'at(2099-06-02T20:00:00)' },
    ]);
  });
  test('an off-season window lowers the web tasks, the EC2 floor and the Aurora minimum (small may pause)', () => {
    const s = capacitySchedule(
      [{ name: 'summer', from: '2099-07-01T00:00:00Z', until: '2099-09-01T00:00:00Z', min: 1, max: 2, database: { minCapacity: 0, maxCapacity: 4 } }],
      FARGATE_SERVERLESS,
      NOW,
    );
    assert.deepEqual(s.windows[0]!.targets, { web: { min: 1, max: 2 }, instances: undefined, rateLimit: 2000, database: { min: 0, max: 4 } });
    const ec2 = capacitySchedule(
      [{ name: 'summer', from: '2099-07-01T00:00:00Z', until: '2099-09-01T00:00:00Z', min: 2 }],
      { ...EC2_PROVISIONED, web: { min: 6, max: 10 }, instancesFor: (t) => instanceFloor(t, true) },
      NOW,
    );
    assert.equal(ec2.base.instances, 4);
    assert.equal(ec2.windows[0]!.targets.instances, 2);
  });
  test('a window whose min exceeds the base max raises the max to fit', () => {
    const s = capacitySchedule([{ name: 'peak', cron: { start: '0 7 * * *', end: '0 19 * * *' }, min: 10 }], EC2_PROVISIONED, NOW);
    assert.deepEqual(s.windows[0]!.targets.web, { min: 10, max: 10 });
  });
  test('edges already past get no trigger, but the window stays in the schedule (it decides what "the last action" was)', () => {
    const open = capacitySchedule([{ name: 'now', from: '2025-12-01T00:00:00Z', until: '2026-02-01T00:00:00Z', min: 3 }], EC2_PROVISIONED, NOW);
    assert.deepEqual(open.triggers, [{ name: 'now-close', expression: 'at(2026-02-01T00:00:00)' }]);
    const old = capacitySchedule([{ name: 'old', from: '2020-01-01T00:00:00Z', until: '2020-01-02T00:00:00Z', min: 3 }], EC2_PROVISIONED, NOW);
    assert.deepEqual(old.triggers, []);
    assert.equal(old.windows.length, 1);
  });
  test('only the times and what the window sets reach the applier, not the spec fields', () => {
    const [w] = capacitySchedule([{ name: 'x', cron: { start: '0 7 * * *', end: '0 8 * * *' }, min: 3, rateLimit: 5000 }], EC2_PROVISIONED, NOW).windows;
    assert.deepEqual(Object.keys(w!).sort(), ['cron', 'name', 'targets']);
  });
});

describe('capacitySchedule: problems, each with its spec path', () => {
  test('a window with no web task at all', () => {
    assert.match(
      problems([{ name: 'off', cron: { start: '0 22 * * *', end: '0 6 * * *' }, min: 0 }], FARGATE_SERVERLESS)[0]!,
      /^scaling\.schedule\.0\.min: 0 web tasks would take the site down on AWS: set min to 1 or more$/,
    );
  });
  test('a cron AWS cannot express', () => {
    assert.match(
      problems([{ name: 'x', cron: { start: '0 6 1 * 1', end: '0 18 * * *' }, min: 2 }], EC2_PROVISIONED)[0]!,
      /^scaling\.schedule\.0\.cron: .*gives both a day of month and a day of week/,
    );
  });
  test('a cron field out of range, reported once (the applier could not evaluate it)', () => {
    assert.deepEqual(problems([{ name: 'x', cron: { start: '0 25 * * *', end: '0 6 * * *' }, min: 2 }], EC2_PROVISIONED), [
      'scaling.schedule.0.cron.start: cron "0 25 * * *": hour 25 is out of range 0-23',
    ]);
  });
  test('Aurora capacity with provisioned instances', () => {
    assert.match(
      problems([{ name: 'x', cron: { start: '0 6 * * *', end: '0 18 * * *' }, min: 2, database: { minCapacity: 2 } }], EC2_PROVISIONED)[0]!,
      /^scaling\.schedule\.0\.database: capacity units only apply to aws\.database\.engine: serverless: remove database from this window, or set aws\.database\.engine: serverless$/,
    );
  });
  test('a production window that lets the database pause', () => {
    assert.match(
      problems([{ name: 'x', cron: { start: '0 6 * * *', end: '0 18 * * *' }, min: 2, database: { minCapacity: 0 } }], {
        ...FARGATE_SERVERLESS,
        production: true,
      })[0]!,
      /^scaling\.schedule\.0\.database\.minCapacity: production must not let the database pause .*: set minCapacity to 0\.5 or more, or use aws\.profile: small$/,
    );
  });
  test("more windows than the applier's environment holds", () => {
    const many = Array.from(
      { length: 40 },
      (_, i): ScheduleEntry => ({ name: `window-${i}`, cron: { start: '0 6 * * 1-5', end: '0 18 * * 1-5' }, min: 2, rateLimit: 10000 }),
    );
    assert.match(
      problems(many, EC2_PROVISIONED).at(-1)!,
      /^scaling\.schedule: the 40 windows need \d+ characters in the schedule applier's environment, more than the 3000 it has .*: merge windows/,
    );
  });
});
