// A small 5-field cron matcher (minute hour day-of-month month day-of-week), UTC only, for the
// capacity windows of both targets (src/spec/windows.ts). Each field takes `*`, numbers, ranges
// `a-b`, lists `a,b` and steps (`*/5`, `1-30/2`, and `5/15` meaning "from 5 to the field's end, every 15").
// Day of week runs 0-7 with both 0 and 7 = Sunday. No names (MON, JAN), no `?`, `L`, `W`, `#`:
// the spec's cron schema does not allow them either.
//
// Day rule, as in Vixie cron / cronie (the cron most Linux systems run): when both day-of-month
// and day-of-week are restricted, a day matches if EITHER matches; when one of them is
// unrestricted, both must match (so the unrestricted one is ignored). A field counts as
// unrestricted when it starts with `*` (so `*/2` is unrestricted for this rule, as in Vixie).

/** A parsed cron expression: the allowed values of each field and the day-rule flags. */
export interface CronExpr {
  readonly source: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday … 6 = Saturday (a 7 in the expression is stored as 0). */
  readonly daysOfWeek: ReadonlySet<number>;
  readonly domRestricted: boolean;
  readonly dowRestricted: boolean;
}

interface FieldDef {
  readonly name: string;
  readonly min: number;
  readonly max: number;
}

const FIELDS: readonly FieldDef[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
];

const ITEM = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

function parseField(text: string, def: FieldDef, expr: string): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const m = ITEM.exec(item);
    if (!m) throw new Error(`cron "${expr}": ${def.name} "${item}" is not *, a number, a range a-b or a step x/n`);
    const step = m[4] === undefined ? 1 : Number(m[4]);
    if (step < 1) throw new Error(`cron "${expr}": ${def.name} step "/${m[4]}" must be 1 or more`);
    let lo = def.min;
    let hi = def.max;
    if (m[1] !== '*') {
      lo = Number(m[2]);
      // "5/15" (a single number with a step) runs from 5 to the field's end.
      hi = m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? def.max : lo;
    }
    for (const v of [lo, hi]) {
      if (v < def.min || v > def.max) throw new Error(`cron "${expr}": ${def.name} ${v} is out of range ${def.min}-${def.max}`);
    }
    if (lo > hi) throw new Error(`cron "${expr}": ${def.name} range "${item}" runs backwards: write the smaller number first`);
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return values;
}

/** Parses a 5-field cron expression; throws an Error naming the field and the fix when invalid. */
export function parseCron(expr: string): CronExpr {
  const f = expr.trim().split(/\s+/);
  if (f.length !== 5) throw new Error(`cron "${expr}" must have 5 fields (minute hour day-of-month month day-of-week), it has ${f.length}`);
  const [minutes, hours, daysOfMonth, months, dowRaw] = f.map((text, i) => parseField(text, FIELDS[i]!, expr)) as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  const daysOfWeek = new Set([...dowRaw].map((d) => d % 7));
  return {
    source: expr,
    minutes,
    hours,
    daysOfMonth,
    months,
    daysOfWeek,
    domRestricted: !f[2]!.startsWith('*'),
    dowRestricted: !f[4]!.startsWith('*'),
  };
}

const asExpr = (e: string | CronExpr): CronExpr => (typeof e === 'string' ? parseCron(e) : e);

/** Whether the UTC calendar day of `t` matches the month and day fields (with the day rule). */
function dayMatches(c: CronExpr, t: Date): boolean {
  if (!c.months.has(t.getUTCMonth() + 1)) return false;
  const dom = c.daysOfMonth.has(t.getUTCDate());
  const dow = c.daysOfWeek.has(t.getUTCDay());
  if (c.domRestricted && c.dowRestricted) return dom || dow;
  return dom && dow;
}

/** Whether `at` (its UTC minute; seconds ignored) is a firing time of the expression. */
export function cronMatches(expr: string | CronExpr, at: Date): boolean {
  const c = asExpr(expr);
  return c.minutes.has(at.getUTCMinutes()) && c.hours.has(at.getUTCHours()) && dayMatches(c, at);
}

/**
 * The most recent firing at or before `before` (a firing at 06:00:00 counts for `before` =
 * 06:00:00 or 06:00:59), searching back at most `maxDays` days (default 8: enough for any daily
 * or weekly expression). Walks back day by day, and only inside matching days hour by hour and
 * minute by minute, so long horizons stay cheap. Undefined when there is none in the horizon.
 */
export function lastFiring(expr: string | CronExpr, before: Date, maxDays = 8): Date | undefined {
  const c = asExpr(expr);
  const end = Math.floor(before.getTime() / MINUTE_MS) * MINUTE_MS;
  if (!Number.isFinite(end)) return undefined;
  const earliest = end - maxDays * DAY_MS;
  const hours = [...c.hours].sort((a, b) => b - a);
  const minutes = [...c.minutes].sort((a, b) => b - a);
  const first = new Date(end);
  let dayStart = Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), first.getUTCDate());
  for (; dayStart + DAY_MS > earliest; dayStart -= DAY_MS) {
    if (!dayMatches(c, new Date(dayStart))) continue;
    for (const h of hours) {
      for (const m of minutes) {
        const t = dayStart + h * 3_600_000 + m * MINUTE_MS;
        if (t > end) continue;
        return t >= earliest ? new Date(t) : undefined;
      }
    }
  }
  return undefined;
}
