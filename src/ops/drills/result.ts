// A drill's result: the JSON shape (schema moodle-ha.drill/3) that the runner returns, the files
// hold and the reports read. Types and constants only: result-files.ts writes it, html.ts and
// summary.ts render it.
import { SLOW_STEP, type FailureSample, type StepCounts, type StepSummary, type StepTotals, type TimelinePoint } from '../load/stats.ts';
import type { Bar } from './bars.ts';
import type { InventoryComparison } from './inventory.ts';
import type { Recovery } from './recovery.ts';
import type { DrillName, FigureValues } from './registry.ts';

/**
 * /2: figures are keyed by the drill module's figure keys (e.g. "lbMarkedDownSeconds"), no longer by their English labels; restore says why it ran.
 * /3: a step slower than SLOW_STEP (5 s) counts as failed (kind "slow"; totals.slow counts them); faultWindow gives the p99 latency from the fault to recovery.
 */
export const DRILL_SCHEMA = 'moodle-ha.drill/3';

export interface SteadyStateReport {
  readonly ok: boolean;
  readonly problems: readonly string[];
  /** Seconds waited for the steady state (bounded). */
  readonly waitedSeconds: number;
}

/** Why a restore ran: the run ended, an error after the fault was injected, or an interruption (SIGINT, SIGTERM). */
export type RestoreReason = 'run ended' | 'error' | 'interrupted';

/** When a restore ran, in words: "restored after an interruption: start moodle-web-2 ...". */
export const RESTORED_AFTER: Readonly<Record<RestoreReason, string>> = {
  'run ended': 'after the run',
  error: 'after an error',
  interrupted: 'after an interruption',
};

export interface RestoreReport {
  readonly action: string;
  readonly detail: string;
  readonly tookSeconds: number;
  readonly reason: RestoreReason;
  /** True when the restore itself failed (detail says why): the cluster may still be broken. */
  readonly failed: boolean;
}

export interface DrillResult {
  readonly schema: typeof DRILL_SCHEMA;
  readonly drill: DrillName;
  readonly cluster: string;
  readonly profile: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly host: { readonly cpus: number; readonly memoryGiB: number; readonly node: string };
  readonly options: {
    readonly users: number;
    readonly durationSeconds: number;
    readonly faultAtSeconds: number;
    readonly thinkSeconds: number;
    readonly rampSeconds: number;
  };
  /** What was done, to what, when (seconds since the load started) and how long the action took. */
  readonly fault: { readonly action: string; readonly target: string; readonly atSeconds: number; readonly tookSeconds: number; readonly detail: string };
  readonly restore: RestoreReport;
  readonly steadyState: { readonly before: SteadyStateReport; readonly after: SteadyStateReport };
  readonly load: { readonly requests: number; readonly elapsedSeconds: number; readonly stoppedBy: string; readonly steps: readonly StepSummary[] };
  /** Steps of the whole run (one step = one page with its redirects); `slow`: the failed ones that got their page after more than SLOW_STEP. */
  readonly totals: StepTotals;
  /** Steps that ended from the fault on. */
  readonly afterFault: StepCounts;
  readonly sessions: { readonly lost: number; readonly writtenInLastSecondBeforeFault: number; readonly lostBeyondThose: number };
  readonly posts: { readonly acknowledged: number; readonly checked: number; readonly missing: readonly number[] };
  readonly recovery: Recovery & { readonly writesResumedSeconds: number | null; readonly definition: string };
  /** The fault window (recovery.ts faultWindow), seconds since the load started, and the steps that ended in it: how many, how many slow, their p99. */
  readonly faultWindow: {
    readonly fromSeconds: number;
    readonly toSeconds: number;
    readonly steps: number;
    readonly slow: number;
    readonly p99Ms: number | null;
    readonly definition: string;
  };
  /** Figures only this drill measures, by the keys its module declares (labels: registry.ts figureRows). */
  readonly figures: FigureValues;
  readonly inventory: InventoryComparison | null;
  readonly bars: readonly Bar[];
  readonly passed: boolean;
  readonly timeline: readonly TimelinePoint[];
  /** The first failures of the run, with what went wrong. */
  readonly failures: readonly FailureSample[];
}

export const RECOVERY_DEFINITION = `seconds from the fault to the start of the first full second, after the last second with a failed step, that had successful steps and no failed one (a step slower than ${SLOW_STEP.seconds} s counts as failed); 0 when nothing failed from the fault on; null when the run ended first`;
