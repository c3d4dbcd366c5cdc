// What a drill's load run says about the recovery, computed from the per-second timeline and the
// step samples. Pure functions, so each definition is tested and documented in one place.
//
// Seconds until error-free again ("recovery"):
//   F = the time of the fault, in seconds since the run started (e.g. 20.03).
//   L = the last second of the timeline, at or after the second holding F, with a failed step.
//   S = the first second after L with at least one successful step and no failed step: the first
//       full error-free second after the last failure.
//   recovery = S - F (the start of second S), never below 0. No failure from F on: 0 (and
//   recoveredAt = F). No such S before the run ended: null (not recovered within the run).
// Steps ending in a second are what the timeline counts (one step = one page with its redirects).
// A step slower than SLOW_STEP (5 s) is a failed step here like any other (stats.ts records it so).
//
// The fault window (FAULT_WINDOW_DEFINITION): from the fault's injection to the end of second S
// (the first error-free second), but at least SLOW_STEP long (a step the fault slowed without
// failing it ends within SLOW_STEP of the fault, so the window holds it even when nothing failed)
// and at least to the end of the fault action; to the end of the run when the run never was
// error-free again, and never past the run's end. Latency "in the fault window" is over every step
// that ended in it, failed ones included (a timeout's wait is latency a user saw).
import { methodOf, percentile, SLOW_STEP, type StepSample, type TimelinePoint } from '../load/stats.ts';

export const FAULT_WINDOW_DEFINITION = `from the fault's injection to the end of the first error-free second, but at least ${SLOW_STEP.seconds} s (a step the fault slowed without failing it ends within that) and at least to the end of the fault action; to the end of the run when never error-free again; latency over every step that ended in it, failed ones included`;

export interface Recovery {
  /** A step failed at or after the fault's second. */
  readonly errorsAfterFault: boolean;
  /** Failed steps from the fault's second on. */
  readonly failedAfterFault: number;
  /** L: the last second with a failed step (from the fault's second on); null when none. */
  readonly lastFailedSecond: number | null;
  /** S (or F when nothing failed): where the run was error-free again; null when never. */
  readonly recoveredAtSeconds: number | null;
  /** S - F, rounded to 0.1 s; null when not recovered within the run. */
  readonly seconds: number | null;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export function recoveryFrom(timeline: readonly TimelinePoint[], faultAtSeconds: number): Recovery {
  const faultSecond = Math.floor(faultAtSeconds);
  const after = timeline.filter((p) => p.second >= faultSecond);
  const failedAfterFault = after.reduce((n, p) => n + p.failed, 0);
  const last = [...after].reverse().find((p) => p.failed > 0);
  if (!last) return { errorsAfterFault: false, failedAfterFault: 0, lastFailedSecond: null, recoveredAtSeconds: round1(faultAtSeconds), seconds: 0 };
  const clean = timeline.find((p) => p.second > last.second && p.ok > 0 && p.failed === 0);
  if (!clean) return { errorsAfterFault: true, failedAfterFault, lastFailedSecond: last.second, recoveredAtSeconds: null, seconds: null };
  return {
    errorsAfterFault: true,
    failedAfterFault,
    lastFailedSecond: last.second,
    recoveredAtSeconds: clean.second,
    seconds: round1(Math.max(0, clean.second - faultAtSeconds)),
  };
}

/** Steps ok and failed before the fault's second and from it on. */
export function splitAtFault(
  timeline: readonly TimelinePoint[],
  faultAtSeconds: number,
): { before: { ok: number; failed: number }; after: { ok: number; failed: number } } {
  const s = Math.floor(faultAtSeconds);
  const sum = (ps: readonly TimelinePoint[]) => ({ ok: ps.reduce((n, p) => n + p.ok, 0), failed: ps.reduce((n, p) => n + p.failed, 0) });
  return { before: sum(timeline.filter((p) => p.second < s)), after: sum(timeline.filter((p) => p.second >= s)) };
}

/**
 * Writes resume: seconds from the fault to the end of the first successful write step (a POST:
 * login or forum reply) that started after the fault. Null when no write started after the fault
 * succeeded. Without an outage this is the wait for the next write (an upper bound).
 */
export function writesResumedSeconds(samples: readonly StepSample[], faultAtMs: number): number | null {
  let first = Infinity;
  for (const s of samples) {
    if (s.ok && methodOf(s.step) === 'POST' && s.at - s.ms >= faultAtMs && s.at < first) first = s.at;
  }
  return Number.isFinite(first) ? round1((first - faultAtMs) / 1000) : null;
}

/**
 * Sessions written in the last `windowMs` before the fault: logins that succeeded in that window.
 * A new session may not have reached the Redis replica (replication is asynchronous) when the
 * primary dies, so these users may have to log in again.
 */
export function sessionsWrittenBefore(samples: readonly StepSample[], faultAtMs: number, windowMs = 1000): number {
  // A slow login (a failure for the counts) still wrote its session.
  return samples.filter((s) => s.step === 'login' && (s.ok || s.kind === 'slow') && s.at <= faultAtMs && s.at > faultAtMs - windowMs).length;
}

/** Failed steps that ended after the fault, by the HTTP method of the step. */
export function failuresAfterFault(samples: readonly StepSample[], faultAtMs: number): { idempotent: number; nonIdempotent: number } {
  let idempotent = 0;
  let nonIdempotent = 0;
  for (const s of samples) {
    if (s.ok || s.at < faultAtMs) continue;
    if (methodOf(s.step) === 'GET') idempotent++;
    else nonIdempotent++;
  }
  return { idempotent, nonIdempotent };
}

/** The fault window, in ms since the load started: [fromMs, toMs]. */
export interface FaultWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

export function faultWindow(a: {
  /** Injection, ms since the load started. */
  readonly faultAtMs: number;
  /** How long the fault action (inject) took, ms. */
  readonly actionTookMs: number;
  /** Recovery.recoveredAtSeconds: the start of the first error-free second; null when never. */
  readonly recoveredAtSeconds: number | null;
  /** The end of the load, ms since it started. */
  readonly runEndMs: number;
}): FaultWindow {
  const actionEnd = a.faultAtMs + a.actionTookMs;
  const runEnd = Math.max(a.runEndMs, actionEnd);
  if (a.recoveredAtSeconds === null) return { fromMs: a.faultAtMs, toMs: runEnd };
  const end = Math.max(a.recoveredAtSeconds * 1000 + 1000, a.faultAtMs + SLOW_STEP.seconds * 1000, actionEnd);
  return { fromMs: a.faultAtMs, toMs: Math.min(end, runEnd) };
}

/** Steps that ended in the window, the slow ones among them, and their p99 (ms, 0.1 ms; null when none). */
export function latencyIn(samples: readonly StepSample[], w: FaultWindow): { steps: number; slow: number; p99Ms: number | null } {
  const inside = samples.filter((s) => s.at >= w.fromMs && s.at <= w.toMs);
  const p99 = percentile(
    inside.map((s) => s.ms).sort((x, y) => x - y),
    99,
  );
  return { steps: inside.length, slow: inside.filter((s) => s.kind === 'slow').length, p99Ms: p99 === null ? null : Math.round(p99 * 10) / 10 };
}

/**
 * Seconds from the first to the last step Moodle's maintenance page answered (kind "maintenance",
 * an upgrade's window as users saw it), 0.1 s; null when none was.
 */
export function maintenanceWindowSeconds(samples: readonly StepSample[]): number | null {
  const at = samples.filter((s) => s.kind === 'maintenance').map((s) => s.at);
  if (at.length === 0) return null;
  return Math.round((Math.max(...at) - Math.min(...at)) / 100) / 10;
}
