// The running local cluster as backup and restore need it: which profile it runs, the images
// its containers run (helpers are made from the same images, so the dump client matches the
// server and the PHP matches the code), its web nodes and cron, and its secrets.
import { LABELS } from '../../contract/image.ts';
import { requireDocker } from '../engine/docker.ts';
import type { Profile, Spec } from '../../spec/schema.ts';
import { UserError } from '../../util/errors.ts';
import { clusterContainers } from '../containers.ts';
import { clusterNames, type ClusterNames } from '../names.ts';
import { ensureSecrets, hasSecrets, type Secrets } from '../secrets.ts';
import type { ImageTags } from '../services.ts';
import { hint } from '../../spec/hint.ts';

export interface RunningCluster {
  readonly spec: Spec;
  readonly names: ClusterNames;
  /** From the containers that run (an endpoints container means ha), not from the spec. */
  readonly profile: Profile;
  readonly images: ImageTags;
  /** Web node containers (running or stopped), by name. */
  readonly webNodes: readonly string[];
  /** Web nodes running now. */
  readonly runningWebNodes: readonly string[];
  readonly cronRunning: boolean;
  /** The cron container, running or stopped (a failed restore leaves it stopped). */
  readonly cron: string | undefined;
  readonly secrets: Secrets;
}

/**
 * Finds the cluster of `spec` with its data tier running (and, with `needWeb`, its load balancer
 * and web nodes, which a restore stops and starts again); otherwise a UserError says to run `up`.
 */
export async function runningCluster(spec: Spec, opts: { needWeb: boolean }): Promise<RunningCluster> {
  await requireDocker();
  return clusterFromContainers(spec, await clusterContainers(spec.name), opts);
}

/** What the engine lists of a container that clusterFromContainers reads. */
export interface ListedContainer {
  readonly Names: readonly string[];
  readonly Labels: Readonly<Record<string, string>>;
  readonly State: string;
  readonly Image: string;
}

/** runningCluster from the cluster's containers as the engine lists them (and its secrets on this machine). */
export function clusterFromContainers(spec: Spec, containers: readonly ListedContainer[], opts: { needWeb: boolean }): RunningCluster {
  const n = clusterNames(spec.name);
  const of = (service: string) => containers.filter((c) => c.Labels[LABELS.service] === service);
  const running = (service: string) => of(service).filter((c) => c.State === 'running');
  const name = (c: (typeof containers)[number]) => c.Names[0]!.replace(/^\//, '');
  const profile: Profile = of('endpoints').length ? 'ha' : 'dev';
  const missing: string[] = [];
  if (!running('db').length) missing.push('database');
  if (profile === 'ha' && !running('endpoints').length) missing.push(`endpoints container (${n.dbWriter})`);
  if (!running('redis').length) missing.push('Redis');
  const runtime = [...of('web'), ...of('cron')][0]?.Image;
  if (opts.needWeb) {
    if (!running('lb').length) missing.push('load balancer');
    if (!of('web').length) missing.push('web nodes');
  }
  if (!runtime) missing.push('web or cron container (their image is the one helpers run)');
  if (missing.length || !hasSecrets(spec.name)) {
    throw new UserError(
      `cluster "${spec.name}" is not running (${missing.length ? `no ${missing.join(', ')}` : 'no secrets on this machine'}): start it with "${hint('up')}" first. Nothing was changed.`,
    );
  }
  const web = of('web')
    .map(name)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return {
    spec,
    names: n,
    profile,
    images: {
      runtime: runtime!,
      mariadb: of('db')[0]!.Image,
      redis: of('redis')[0]!.Image,
      haproxy: of('lb')[0]?.Image ?? '',
      mail: of('mail')[0]?.Image ?? '',
    },
    webNodes: web,
    runningWebNodes: running('web')
      .map(name)
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true })),
    cronRunning: running('cron').length > 0,
    cron: of('cron')[0] ? name(of('cron')[0]!) : undefined,
    secrets: ensureSecrets(spec.name),
  };
}
