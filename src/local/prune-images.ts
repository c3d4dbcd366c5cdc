// Removes old runtime images after a successful `up` (the up command runs it once it printed the
// summary, so the site is usable meanwhile): every `up` or `build` with changed inputs
// tags a new one, and none was ever removed. Only images this project built (its project label,
// tagged only in the runtime repository) are candidates; of those, each cluster's current and
// previous image (runtime-images.ts) stay, and so does any image a container uses (any cluster,
// any project, running or stopped). The decision is pure (decidePrune); the engine is asked for
// the facts, and for the space the removal freed.
import { LABELS } from '../contract/image.ts';
import { RUNTIME_REPOSITORY } from './images/build.ts';
import { docker } from './engine/docker.ts';
import type { Progress } from '../util/progress.ts';
import { recordedRuntimeImages, type RecordedImage } from './runtime-images.ts';

export interface EngineImage {
  readonly id: string;
  readonly tags: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  /** Seconds since the epoch. */
  readonly created: number;
}

interface EngineContainer {
  readonly name: string;
  readonly imageId: string;
}

export interface PruneDecision {
  readonly remove: readonly EngineImage[];
  /** The project's runtime images that stay, each with why. */
  readonly keep: ReadonlyArray<{ readonly image: EngineImage; readonly why: string }>;
}

/** A runtime image this project built: its project label, and no tag outside the runtime repository. */
function isProjectRuntimeImage(image: EngineImage): boolean {
  return image.labels[LABELS.project] === 'moodle-ha' && image.tags.length > 0 && image.tags.every((t) => t.startsWith(`${RUNTIME_REPOSITORY}:`));
}

/** Which of the project's runtime images go, and why each other one stays. Pure. */
export function decidePrune(images: readonly EngineImage[], containers: readonly EngineContainer[], recorded: readonly RecordedImage[]): PruneDecision {
  const remove: EngineImage[] = [];
  const keep: Array<{ image: EngineImage; why: string }> = [];
  for (const image of [...images].filter(isProjectRuntimeImage).sort((a, b) => a.created - b.created)) {
    const users = containers.filter((c) => c.imageId === image.id).map((c) => c.name);
    const records = recorded.filter((r) => r.id === image.id).map((r) => `the ${r.role} image of cluster ${r.cluster}`);
    if (users.length) keep.push({ image, why: `used by ${users.sort().join(', ')}` });
    else if (records.length) keep.push({ image, why: records.join('; ') });
    else remove.push(image);
  }
  return { remove, keep };
}

interface PruneResult {
  /** Tags of the images removed. */
  readonly removed: readonly string[];
  /** Bytes the engine's image store shrank by (layers shared with a kept image free nothing). */
  readonly freedBytes: number;
  readonly kept: PruneDecision['keep'];
}

/** Removes the runtime images decidePrune picks, and says what went and how much space that freed. */
async function pruneRuntimeImages(progress: Progress): Promise<PruneResult> {
  const d = docker();
  const [images, containers] = await Promise.all([
    d.listImages({ all: false, filters: { label: [`${LABELS.project}=moodle-ha`] } }),
    d.listContainers({ all: true }),
  ]);
  const decision = decidePrune(
    images.map((i) => ({ id: i.Id, tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'), labels: i.Labels ?? {}, created: i.Created })),
    containers.map((c) => ({ name: (c.Names[0] ?? c.Id).replace(/^\//, ''), imageId: c.ImageID })),
    recordedRuntimeImages(),
  );
  if (!decision.remove.length) return { removed: [], freedBytes: 0, kept: decision.keep };
  const before = await layersSize();
  const removed: string[] = [];
  for (const image of decision.remove) {
    try {
      // By tag, not ID: removing the last tag deletes the image, and never forces it away from a
      // container created since the list was read (the engine refuses with 409 then).
      for (const tag of image.tags) await d.getImage(tag).remove();
      removed.push(...image.tags);
    } catch (e) {
      progress.info(`kept ${image.tags.join(', ')}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const after = await layersSize();
  return { removed, freedBytes: Math.max(0, before - after), kept: decision.keep };
}

/**
 * What `up` runs once the cluster is up and its summary printed (removing a large image can take
 * a minute): the pruning, and one line saying what went and what it freed. Never throws: a failure
 * to prune leaves the images and says so.
 */
export async function pruneAfterUp(progress: Progress): Promise<void> {
  await progress.step('old runtime images', async () => {
    progress.info(await pruneRuntimeImages(progress).then(describePrune, (e: Error) => `not pruned: ${e.message.split('\n')[0]}`));
  });
}

/** One line for the user: what was removed and the space freed. */
export function describePrune(r: PruneResult): string {
  if (!r.removed.length) return `no old runtime image to remove (${r.kept.length} kept: the current and previous of each cluster, and those containers use)`;
  return `removed ${r.removed.length} old runtime image${r.removed.length > 1 ? 's' : ''} (${r.removed.join(', ')}): ${formatBytes(r.freedBytes)} freed (layers shared with the kept images stay)`;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

/** Bytes all image layers take on the engine. */
async function layersSize(): Promise<number> {
  const df = (await docker().df()) as { LayersSize?: number };
  return df.LayersSize ?? 0;
}
