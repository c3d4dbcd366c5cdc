// The spec's capacity windows (scaling.schedule) as Application Auto Scaling scheduled actions:
// each window opens with its own min/max and closes back to the base min/max. The spec writes
// 5-field Unix cron in UTC; AWS wants 6 fields, "?" in day-of-month or day-of-week, Sunday = 1.
import type { ScheduleEntry } from '../../spec/scaling.ts';
import { UserError } from '../../util/errors.ts';

export interface ScheduledCapacity {
  /** Unique action name, "<window>-open" or "<window>-close". */
  readonly name: string;
  /** Application Auto Scaling expression: "cron(…)" or "at(…)", UTC. */
  readonly expression: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
}

export interface Capacity { readonly min: number; readonly max: number }

/**
 * Turns capacity windows into scheduled actions. `floor` is the fewest web tasks a window may
 * ask for. One-off windows that closed before `now` are left out.
 */
export function scheduledCapacity(entries: readonly ScheduleEntry[], base: Capacity, floor: number, now: Date = new Date()): ScheduledCapacity[] {
  const problems: string[] = [];
  const out: ScheduledCapacity[] = [];
  entries.forEach((e, i) => {
    if (e.min < 1) problems.push(`scaling.schedule.${i}.min: 0 web tasks would take the site down on AWS: set min to ${floor} or more`);
    const open = { minCapacity: Math.max(e.min, 1), maxCapacity: e.max ?? Math.max(base.max, e.min) };
    const close = { minCapacity: base.min, maxCapacity: base.max };
    if (e.cron) {
      try {
        out.push({ name: `${e.name}-open`, expression: awsCron(e.cron.start), ...open });
        out.push({ name: `${e.name}-close`, expression: awsCron(e.cron.end), ...close });
      } catch (err) {
        problems.push(`scaling.schedule.${i}.cron: ${(err as Error).message}`);
      }
    } else if (e.from && e.until && Date.parse(e.until) > now.getTime()) {
      out.push({ name: `${e.name}-open`, expression: awsAt(e.from), ...open });
      out.push({ name: `${e.name}-close`, expression: awsAt(e.until), ...close });
    }
  });
  if (problems.length) throw new UserError('the capacity schedule cannot be used on AWS:', problems);
  return out;
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
