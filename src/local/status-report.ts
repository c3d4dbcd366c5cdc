// What `status --json` prints: which cluster, where it answers, which profile, Moodle version and
// runtime image it runs, besides each container's state, the load balancer's view, the autoscaler
// and the recent scaling events. The builder is pure; the runtime facts are read from the engine.
import { LABELS } from '../contract/image.ts';
import type { Spec } from '../spec/schema.ts';
import { firstFileOf } from './archive.ts';
import { docker, isNotFound } from '../image/docker.ts';
import type { AutoscalerActivity } from './autoscaler-guard.ts';
import { clusterContainers } from './containers.ts';
import type { LoggedEvent } from './events-log.ts';
import type { LbServerStats, ServiceStatus } from './status.ts';

/** Where the Moodle version comes from: the record the image build wrote, which migrate and /readyz compare with the database. */
export const CODE_VERSION_FILE = '/opt/moodle-ha/code-version.json';

export interface ClusterRuntime {
  /** The runtime image the web nodes (else cron) run: the tag they were created from and its ID. */
  readonly image: { readonly tag: string; readonly id: string } | null;
  /** The Moodle code in that image, as its build recorded it. */
  readonly moodle: { readonly release: string; readonly version: string; readonly source: string } | null;
}

export interface StatusReport {
  readonly cluster: string;
  readonly url: string;
  /** What runs (an endpoints container means ha); the spec's when nothing runs. */
  readonly profile: string;
  readonly moodle: ClusterRuntime['moodle'];
  readonly image: ClusterRuntime['image'];
  readonly mailUrl: string;
  readonly services: readonly ServiceStatus[];
  readonly lb: readonly LbServerStats[] | string;
  readonly autoscaler: AutoscalerActivity;
  readonly events: readonly LoggedEvent[];
}

export interface StatusParts {
  readonly services: readonly ServiceStatus[];
  readonly lb: readonly LbServerStats[] | string;
  readonly runtime: ClusterRuntime;
  readonly mailUrl: string;
  readonly autoscaler: AutoscalerActivity;
  readonly events: readonly LoggedEvent[];
}

/** The JSON of `status --json`. Pure. */
export function statusReport(spec: Spec, p: StatusParts): StatusReport {
  return {
    cluster: spec.name,
    url: spec.site.url,
    profile: runningProfile(p.services) ?? spec.profile,
    moodle: p.runtime.moodle,
    image: p.runtime.image,
    mailUrl: p.mailUrl,
    services: p.services,
    lb: p.lb,
    autoscaler: p.autoscaler,
    events: p.events,
  };
}

/** The profile the containers show (ha has an endpoints container), or undefined when there is no data tier. */
export function runningProfile(services: readonly Pick<ServiceStatus, 'service'>[]): 'dev' | 'ha' | undefined {
  if (services.some((s) => s.service === 'endpoints')) return 'ha';
  return services.some((s) => s.service === 'db') ? 'dev' : undefined;
}

/**
 * The runtime image of the cluster (that of web node 1, else any web node, else cron, running
 * or stopped) and the Moodle version its build recorded; nulls when there is no such container.
 */
export async function clusterRuntime(cluster: string): Promise<ClusterRuntime> {
  const containers = await clusterContainers(cluster);
  const rank = (service: string | undefined) => ['web', 'cron'].indexOf(service ?? '');
  const runtime = containers
    .filter((c) => rank(c.Labels[LABELS.service]) >= 0)
    .sort((a, b) => rank(a.Labels[LABELS.service]) - rank(b.Labels[LABELS.service]) || a.Names[0]!.localeCompare(b.Names[0]!, 'en', { numeric: true }))[0];
  if (!runtime) return { image: null, moodle: null };
  return { image: { tag: runtime.Image, id: runtime.ImageID }, moodle: await recordedCode(runtime.Id) };
}

async function recordedCode(container: string): Promise<ClusterRuntime['moodle']> {
  try {
    const file = await firstFileOf((await docker().getContainer(container).getArchive({ path: CODE_VERSION_FILE })) as unknown as NodeJS.ReadableStream);
    const code = JSON.parse(file?.toString('utf8') ?? 'null') as { release?: string; version?: string } | null;
    return code?.release && code.version ? { release: code.release, version: code.version, source: `${CODE_VERSION_FILE} in the image (recorded at build)` } : null;
  } catch (e) {
    if (isNotFound(e) || e instanceof SyntaxError) return null;
    throw e;
  }
}
