// Whether a cluster can run a drill: its shape as the runtime sees it (profile, running web
// nodes), and why not, saying what to change.
import type { ClusterRuntime } from '../../runtime/cluster.ts';
import { UserError } from '../../util/errors.ts';
import { drillNamed, type DrillName } from './registry.ts';

export interface ClusterShape {
  readonly name: string;
  readonly profile: string;
  readonly webNodes: number;
  /** Plugins the spec lists with a source folder. */
  readonly sourcePlugins: number;
}

/** The profile the cluster runs (ha when it has the endpoints member), and its running web nodes; a UserError when it is not running. */
export async function clusterShape(runtime: ClusterRuntime): Promise<ClusterShape> {
  await runtime.requireEngine();
  const name = runtime.loaded.spec.name;
  const members = await runtime.members();
  if (!members.some((m) => m.service === 'lb' && m.running)) throw new UserError(`cluster "${name}" is not running: start it with "moodle-ha up" first`);
  const ha = members.some((m) => m.service === 'endpoints');
  return {
    name,
    profile: ha ? 'ha' : 'dev',
    webNodes: (await runtime.webNodes()).length,
    sourcePlugins: runtime.loaded.spec.plugins.filter((p) => p.source !== undefined).length,
  };
}

/** Why this cluster cannot run the drill, with what to change; undefined when it can. */
export function whyNotApplicable(drill: DrillName, cluster: ClusterShape): string | undefined {
  const d = drillNamed(drill);
  if (d.needsHa && cluster.profile !== 'ha') {
    return `drill ${drill} needs the ha profile (a 3-node Galera cluster behind the writer endpoint, Redis primary + replica + Sentinels); cluster "${cluster.name}" runs the ${cluster.profile} profile: set "profile: ha" in moodle-ha.yaml (or pass --profile ha), run "moodle-ha up", then run the drill again`;
  }
  if (cluster.webNodes < d.minWebNodes) {
    return `drill ${drill} needs at least ${d.minWebNodes} running web nodes; cluster "${cluster.name}" has ${cluster.webNodes}: run "moodle-ha scale ${d.minWebNodes}" (or set web.nodes: ${d.minWebNodes} in moodle-ha.yaml and run "moodle-ha up"), then run the drill again`;
  }
  if (d.needsSourcePlugin && cluster.sourcePlugins === 0) {
    return `drill ${drill} raises a plugin's version; cluster "${cluster.name}" lists no plugin with a source folder: add one under "plugins:" in moodle-ha.yaml (component and source), run "moodle-ha up", then run the drill again`;
  }
  return undefined;
}
