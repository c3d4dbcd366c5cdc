// What a drill is: one module per drill (src/ops/drills/catalog/) says what it breaks and what it
// needs from the cluster, how it breaks it and puts it back, the figures it measures (each with a
// key and a label) and the bars it is held to. The registry (registry.ts) lists the modules; the
// runner, the CLI, the reports and the failover benchmark read them there. A drill acts on the
// cluster only through the ClusterRuntime, so it runs on whatever target implements it.
import type { ClusterRuntime } from '../../runtime/cluster.ts';
import type { Bar, Measured } from './bars.ts';

/** A value a drill measured: seconds, a node's name, a count; null when it was not seen in time. */
export type FigureValue = number | string | boolean | null;

/** A drill's figures by key: each key one its module declares (an unknown key does not type-check). */
export type Figures<K extends string> = Readonly<Partial<Record<K, FigureValue>>>;

export interface DrillContext {
  readonly runtime: ClusterRuntime;
  readonly log: (line: string) => void;
  /** Counts the site's users, courses, posts and files now; the runner counts again after the restore and compares. */
  readonly recordInventory: () => Promise<void>;
}

/** What the restore did, in words for the report. */
export interface Restored {
  readonly action: string;
  readonly detail: string;
}

/** One fault, its target chosen, not yet made. */
export interface Fault<K extends string> {
  /** What is done, e.g. "kill -9 web node". */
  readonly action: string;
  /** To what, e.g. "moodle-web-2". */
  readonly target: string;
  /**
   * Breaks it and returns at once (watchers that time the cluster's reaction keep running);
   * `at` is right before the destructive call (epoch ms).
   */
  inject(): Promise<{ readonly at: number; readonly detail: string }>;
  /** Waits for the watchers; every declared figure, null where nothing was seen. */
  figures(): Promise<Record<K, FigureValue>>;
  /**
   * Puts back what inject() broke, so the drill leaves the cluster as it found it. The runner
   * calls it whenever inject() was called: after the run, after an error, after an interruption;
   * so it must work whether inject() completed, failed half-way, or was never reached.
   */
  restore(): Promise<Restored>;
}

export interface Drill<N extends string = string, K extends string = string> {
  readonly name: N;
  /** One line: what it breaks. */
  readonly summary: string;
  /** Needs the ha profile (replicated database or Redis). */
  readonly needsHa: boolean;
  /** Needs a plugin listed with a source folder in the spec (the upgrade drill raises its version). @default false */
  readonly needsSourcePlugin?: boolean;
  /** Web nodes that must run before the fault. */
  readonly minWebNodes: number;
  /**
   * The fault action takes a while (down + up; a drained scale-in): the load keeps running until
   * it returns, then for the run's time after the fault (duration - fault-at), then stops, so the
   * whole action happens under load.
   */
  readonly longFault: boolean;
  /** The figures it measures: key → label for people (reports show the label, code reads the key). */
  readonly figures: Readonly<Record<K, string>>;
  /** Chooses the target (under load: e.g. the Galera node the writer endpoint uses now). Breaks nothing. */
  prepare(ctx: DrillContext): Promise<Fault<K>>;
  /** The bars (the pass criteria) as a pure function of what was measured. */
  bars(m: Measured): Bar[];
  /** The figure that says how fast the cluster noticed or moved (the failover benchmark's "detection"). */
  detection(figures: Figures<K>, fault: { readonly target: string } | undefined): string;
}

/** Declares a drill module, keeping its name and figure keys as literal types. */
export function defineDrill<const N extends string, const K extends string>(d: Drill<N, K>): Drill<N, K> {
  return d;
}

/** A figure in seconds, for a report cell: "3.1 s", "never" when it was not seen. */
export function seconds(v: FigureValue | undefined): string {
  return typeof v === 'number' ? `${v} s` : v === null || v === undefined ? 'never' : String(v);
}
