// A drill's results: the JSON shape (schema moodle-ha.drill/1), and the two files written for each
// run under the output folder: drill-<name>-<time>.json and the same name with .html.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { FailureSample, StepSummary, TimelinePoint } from '../load/stats.ts';
import type { InventoryComparison } from './inventory.ts';
import type { DrillName } from './options.ts';
import type { Recovery } from './recovery.ts';
import { renderHtml } from './html.ts';

export const DRILL_SCHEMA = 'moodle-ha.drill/1';

/** One of the bars: what is required, what was measured, whether it was met. */
export interface Bar {
  readonly name: string;
  readonly limit: string;
  readonly measured: string;
  readonly met: boolean;
}

export interface SteadyStateReport {
  readonly ok: boolean;
  readonly problems: readonly string[];
  /** Seconds waited for the steady state (bounded). */
  readonly waitedSeconds: number;
}

export type Figure = number | string | boolean | null;

export interface DrillResult {
  readonly schema: typeof DRILL_SCHEMA;
  readonly drill: DrillName;
  readonly cluster: string;
  readonly profile: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly host: { readonly cpus: number; readonly memoryGiB: number; readonly node: string };
  readonly options: { readonly users: number; readonly durationSeconds: number; readonly faultAtSeconds: number; readonly thinkSeconds: number; readonly rampSeconds: number };
  /** What was done, to what, when (seconds since the load started) and how long the action took. */
  readonly fault: { readonly action: string; readonly target: string; readonly atSeconds: number; readonly tookSeconds: number; readonly detail: string };
  readonly restore: { readonly action: string; readonly tookSeconds: number; readonly detail: string };
  readonly steadyState: { readonly before: SteadyStateReport; readonly after: SteadyStateReport };
  readonly load: { readonly requests: number; readonly elapsedSeconds: number; readonly stoppedBy: string; readonly steps: readonly StepSummary[] };
  /** Steps of the whole run (one step = one page with its redirects). */
  readonly totals: { readonly ok: number; readonly failed: number; readonly failedIdempotent: number; readonly failedNonIdempotent: number };
  /** Steps that ended from the fault on. */
  readonly afterFault: { readonly ok: number; readonly failed: number; readonly failedIdempotent: number; readonly failedNonIdempotent: number };
  readonly sessions: { readonly lost: number; readonly writtenInLastSecondBeforeFault: number; readonly lostBeyondThose: number };
  readonly posts: { readonly acknowledged: number; readonly checked: number; readonly missing: readonly number[] };
  readonly recovery: Recovery & { readonly writesResumedSeconds: number | null; readonly definition: string };
  /** Figures only this drill measures (e.g. seconds until HAProxy marked the node DOWN). */
  readonly figures: Readonly<Record<string, Figure>>;
  readonly inventory: InventoryComparison | null;
  readonly bars: readonly Bar[];
  readonly passed: boolean;
  readonly timeline: readonly TimelinePoint[];
  /** The first failures of the run, with what went wrong. */
  readonly failures: readonly FailureSample[];
}

export const RECOVERY_DEFINITION =
  'seconds from the fault to the start of the first full second, after the last second with a failed step, that had successful steps and no failed one; 0 when nothing failed from the fault on; null when the run ended first';

export function hostFacts(): DrillResult['host'] {
  return { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 1024 ** 3), node: process.version };
}

/** Writes the JSON and the HTML report; returns their paths. */
export function writeResultFiles(r: DrillResult, outDir: string): { json: string; html: string } {
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `drill-${r.drill}-${r.startedAt.replace(/[:.]/g, '-')}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(`${base}.html`, renderHtml(r));
  return { json: `${base}.json`, html: `${base}.html` };
}
