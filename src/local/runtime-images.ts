// Which runtime images a cluster runs: the current one and the one it ran before, recorded in its
// state folder by `up` as soon as the image is built (before any container changes), so that
// pruning (prune-images.ts) keeps both, for every cluster on this machine, even one that is down.
// `down --volumes` removes the state folder, and with it this record.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LABELS } from '../contract/image.ts';
import { docker } from './engine/docker.ts';
import { clusterStateDir, stateRoot } from '../util/paths.ts';

export interface ImageRef {
  readonly id: string;
  readonly tag: string;
}

export interface RuntimeImageRecord {
  readonly current: ImageRef;
  readonly previous?: ImageRef;
}

export interface RecordedImage extends ImageRef {
  readonly cluster: string;
  readonly role: 'current' | 'previous';
}

const FILE = 'runtime-images.json';

/**
 * The record after `up` built `now`: the previous one is the record's current one, or, without a
 * record (the first `up` of this version), the image the cluster's web nodes or cron run. Pure.
 */
export function nextRecord(record: RuntimeImageRecord | undefined, now: ImageRef, runningBefore: ImageRef | undefined): RuntimeImageRecord {
  const before = record?.current ?? runningBefore;
  if (!before || before.id === now.id) return { current: now, ...(record?.previous && record.previous.id !== now.id ? { previous: record.previous } : {}) };
  return { current: now, previous: before };
}

/** Records that the cluster now runs the runtime image `tag` (called by `up` right after the image step). */
export async function recordRuntimeImage(cluster: string, tag: string): Promise<RuntimeImageRecord> {
  const now = { id: (await docker().getImage(tag).inspect()).Id, tag };
  const record = nextRecord(readRecord(cluster), now, await runningRuntimeImage(cluster));
  const file = join(clusterStateDir(cluster), FILE);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  return record;
}

/** Every cluster's recorded current and previous runtime images on this machine. */
export function recordedRuntimeImages(root = stateRoot()): RecordedImage[] {
  const dir = join(root, 'clusters');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((cluster) => {
    const r = readRecord(cluster, root);
    if (!r) return [];
    return [{ cluster, role: 'current' as const, ...r.current }, ...(r.previous ? [{ cluster, role: 'previous' as const, ...r.previous }] : [])];
  });
}

/** The runtime image `up` last recorded for the cluster (it may not run yet: an interrupted `up`). */
export function recordedRuntimeImage(cluster: string): ImageRef | undefined {
  return readRecord(cluster)?.current;
}

function readRecord(cluster: string, root = stateRoot()): RuntimeImageRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(clusterStateDir(cluster, root), FILE), 'utf8')) as RuntimeImageRecord;
    return r?.current?.id ? r : undefined;
  } catch {
    return undefined; // none yet, or torn: the next `up` writes it again
  }
}

/** The image the cluster's web nodes (else cron) run now, if any. */
async function runningRuntimeImage(cluster: string): Promise<ImageRef | undefined> {
  const containers = await docker().listContainers({ all: true, filters: { label: [`${LABELS.cluster}=${cluster}`] } });
  const c = containers.find((x) => x.Labels[LABELS.service] === 'web') ?? containers.find((x) => x.Labels[LABELS.service] === 'cron');
  return c ? { id: c.ImageID, tag: c.Image } : undefined;
}
