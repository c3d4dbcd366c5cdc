// `down`: removes the cluster's containers and network. Data volumes and secrets stay unless
// `volumes` is set. Finds everything by label, so nothing the project made is missed.
import { existsSync } from 'node:fs';
import { LABELS, RUNTIME_IMAGE } from '../contract/image.ts';
import { clusterStateDir } from '../util/paths.ts';
import type { Progress } from '../util/progress.ts';
import { hint } from '../spec/hint.ts';
import { clusterContainers, inspectContainer, removeContainer, sleep } from './containers.ts';
import { DOWN_WAIT_MS, downMigrateAction } from './migrate-decision.ts';
import { keepEndedRun } from './migrate.ts';
import { clusterNames } from './names.ts';
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
  // A state folder alone (the kept migrate logs of a first install that failed) is still this cluster's: --volumes removes it.
  if (!(await clusterContainers(cluster)).length && !hasSecrets(cluster) && !existsSync(clusterStateDir(cluster)) && !(await hasNetworkOrVolume(cluster))) {
    throw new UserError(unknownClusterMessage(cluster, await clustersOnEngine()));
  }
  await waitForMigrate(cluster, progress);
  const containers = (await clusterContainers(cluster)).sort(byStopOrder); // listed after the wait: as they are now
  for (const c of containers) {
    const name = c.Names[0]!.replace(/^\//, '');
    await progress.step(`stop ${name}`, () => removeContainer(name, stopSeconds(c.Labels[LABELS.service])));
  }
  const filter = { label: [`${LABELS.cluster}=${cluster}`] };
  for (const n of await docker().listNetworks({ filters: filter })) await removeNetwork(n.Id, n.Name);
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

/**
 * Removes the cluster's network; one that a container not of the cluster still uses (a debugging
 * container someone attached) stays, and the error names it and how to go on.
 */
async function removeNetwork(id: string, name: string): Promise<void> {
  try {
    await docker().getNetwork(id).remove();
  } catch (e) {
    const attached: { Name?: string }[] = Object.values((await docker().getNetwork(id).inspect()).Containers ?? {});
    const names = attached.map((c) => c.Name ?? '?');
    if (!names.length) throw e;
    const [them, it] = names.length === 1 ? ['a container', 'it'] : ['containers', 'them'];
    throw new UserError(
      `the network ${name} is still used by ${them} not of this cluster: ${names.join(', ')}. ` +
        `The cluster's containers are removed; the network, data volumes and secrets are kept. ` +
        `Disconnect ${it} ("docker network disconnect ${name} ${names[0]}") or remove ${it}, then run "${hint('down')}" again.`,
    );
  }
}

/**
 * Before anything stops: a running migrate is never removed (killed half-way, an install or
 * upgrade is left half-done). `down` waits for its end, saying so every 15 s with its last
 * progress line; Ctrl-C while it waits leaves the whole cluster as it was. After DOWN_WAIT_MS it
 * refuses, having removed nothing.
 */
async function waitForMigrate(cluster: string, progress: Progress, limitMs = DOWN_WAIT_MS): Promise<void> {
  const name = clusterNames(cluster).container('migrate');
  const t0 = Date.now();
  let said = -Infinity;
  for (;;) {
    const info = await inspectContainer(name);
    const waited = Date.now() - t0;
    const a = downMigrateAction(info && { status: info.State.Status, createdAt: info.Created, startedAt: info.State.StartedAt }, Date.now(), waited, limitMs);
    if (a.kind === 'go') {
      if (said > -Infinity) progress.info(`${name}: ended after ${Math.round(waited / 1000)} s of waiting; stopping the cluster`);
      if (info) await keepEndedRun(cluster, info.Id); // its log stays readable ("migrate log") once the container is gone
      return;
    }
    if (a.kind === 'refuse')
      throw new UserError(
        `${a.why}; "down" does not remove a running migrate (an install or upgrade killed half-way leaves the database half-done). Nothing was removed. ` +
          `Follow it with "${hint('logs migrate --follow')}" and run "${hint('down')}" again once it has ended.`,
      );
    if (waited - said >= 15_000) {
      said = waited;
      progress.info(
        `${a.why}: waiting for its end before stopping anything (at most ${Math.round(limitMs / 60_000)} min; Ctrl-C leaves the cluster as it is). ${await lastLine(name)}`,
      );
    }
    await sleep(2000);
  }
}

/** The last progress line a migrate container wrote, as "Last: migrate[…]: …", or ''. */
async function lastLine(name: string): Promise<string> {
  try {
    const out = (await docker().getContainer(name).logs({ stdout: true, stderr: true, tail: 20 })).toString('utf8');
    const last = [...out.matchAll(/migrate\[[^\r\n]*/g)].at(-1)?.[0]; // after each frame's 8-byte header
    return last ? `Last: ${last.trim()}` : '';
  } catch {
    return '';
  }
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
export async function clustersOnEngine(): Promise<string[]> {
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
