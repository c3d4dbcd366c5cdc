// Which capacity window (scaling.schedule) is in force at a time: ONE evaluation for both
// targets. The local autoscaler clamps its node count with it (src/ops/autoscaler/policy.ts); on
// AWS the schedule applier Lambda (src/aws/compute/schedule-applier/) uses the same code to set the
// web tasks, EC2 floor, Aurora capacity and WAF rate limit of the window in force. Each window is an
// "open" action (the window's values) and a "close" action (back to the base values), and THE LAST
// ACTION TO FIRE WINS (the rule of AWS scheduled actions, kept since both targets were built on it).
//
// So, at `now`:
// - a recurring window is open when its last `start` firing is later than its last `end` firing;
//   a one-off window is open when from <= now < until;
// - of the open windows, the one whose open fired most recently is the candidate (a tie goes to
//   the window listed later in the spec);
// - the candidate is in force unless some other window's close fired after it opened: on AWS
//   that close restored the base min/max and nothing re-opened the candidate, so here too the
//   base is in force and the candidate is reported as `overridden`. An open and another
//   window's close in the same minute: the open wins (hand-over, e.g. night 22-06 / day 06-22).
// Window capacity (windowBounds): min = max(window.min, 1) (an empty web tier would take the site
// down) and max = window.max, or max(base max, window.min) when not given.
// Pure: no I/O, no zod, so the AWS Lambda bundle carries only this file, cron.ts and util/errors.
import { UserError } from '../util/errors.ts';
import { lastFiring, parseCron, type CronExpr } from './cron.ts';
import type { ScheduleEntry } from './scaling.ts';

/** How far back a recurring window's start/end is looked for: 8 years covers every cron that
 * fires at all (29 February included), and the day-by-day search keeps that cheap. */
export const SCHEDULE_HORIZON_DAYS = 8 * 366;

/** What the evaluation reads of a window: its name and its times. */
export type WindowTiming = Pick<ScheduleEntry, 'name' | 'cron' | 'from' | 'until'>;

/** The window in force at a time. */
export interface ActiveWindow<W extends WindowTiming = ScheduleEntry> {
  readonly entry: W;
  /** Position in scaling.schedule. */
  readonly index: number;
  /** When its open action last fired. */
  readonly since: Date;
}

/** The node count range in force, and the window that set it (none: the base min/max). */
export interface Bounds {
  readonly min: number;
  readonly max: number;
  readonly window?: string;
  /** Windows open by their own times but not in force (an open or close fired after them). */
  readonly overridden?: readonly string[];
}

/** The part of the resolved scaling spec the bounds depend on. */
export interface ScheduleScaling {
  readonly min: number;
  readonly max: number;
  readonly schedule: readonly ScheduleEntry[];
}

interface Fired {
  readonly open?: number;
  readonly close?: number;
}

function parseOrExplain(text: string, path: string): CronExpr {
  try {
    return parseCron(text);
  } catch (e) {
    throw new UserError(`the capacity schedule cannot be evaluated:`, [`${path}: ${(e as Error).message}`]);
  }
}

function fired(e: WindowTiming, i: number, now: Date): Fired {
  const t = now.getTime();
  if (e.cron) {
    const start = lastFiring(parseOrExplain(e.cron.start, `scaling.schedule.${i}.cron.start`), now, SCHEDULE_HORIZON_DAYS);
    const end = lastFiring(parseOrExplain(e.cron.end, `scaling.schedule.${i}.cron.end`), now, SCHEDULE_HORIZON_DAYS);
    return { open: start?.getTime(), close: end?.getTime() };
  }
  const from = e.from === undefined ? NaN : Date.parse(e.from);
  const until = e.until === undefined ? NaN : Date.parse(e.until);
  return { open: from <= t ? from : undefined, close: until <= t ? until : undefined };
}

const isOpen = (f: Fired): f is Fired & { open: number } => f.open !== undefined && (f.close === undefined || f.open > f.close);

/** Problems with the schedule's cron expressions (range, order), one line each with its path. */
export function checkSchedule(schedule: readonly WindowTiming[]): string[] {
  const problems: string[] = [];
  schedule.forEach((e, i) => {
    for (const key of ['start', 'end'] as const) {
      const text = e.cron?.[key];
      if (text === undefined) continue;
      try {
        parseCron(text);
      } catch (err) {
        problems.push(`scaling.schedule.${i}.cron.${key}: ${(err as Error).message}`);
      }
    }
  });
  return problems;
}

/** Windows open by their own times (see the rules at the top), most recently opened first. */
function openWindows<W extends WindowTiming>(schedule: readonly W[], now: Date): { all: Fired[]; open: ActiveWindow<W>[] } {
  const all = schedule.map((e, i) => fired(e, i, now));
  const open: ActiveWindow<W>[] = [];
  all.forEach((f, index) => {
    if (isOpen(f)) open.push({ entry: schedule[index]!, index, since: new Date(f.open) });
  });
  open.sort((a, b) => b.since.getTime() - a.since.getTime() || b.index - a.index);
  return { all, open };
}

/**
 * The window in force at `now`, or undefined when the base min/max apply. Throws a UserError
 * naming the spec path when a cron expression is out of range.
 */
export function activeWindow<W extends WindowTiming>(schedule: readonly W[], now: Date): ActiveWindow<W> | undefined {
  return evaluate(schedule, now).active;
}

function evaluate<W extends WindowTiming>(schedule: readonly W[], now: Date): { active?: ActiveWindow<W>; overridden: string[] } {
  const { all, open } = openWindows(schedule, now);
  const candidate = open[0];
  if (!candidate) return { overridden: [] };
  const lastOtherClose = Math.max(-Infinity, ...all.filter((_, i) => i !== candidate.index).map((f) => f.close ?? -Infinity));
  const inForce = candidate.since.getTime() >= lastOtherClose;
  const active = inForce ? candidate : undefined;
  return { active, overridden: open.filter((w) => w !== active).map((w) => w.entry.name) };
}

/** The web node range a window sets, given the base range: its min (at least 1) and its max, or the base max raised to its min. */
export function windowBounds(e: Pick<ScheduleEntry, 'min' | 'max'>, base: { readonly min: number; readonly max: number }): { min: number; max: number } {
  return { min: Math.max(e.min, 1), max: e.max ?? Math.max(base.max, e.min) };
}

/** The node count range in force at `now`: the active window's, or the base min/max. */
export function bounds(scaling: ScheduleScaling, now: Date): Bounds {
  const base = { min: scaling.min, max: Math.max(scaling.max, scaling.min) };
  const { active, overridden } = evaluate(scaling.schedule, now);
  const extra = overridden.length ? { overridden } : {};
  if (!active) return { ...base, ...extra };
  return { ...windowBounds(active.entry, base), window: active.entry.name, ...extra };
}
