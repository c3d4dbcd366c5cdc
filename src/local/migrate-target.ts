// What a migrate run outside `up` (the `migrate` command, `migrate status`) needs of the local
// cluster: its data tier running (the database, its writer endpoint in ha, Redis: migrate writes
// the caches' configuration), its secrets, the runtime image it runs (the web nodes', else cron's,
// else the one `up` recorded before it was interrupted) and the config bundle its web nodes have.
import { LABELS } from '../contract/image.ts';
import type { LoadedSpec } from '../spec/read.ts';
import { hint } from '../spec/hint.ts';
import { UserError } from '../util/errors.ts';
import type { ArchiveFile } from './archive.ts';
import { clusterContainers } from './containers.ts';
import { requireDocker } from './engine/docker.ts';
import { recordedRuntimeImage } from './runtime-images.ts';
import { ensureSecrets, hasSecrets, type Secrets } from './secrets.ts';
import { bundleFiles } from './up.ts';
import { recordedWebBundle } from './web-bundle.ts';

export interface MigrateTarget {
  readonly image: string;
  readonly secrets: Secrets;
  readonly bundle: readonly ArchiveFile[];
  /** A running web or cron container (PHP with the cluster's environment), if any. */
  readonly phpContainer: string | undefined;
}

export interface ListedMember {
  readonly name: string;
  readonly service: string;
  readonly running: boolean;
  readonly image: string;
}

/** What of the data tier is missing among `members` ([] when migrate can run). Pure. */
export function missingDataTier(members: readonly ListedMember[]): string[] {
  const running = (service: string) => members.some((m) => m.service === service && m.running);
  const present = (service: string) => members.some((m) => m.service === service);
  return [
    ...(running('db') ? [] : ['the database']),
    ...(present('endpoints') && !running('endpoints') ? ['the database writer endpoint'] : []),
    ...(running('redis') ? [] : ['Redis']),
    ...(present('cache') && !running('cache') ? ["the caches' Redis"] : []),
  ];
}

/** The image PHP of the cluster runs: a web node's (the first by name), else cron's. Pure. */
export function runningRuntime(members: readonly ListedMember[]): ListedMember | undefined {
  const sorted = [...members].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  return sorted.find((m) => m.service === 'web') ?? sorted.find((m) => m.service === 'cron');
}

/** The cluster as a migrate needs it, or a UserError saying what to start. Changes nothing. */
export async function migrateTarget(loaded: LoadedSpec): Promise<MigrateTarget> {
  const { spec } = loaded;
  await requireDocker();
  const members: ListedMember[] = (await clusterContainers(spec.name)).map((c) => ({
    name: c.Names[0]!.replace(/^\//, ''),
    service: c.Labels[LABELS.service] ?? '?',
    running: c.State === 'running',
    image: c.Image,
  }));
  const missing = missingDataTier(members);
  if (missing.length || !hasSecrets(spec.name))
    throw new UserError(
      `cluster "${spec.name}" is not running (${missing.length ? `${missing.join(', ')} not running` : 'no secrets on this machine'}): start it with "${hint('up')}" first. Nothing was changed.`,
    );
  const runtime = runningRuntime(members);
  const image = runtime?.image ?? recordedRuntimeImage(spec.name)?.tag;
  if (!image) throw new UserError(`cluster "${spec.name}" has no runtime image yet: run "${hint('up')}" first. Nothing was changed.`);
  const php = runningRuntime(members.filter((m) => m.running));
  return { image, secrets: ensureSecrets(spec.name), bundle: webBundle(loaded), phpContainer: php?.name };
}

/** The bundle the web nodes run with (recorded by `up`), else the spec's folder (an `up` that never reached the web nodes). */
function webBundle(loaded: LoadedSpec): readonly ArchiveFile[] {
  try {
    return recordedWebBundle(loaded.spec);
  } catch (e) {
    if (e instanceof UserError) return bundleFiles(loaded.spec, loaded.baseDir);
    throw e;
  }
}
