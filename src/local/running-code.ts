// What code a local cluster runs: the runtime image of its web nodes (else cron), running or
// stopped, and the Moodle version that image's build recorded.
import { LABELS } from '../contract/image.ts';
import type { RunningCode } from '../runtime/cluster.ts';
import { firstFileOf } from './archive.ts';
import { clusterContainers } from './containers.ts';
import { docker, isNotFound } from './engine/docker.ts';

/** Where the Moodle version comes from: the record the image build wrote, which migrate and /readyz compare with the database. */
export const CODE_VERSION_FILE = '/opt/moodle-ha/code-version.json';

/** The image of web node 1 (else any web node, else cron) and its recorded Moodle version; nulls when there is no such container. */
export async function runningCode(cluster: string): Promise<RunningCode> {
  const containers = await clusterContainers(cluster);
  const rank = (service: string | undefined) => ['web', 'cron'].indexOf(service ?? '');
  const runtime = containers
    .filter((c) => rank(c.Labels[LABELS.service]) >= 0)
    .sort((a, b) => rank(a.Labels[LABELS.service]) - rank(b.Labels[LABELS.service]) || a.Names[0]!.localeCompare(b.Names[0]!, 'en', { numeric: true }))[0];
  if (!runtime) return { image: null, moodle: null };
  return { image: { tag: runtime.Image, id: runtime.ImageID }, moodle: await recordedCode(runtime.Id) };
}

async function recordedCode(container: string): Promise<RunningCode['moodle']> {
  try {
    const file = await firstFileOf((await docker().getContainer(container).getArchive({ path: CODE_VERSION_FILE })) as unknown as NodeJS.ReadableStream);
    const code = JSON.parse(file?.toString('utf8') ?? 'null') as { release?: string; version?: string } | null;
    return code?.release && code.version
      ? { release: code.release, version: code.version, source: `${CODE_VERSION_FILE} in the image (recorded at build)` }
      : null;
  } catch (e) {
    if (isNotFound(e) || e instanceof SyntaxError) return null;
    throw e;
  }
}
