// The spec's capacity windows (scaling.schedule) on AWS: what each window sets (web tasks, the EC2
// floor, Aurora Serverless v2 capacity, the WAF rate limit) and when the schedule applier runs:
// EventBridge Scheduler expressions at each window's open and close. Which window is in force is
// not decided here but by the applier, with src/spec/windows.ts, at run time.
// The spec writes 5-field Unix cron in UTC; AWS wants 6 fields, "?" in day-of-month or day-of-week,
// Sunday = 1 (EventBridge Scheduler takes the same cron() and at() as Application Auto Scaling).
import type { ScheduleEntry } from '../../spec/scaling.ts';
import { parseCron } from '../../spec/cron.ts';
import { checkSchedule, windowBounds } from '../../spec/windows.ts';
import { UserError } from '../../util/errors.ts';
import {
  encodeSchedule,
  SCHEDULE_ENV_LIMIT,
  type AppliedSchedule,
  type AppliedWindow,
  type CapacityRange,
  type CapacityTargets,
} from './schedule-applier/config.ts';

/** When the applier runs: a window's open or close. */
export interface ScheduleTrigger {
  /** "<window>-open" or "<window>-close". */
  readonly name: string;
  /** EventBridge Scheduler expression, "cron(…)" or "at(…)", UTC. */
  readonly expression: string;
}

export interface CapacitySchedule extends AppliedSchedule {
  readonly triggers: readonly ScheduleTrigger[];
}

/** The base values, and what the deployment allows. */
export interface CapacityBase {
  readonly web: CapacityRange;
  /** EC2 container instances a number of web tasks needs. @default - Fargate, no instances */
  readonly instancesFor?: (webTasks: number) => number;
  readonly rateLimit: number;
  /** The Serverless v2 range. @default - provisioned instances, no capacity to schedule */
  readonly database?: CapacityRange;
  /** Production: a window may not let the database pause. */
  readonly production: boolean;
  /** Fewest web tasks a window may ask for (for the message). */
  readonly floor: number;
}

const parses = (cron: string): boolean => {
  try {
    parseCron(cron);
    return true;
  } catch {
    return false;
  }
};

function targets(web: CapacityRange, base: CapacityBase, rateLimit: number, database: CapacityRange | undefined): CapacityTargets {
  return { web, instances: base.instancesFor?.(web.min), rateLimit, database };
}

/**
 * What each window sets and when the applier runs. Edges of one-off windows that are past at
 * `now` get no trigger (a deploy applies the window in force anyway). Throws a UserError listing
 * every problem with its spec path.
 */
export function capacitySchedule(entries: readonly ScheduleEntry[], base: CapacityBase, now: Date = new Date()): CapacitySchedule {
  const problems: string[] = [...checkSchedule(entries)];
  const triggers: ScheduleTrigger[] = [];
  const windows = entries.map((e, i): AppliedWindow => {
    const path = `scaling.schedule.${i}`;
    if (e.min < 1) problems.push(`${path}.min: 0 web tasks would take the site down on AWS: set min to ${base.floor} or more`);
    let database = base.database;
    if (e.database && !base.database) {
      problems.push(
        `${path}.database: capacity units only apply to aws.database.engine: serverless: remove database from this window, or set aws.database.engine: serverless`,
      );
    } else if (e.database && base.database) {
      if (base.production && e.database.minCapacity === 0) {
        problems.push(
          `${path}.database.minCapacity: production must not let the database pause (resuming takes about 15 s): set minCapacity to 0.5 or more, or use aws.profile: small`,
        );
      }
      database = { min: e.database.minCapacity, max: e.database.maxCapacity ?? Math.max(base.database.max, e.database.minCapacity) };
    }
    if (e.cron && parses(e.cron.start) && parses(e.cron.end)) {
      // else checkSchedule reported it
      try {
        triggers.push({ name: `${e.name}-open`, expression: awsCron(e.cron.start) }, { name: `${e.name}-close`, expression: awsCron(e.cron.end) });
      } catch (err) {
        problems.push(`${path}.cron: ${(err as Error).message}`);
      }
    } else if (e.from && e.until) {
      if (Date.parse(e.from) > now.getTime()) triggers.push({ name: `${e.name}-open`, expression: awsAt(e.from) });
      if (Date.parse(e.until) > now.getTime()) triggers.push({ name: `${e.name}-close`, expression: awsAt(e.until) });
    }
    const timing = e.cron ? { cron: e.cron } : { from: e.from, until: e.until };
    return { name: e.name, ...timing, targets: targets(windowBounds(e, base.web), base, e.rateLimit ?? base.rateLimit, database) };
  });
  const schedule: AppliedSchedule = { base: targets(base.web, base, base.rateLimit, base.database), windows };
  const size = encodeSchedule(schedule).length;
  if (size > SCHEDULE_ENV_LIMIT) {
    problems.push(
      `scaling.schedule: the ${entries.length} windows need ${size} characters in the schedule applier's environment, more than the ${SCHEDULE_ENV_LIMIT} it has (Lambda allows 4 KB): merge windows, or remove one-off windows that have closed`,
    );
  }
  if (problems.length) throw new UserError('the capacity schedule cannot be used on AWS:', problems);
  return { ...schedule, triggers };
}

/** "0 22 * * 1-5" (Unix, UTC) → "cron(0 22 ? * 2,3,4,5,6 *)". */
export function awsCron(unix: string): string {
  const f = unix.trim().split(/\s+/);
  if (f.length !== 5) throw new Error(`"${unix}" is not a 5-field cron expression`);
  const [minute, hour, dom, month, dow] = f as [string, string, string, string, string];
  if (dom !== '*' && dow !== '*') {
    throw new Error(`"${unix}" gives both a day of month and a day of week, which AWS cannot combine: set one of them to "*"`);
  }
  if (dow === '*') return `cron(${minute} ${hour} ${dom} ${month} ? *)`;
  return `cron(${minute} ${hour} ? ${month} ${awsWeekdays(dow, unix)} *)`;
}

/** Unix day-of-week list (0 or 7 = Sunday) → AWS list (1 = Sunday), expanded and sorted. */
function awsWeekdays(field: string, unix: string): string {
  if (field.includes('/')) throw new Error(`"${unix}": a step in the day-of-week field is not supported on AWS: list the days, e.g. "1,3,5"`);
  const days = new Set<number>();
  for (const part of field.split(',')) {
    const [a, b] = part.split('-').map(Number) as [number, number | undefined];
    const end = b ?? a;
    if (a > 7 || end > 7 || end < a) throw new Error(`"${unix}": "${part}" is not a day-of-week range from 0 (Sunday) to 7 (Sunday)`);
    for (let d = a; d <= end; d++) days.add((d % 7) + 1);
  }
  return [...days].sort((x, y) => x - y).join(',');
}

/** ISO time with zone → "at(yyyy-mm-ddThh:mm:ss)" in UTC. */
export function awsAt(iso: string): string {
  return `at(${new Date(iso).toISOString().slice(0, 19)})`;
}
