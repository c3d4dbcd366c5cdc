// Typed units for the spec: durations and sizes are written with their unit ("30s", "512Mi")
// and carried as numbers of one base unit (seconds, bytes) so no caller guesses the unit.
import { z } from 'zod';

export interface Duration {
  readonly seconds: number;
}
export interface Size {
  readonly bytes: number;
}

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
const SIZE_UNITS: Record<string, number> = {
  '': 1,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
};

export function parseDuration(text: string): Duration | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  return { seconds: Number(m[1]) * DURATION_UNITS[m[2]!]! };
}

export function parseSize(text: string): Size | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|K|M|G|)$/.exec(text.trim());
  if (!m) return undefined;
  return { bytes: Math.round(Number(m[1]) * SIZE_UNITS[m[2]!]!) };
}

export const toMiB = (s: Size): number => Math.floor(s.bytes / 1024 ** 2);

/** Aurora Serverless v2 capacity units (ACU): 0 to 256 in steps of 0.5 (0 lets the database pause). */
export const acuSchema = z
  .number()
  .min(0, 'must be from 0 to 256 Aurora capacity units (ACU)')
  .max(256, 'must be from 0 to 256 Aurora capacity units (ACU)')
  .multipleOf(0.5, 'must be a multiple of 0.5 ACU (Aurora Serverless v2 scales in half units), e.g. 2.5');

/** Requests one client IP may make in 5 minutes before AWS WAF blocks it. */
export const rateLimitSchema = z
  .number()
  .int('must be a whole number of requests per 5 minutes')
  .min(100, 'must be at least 100 requests per 5 minutes')
  .max(2_000_000_000, "must be at most 2,000,000,000 requests per 5 minutes (AWS WAF's limit)");

/** Zod type for a duration written with its unit, e.g. "30s", "5m", "1h". */
export const durationSchema = z.string().transform((text, ctx) => {
  const d = parseDuration(text);
  if (!d) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration: write a number and a unit (ms, s, m, h, d), e.g. "30s"` });
    return z.NEVER;
  }
  return d;
});

/** Zod type for a size written with its unit, e.g. "512Mi", "2Gi", "64M". */
export const sizeSchema = z.string().transform((text, ctx) => {
  const s = parseSize(text);
  if (!s) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a size: write a number and a unit (K, M, G, Ki, Mi, Gi), e.g. "512Mi"` });
    return z.NEVER;
  }
  return s;
});
