// Bars: the pass criteria a drill is held to (issue 4), each a pure function of what the drill
// measured. Every drill's own list is in its module (catalog/); the kinds they share are here. A
// bar is never weakened to pass: when the product misses it, the report says by how much.
// (The report's timeline chart draws columns, in timeline-chart.ts: nothing there is a bar.)
import type { InventoryComparison } from './inventory.ts';

/** One bar: what is required, what was measured, whether it was met. */
export interface Bar {
  readonly name: string;
  readonly limit: string;
  readonly measured: string;
  readonly met: boolean;
}

/** What a drill's run measured, for its bars. */
export interface Measured {
  /** Failed steps of the run, slow ones (more than SLOW_STEP) included. */
  readonly failed: number;
  readonly failedIdempotent: number;
  /** The failed steps Moodle's maintenance page answered (an upgrade's window; stats.ts kind "maintenance"); among `failed`. */
  readonly maintenance: number;
  /** From the first to the last step the maintenance page answered (recovery.ts maintenanceWindowSeconds); null when none was. */
  readonly maintenanceWindowSeconds: number | null;
  readonly lostSessions: number;
  readonly sessionsWrittenBeforeFault: number;
  readonly postsMissing: number;
  readonly recoverySeconds: number | null;
  readonly writesResumedSeconds: number | null;
  readonly steadyAfter: boolean;
  readonly inventory: InventoryComparison | null;
  /** The drill's own figures (its module's keys), for bars on them. */
  readonly figures?: Readonly<Record<string, number | string | boolean | null | undefined>>;
}

/** `value` must be 0. */
export const zero = (name: string, value: number): Bar => ({ name, limit: '0', measured: String(value), met: value === 0 });

/** `value` (a count) must be at most `limit`. */
export const atMost = (name: string, limit: number, value: number): Bar => ({ name, limit: `<= ${limit}`, measured: String(value), met: value <= limit });

/** `value` seconds must be at most `limitS`; null (not within the run) misses it. */
export const within = (name: string, limitS: number, value: number | null): Bar => ({
  name,
  limit: `<= ${limitS} s`,
  measured: value === null ? 'not within the run' : `${value} s`,
  met: value !== null && value <= limitS,
});

export const noPostLost = (m: Measured): Bar => zero('acknowledged posts missing afterwards', m.postsMissing);
export const noSessionLost = (m: Measured): Bar => zero('lost sessions', m.lostSessions);

export const steadyAfterRestore = (m: Measured): Bar => ({
  name: 'steady state after the restore',
  limit: 'all checks pass',
  measured: m.steadyAfter ? 'all checks pass' : 'checks failed',
  met: m.steadyAfter,
});
