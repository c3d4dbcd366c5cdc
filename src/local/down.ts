// `down`: removes the cluster's containers and network. Data volumes and secrets stay unless
// `volumes` is set. Finds everything by label, so nothing the project made is missed.
import { LABELS, RUNTIME_IMAGE } from '../contract/image.ts';
import type { Progress } from '../util/progress.ts';
import { clusterContainers, removeContainer } from './containers.ts';
import { docker, requireDocker } from './engine/docker.ts';
import { removeSecrets } from './secrets.ts';
import { AUTOSCALER_STOP_SECONDS } from './autoscaler-container.ts';

// The autoscaler first (it would otherwise replace what goes), then front to back. Within a
// service the highest-numbered node stops first, so node 1 of a Galera cluster leaves last and is
// the one safe to bootstrap the next `up`.
const STOP_ORDER = ['autoscaler', 'lb', 'web', 'cron', 'migrate', 'endpoints', 'sentinel', 'cache', 'redis', 'db', 'mail'];

export async function down(cluster: string, opts: { volumes: boolean }, progress: Progress): Promise<{ containers: number; volumes: number }> {
  await requireDocker();
  const containers = await clusterContainers(cluster);
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

/** Seconds a service's container is given to stop: a web node drains, the autoscaler finishes a scaling step. */
export function stopSeconds(service: string | undefined): number {
  if (service === 'web') return RUNTIME_IMAGE.drainSeconds + 5;
  if (service === 'autoscaler') return AUTOSCALER_STOP_SECONDS;
  return 30;
}
