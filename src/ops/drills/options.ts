// The drill command's arguments: which drill (or all), users, duration, when the fault is injected
// and where the results go. Pure: every problem is reported at once, with what to write instead.
import { closest } from '../../util/suggest.ts';
import { parseDuration } from '../../spec/units.ts';
import { UserError } from '../../util/errors.ts';
import { DRILL_NAMES, isDrillName, type DrillName } from './registry.ts';

export const DRILL_LIMITS = {
  maxUsers: 50,
  minDurationSeconds: 15,
  maxDurationSeconds: 20 * 60,
  /** The fault comes after the ramp: at least this far into the run. */
  minFaultAtSeconds: 5,
  /** Seconds of load the run keeps after the fault, at least, so a recovery can be seen. */
  minAfterFaultSeconds: 10,
} as const;

export interface DrillOptions {
  readonly drills: readonly DrillName[];
  readonly users: number;
  readonly durationSeconds: number;
  readonly faultAtSeconds: number;
  /** Mean think time of the virtual users. */
  readonly thinkSeconds: number;
  /** Users start over this ramp (a quarter of the time before the fault, at most 5 s). */
  readonly rampSeconds: number;
  readonly outDir: string;
}

export const DRILL_DEFAULTS = { users: 6, durationSeconds: 60, faultAtSeconds: 20, thinkSeconds: 0.5, outDir: 'drill-results' } as const;

type Flags = Readonly<Record<string, string | boolean | Array<string | boolean> | undefined>>;

/** Parses `drill NAME [--users N] [--duration 60s] [--fault-at 20s] [--out DIR]`; throws a UserError listing every problem. */
export function parseDrillArgs(positionals: readonly string[], values: Flags): DrillOptions {
  const problems: string[] = [];
  const name = positionals[0];
  let drills: DrillName[] = [];
  if (!name) problems.push(`name the drill: moodle-ha drill NAME, where NAME is one of ${DRILL_NAMES.join(', ')} or all`);
  else if (name === 'all') drills = [...DRILL_NAMES];
  else if (isDrillName(name)) drills = [name];
  else {
    const hint = closest(name, [...DRILL_NAMES, 'all']);
    problems.push(`unknown drill "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; drills: ${DRILL_NAMES.join(', ')}, all`);
  }

  const duration = (flag: string, fallback: number): number => {
    const v = values[flag];
    if (v === undefined) return fallback;
    const d = typeof v === 'string' ? parseDuration(v) : undefined;
    if (!d) {
      problems.push(`--${flag} "${String(v)}" is not a duration: write a number and a unit, e.g. "30s" or "2m"`);
      return NaN;
    }
    return d.seconds;
  };
  let users: number = DRILL_DEFAULTS.users;
  if (values.users !== undefined) {
    users = typeof values.users === 'string' && /^\d+$/.test(values.users) ? Number(values.users) : NaN;
    if (!(users >= 1 && users <= DRILL_LIMITS.maxUsers))
      problems.push(`--users "${String(values.users)}" must be a whole number from 1 to ${DRILL_LIMITS.maxUsers}`);
  }
  const durationSeconds = duration('duration', DRILL_DEFAULTS.durationSeconds);
  const faultAtSeconds = duration('fault-at', DRILL_DEFAULTS.faultAtSeconds);
  const L = DRILL_LIMITS;
  if (!Number.isNaN(durationSeconds) && !(durationSeconds >= L.minDurationSeconds && durationSeconds <= L.maxDurationSeconds)) {
    problems.push(`--duration must be from ${L.minDurationSeconds}s to ${L.maxDurationSeconds / 60}m, got ${durationSeconds}s`);
  }
  if (!Number.isNaN(faultAtSeconds)) {
    if (faultAtSeconds < L.minFaultAtSeconds)
      problems.push(`--fault-at must be at least ${L.minFaultAtSeconds}s (the users start first), got ${faultAtSeconds}s`);
    else if (!Number.isNaN(durationSeconds) && faultAtSeconds > durationSeconds - L.minAfterFaultSeconds) {
      problems.push(
        `--fault-at (${faultAtSeconds}s) must leave at least ${L.minAfterFaultSeconds}s of the run after the fault: make it at most ${durationSeconds - L.minAfterFaultSeconds}s, or make --duration longer`,
      );
    }
  }
  let outDir: string = DRILL_DEFAULTS.outDir;
  if (values.out !== undefined) {
    if (typeof values.out !== 'string' || values.out.trim() === '') problems.push('--out needs a folder, e.g. --out ./drill-results');
    else outDir = values.out;
  }
  if (problems.length) throw new UserError('drill: invalid arguments; nothing was run:', problems);
  return { drills, users, durationSeconds, faultAtSeconds, thinkSeconds: DRILL_DEFAULTS.thinkSeconds, rampSeconds: Math.min(5, faultAtSeconds / 4), outDir };
}
