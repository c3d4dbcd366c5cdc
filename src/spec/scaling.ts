// The scaling policy, one shape for both targets: the local autoscaler evaluates it against
// HAProxy's stats, the CDK app turns it into target tracking and scheduled actions.
import { z } from 'zod';
import { durationSchema } from './units.ts';

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

/** A capacity override: while the window is open, min (and max) are replaced. */
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
  .strict();

export type ScalingSpec = z.output<typeof scalingSchema>;
export type ScheduleEntry = z.output<typeof scheduleEntrySchema>;
