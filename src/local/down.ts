// `down`: removes the cluster's containers and network. Data volumes and secrets stay unless
// `volumes` is set. Finds everything by label, so nothing the project made is missed.
import { LABELS, RUNTIME_IMAGE } from '../contract/image.ts';
import type { Progress } from '../util/progress.ts';
import { clusterContainers, removeContainer } from './containers.ts';
import { docker, requireDocker } from './engine/docker.ts';
import { hasSecrets, removeSecrets } from './secrets.ts';
import { UserError } from '../util/errors.ts';
import { AUTOSCALER_STOP_SECONDS } from './autoscaler-container.ts';

// The autoscaler first (it would otherwise replace what goes), then front to back. Within a
// service the highest-numbered node stops first, so node 1 of a Galera cluster leaves last and is
// the one safe to bootstrap the next `up`.
const STOP_ORDER = ['autoscaler', 'lb', 'web', 'cron', 'migrate', 'endpoints', 'sentinel', 'cache', 'redis', 'db', 'mail'];

/**
 * Stops and removes the cluster. A name with nothing on this engine (no container, network or
 * volume labelled with it, no secrets on this machine) is a mistake, not a success: it fails,
 * listing the clusters that are here.
 */
export async function down(cluster: string, opts: { volumes: boolean }, progress: Progress): Promise<{ containers: number; volumes: number }> {
  await requireDocker();
  const containers = await clusterContainers(cluster);
  if (!containers.length && !hasSecrets(cluster) && !(await hasNetworkOrVolume(cluster))) {
    throw new UserError(unknownClusterMessage(cluster, await clustersOnEngine()));
  }
  containers.sort(byStopOrder);
  for (const c of containers) {
    const name = c.Names[0]!.replace(/^\//, '');
    await progress.step(`stop ${name}`, () => removeContainer(name, stopSeconds(c.Labels[LABELS.service])));
  }
  const filter = { label: [`${LABELS.cluster}=${cluster}`] };
  for (const n of await docker().listNetworks({ filters: filter })) await docker().getNetwork(n.Id).remove();
  let volumes = 0;
  if (opts.volumes) {
    const { Volumes } = await docker().listVolumes({ filters: filter });
    for (const v of Volumes ?? []) {
      await progress.step(`remove volume ${v.Name}`, () => docker().getVolume(v.Name).remove());
      volumes++;
    }
    removeSecrets(cluster);
  }
  return { containers: containers.length, volumes };
}

/** Sorts containers into the order `down` stops them (STOP_ORDER; within a service, the highest-numbered first). */
export function byStopOrder(a: ListedContainer, b: ListedContainer): number {
  const rank = (c: ListedContainer) => STOP_ORDER.indexOf(c.Labels[LABELS.service] ?? '');
  return rank(a) - rank(b) || b.Names[0]!.localeCompare(a.Names[0]!);
}

/** What the engine lists of a container that the order needs. */
type ListedContainer = { readonly Labels: Readonly<Record<string, string>>; readonly Names: readonly string[] };

/** Why `down` of a name with nothing on the engine fails, with the clusters that are there. */
export function unknownClusterMessage(cluster: string, known: readonly string[]): string {
  const others = known.filter((k) => k !== cluster);
  const here = others.length ? `clusters on this engine: ${others.join(', ')}` : 'this engine has no moodle-ha cluster';
  return `no cluster named "${cluster}" here; ${here}. Check the name in the spec (name:), or give the spec of the cluster to stop with -f FILE. Nothing was changed.`;
}

/** Every cluster that has a container, network or volume on this engine (by the project's cluster label), sorted. */
async function clustersOnEngine(): Promise<string[]> {
  const filters = { label: [LABELS.cluster] };
  const [containers, networks, { Volumes }] = await Promise.all([
    docker().listContainers({ all: true, filters }),
    docker().listNetworks({ filters }),
    docker().listVolumes({ filters }),
  ]);
  const labels = [...containers.map((c) => c.Labels), ...networks.map((n) => n.Labels), ...(Volumes ?? []).map((v) => v.Labels)];
  return [...new Set(labels.map((l) => l?.[LABELS.cluster]).filter((c): c is string => !!c))].sort();
}

async function hasNetworkOrVolume(cluster: string): Promise<boolean> {
  const filters = { label: [`${LABELS.cluster}=${cluster}`] };
  if ((await docker().listNetworks({ filters })).length) return true;
  return ((await docker().listVolumes({ filters })).Volumes ?? []).length > 0;
}

/** Seconds a service's container is given to stop: a web node drains, the autoscaler finishes a scaling step. */
export function stopSeconds(service: string | undefined): number {
  if (service === 'web') return RUNTIME_IMAGE.drainSeconds + 5;
  if (service === 'autoscaler') return AUTOSCALER_STOP_SECONDS;
  return 30;
}
