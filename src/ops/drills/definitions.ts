// The drills: what each breaks, what it needs from the cluster, and why a cluster cannot run it.
import type { DrillName } from './options.ts';

export interface DrillDefinition {
  readonly name: DrillName;
  readonly summary: string;
  /** Needs the ha profile (replicated database or Redis). */
  readonly needsHa: boolean;
  /** Web nodes that must run before the fault. */
  readonly minWebNodes: number;
  /**
   * The fault action takes a while (down + up; a drained scale-in): the load keeps running until
   * it returns, then for the run's time after the fault (duration - fault-at), then stops, so the
   * whole action happens under load.
   */
  readonly longFault: boolean;
}

export const DRILLS: Readonly<Record<DrillName, DrillDefinition>> = {
  'web-loss': { name: 'web-loss', summary: 'kill -9 one web node', needsHa: false, minWebNodes: 2, longFault: false },
  'db-writer-loss': { name: 'db-writer-loss', summary: 'kill -9 the Galera node the writer endpoint uses', needsHa: true, minWebNodes: 1, longFault: false },
  'cache-primary-loss': { name: 'cache-primary-loss', summary: 'kill -9 the Redis primary', needsHa: true, minWebNodes: 1, longFault: false },
  'lb-restart': { name: 'lb-restart', summary: 'restart the HAProxy container', needsHa: false, minWebNodes: 1, longFault: false },
  'scale-in': { name: 'scale-in', summary: 'scale the web tier in by one node while users are active', needsHa: false, minWebNodes: 2, longFault: true },
  'full-restart': { name: 'full-restart', summary: 'down, then up; every user, course, post and file must still be there', needsHa: false, minWebNodes: 1, longFault: true },
};

/** Why this cluster cannot run the drill, with what to change; undefined when it can. */
export function whyNotApplicable(drill: DrillName, cluster: { readonly name: string; readonly profile: string; readonly webNodes: number }): string | undefined {
  const d = DRILLS[drill];
  if (d.needsHa && cluster.profile !== 'ha') {
    return `drill ${drill} needs the ha profile (a 3-node Galera cluster behind the writer endpoint, Redis primary + replica + Sentinels); cluster "${cluster.name}" runs the ${cluster.profile} profile: set "profile: ha" in moodle-ha.yaml (or pass --profile ha), run "moodle-ha up", then run the drill again`;
  }
  if (cluster.webNodes < d.minWebNodes) {
    return `drill ${drill} needs at least ${d.minWebNodes} running web nodes; cluster "${cluster.name}" has ${cluster.webNodes}: run "moodle-ha scale ${d.minWebNodes}" (or set web.nodes: ${d.minWebNodes} in moodle-ha.yaml and run "moodle-ha up"), then run the drill again`;
  }
  return undefined;
}
