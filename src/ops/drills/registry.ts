// The drills, in the order `moodle-ha drill all` runs them (full-restart late: it takes longest;
// upgrade last: it leaves the cluster on a plugin version its spec does not have, see its module).
// This list is the one place a drill is named: the CLI (names, help, did-you-mean), the runner,
// the reports and the failover benchmark read it. Adding a drill: a module in catalog/ and a line here.
import { cachePrimaryLoss } from './catalog/cache-primary-loss.ts';
import { cachesPrimaryLoss } from './catalog/caches-primary-loss.ts';
import { cacheStall } from './catalog/cache-stall.ts';
import { configChange } from './catalog/config-change.ts';
import { dbWriterLoss } from './catalog/db-writer-loss.ts';
import { fullRestart } from './catalog/full-restart.ts';
import { lbRestart } from './catalog/lb-restart.ts';
import { nodeCrash } from './catalog/node-crash.ts';
import { scaleIn } from './catalog/scale-in.ts';
import { upgrade } from './catalog/upgrade.ts';
import { webLoss } from './catalog/web-loss.ts';
import type { Figures } from './drill.ts';

export const DRILLS = [
  webLoss,
  dbWriterLoss,
  cachePrimaryLoss,
  cachesPrimaryLoss,
  lbRestart,
  scaleIn,
  configChange,
  cacheStall,
  nodeCrash,
  fullRestart,
  upgrade,
] as const;

export type AnyDrill = (typeof DRILLS)[number];
export type DrillName = AnyDrill['name'];
/** Every figure key any drill declares (keys are unique across drills: a unit test checks it). */
export type FigureKey = AnyDrill extends infer D ? (D extends { readonly figures: infer F } ? keyof F & string : never) : never;
/** A result's figures, by key. */
export type FigureValues = Figures<FigureKey>;

export const DRILL_NAMES: readonly DrillName[] = DRILLS.map((d) => d.name);

export function isDrillName(s: string): s is DrillName {
  return (DRILL_NAMES as readonly string[]).includes(s);
}

export function drillNamed(name: DrillName): AnyDrill {
  return DRILLS.find((d) => d.name === name)!;
}

/** The drill's figures in the order its module declares them: key, label for people, value (undefined when missing). */
export function figureRows(name: DrillName, figures: FigureValues): Array<{ key: FigureKey; label: string; value: FigureValues[FigureKey] }> {
  const declared: Readonly<Record<string, string>> = drillNamed(name).figures;
  return Object.entries(declared).map(([key, label]) => ({ key: key as FigureKey, label, value: figures[key as FigureKey] }));
}
