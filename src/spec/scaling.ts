// The scaling policy, one shape for both targets: the local autoscaler evaluates it against
// HAProxy's stats, the CDK app turns it into target tracking and a schedule applier. Which window
// is in force at a time is decided by one evaluation for both (./windows.ts).
import { z } from 'zod';
import { acuSchema, durationSchema, rateLimitSchema } from './units.ts';

const CRON_FIELD = /^(\*|\d+(-\d+)?(,\d+(-\d+)?)*)(\/\d+)?$/;

/** A 5-field cron expression (minute hour day-of-month month day-of-week), evaluated in UTC. */
export const cronSchema = z.string().refine(
  (s) => {
    const f = s.trim().split(/\s+/);
    return f.length === 5 && f.every((x) => CRON_FIELD.test(x));
  },
  { message: 'must be a 5-field cron expression in UTC, e.g. "0 22 * * *" (22:00 every day)' },
);

const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 time with zone, e.g. "2026-12-07T07:00:00Z"' });

/** A capacity override: while the window is open, min (and max) are replaced; on AWS also the
 * WAF rate limit and the Aurora Serverless v2 capacity when given. */
export const scheduleEntrySchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'must be lower-case letters, digits and "-", e.g. "exam-week"'),
    /** Recurring window: opens at `start`, closes at `end` (cron, UTC). */
    cron: z.object({ start: cronSchema, end: cronSchema }).strict().optional(),
    /** One-off window between two times. */
    from: isoTime.optional(),
    until: isoTime.optional(),
    min: z.number().int().min(0),
    max: z.number().int().min(1).optional(),
    /** AWS only: WAF requests per client IP per 5 minutes while open (exams: many students behind one
     * school NAT). The local target has no WAF and ignores it. @default aws.edge.rateLimit */
    rateLimit: rateLimitSchema.optional(),
    /** AWS only, aws.database.engine serverless: Aurora Serverless v2 capacity while open. */
    database: z
      .object({
        /** Fewest ACUs; 0 lets the database pause (not in production). */
        minCapacity: acuSchema,
        /** Most ACUs, at least 1. @default the larger of aws.database.maxCapacity and minCapacity */
        maxCapacity: acuSchema.refine((v) => v >= 1, 'must be at least 1 ACU (the smallest maximum Aurora Serverless v2 accepts)').optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    const oneOff = e.from !== undefined || e.until !== undefined;
    if (oneOff === (e.cron !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either cron {start, end} (recurring) or from + until (one-off), not both and not neither' });
    }
    if (oneOff && (e.from === undefined || e.until === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a one-off window needs both "from" and "until"' });
    }
    if (e.from && e.until && Date.parse(e.from) >= Date.parse(e.until)) {
      ctx.addIssue({ code: 'custom', path: ['until'], message: '"until" must be after "from"' });
    }
    if (e.max !== undefined && e.max < e.min) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: `max (${e.max}) must be at least min (${e.min})` });
    }
    const db = e.database;
    if (db?.maxCapacity !== undefined && db.maxCapacity < db.minCapacity) {
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'maxCapacity'],
        message: `(${db.maxCapacity}) must be at least database.minCapacity (${db.minCapacity}): raise maxCapacity or lower minCapacity`,
      });
    }
  });

export const scalingSchema = z
  .object({
    /** Fewest web nodes. @default 1 (dev), 2 (ha) */
    min: z.number().int().min(1).optional(),
    /** Most web nodes. @default 4 */
    max: z.number().int().min(1).max(50).default(4),
    /** Target requests per second per web node (AWS: ×60 for ALBRequestCountPerTarget). @default 40 */
    targetRequestsPerNode: z.number().positive().default(40),
    /** Target CPU utilisation of the web tier, percent. @default 60 */
    targetCpuPercent: z.number().int().min(10).max(95).default(60),
    /** Wait after a scale-out before another. @default "30s" */
    scaleOutCooldown: durationSchema.prefault('30s'),
    /** Wait after any scaling before a scale-in. @default "120s" */
    scaleInCooldown: durationSchema.prefault('120s'),
    /** Capacity overrides in time windows (exam weeks, nights). @default [] */
    schedule: z.array(scheduleEntrySchema).default([]),
  })
  .strict()
  .superRefine((s, ctx) => {
    const first = new Map<string, number>();
    s.schedule.forEach((e, i) => {
      const earlier = first.get(e.name);
      if (earlier === undefined) first.set(e.name, i);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['schedule', i, 'name'],
          message: `"${e.name}" is also the name of window ${earlier}: give each window its own name (events and AWS schedules are named after it)`,
        });
    });
  });

export type ScheduleEntry = z.output<typeof scheduleEntrySchema>;
