// What every benchmark needs before anything starts: a Docker engine and the cached Moodle tree.
import { requireDocker } from '../src/local/engine/docker.ts';
import { cachedTree, moodleCacheDir } from '../src/moodle/cache.ts';

/** A message saying what is missing, or undefined when the benchmark can start. */
export async function preflight(version: string): Promise<string | undefined> {
  try {
    await requireDocker();
  } catch (e) {
    return `bench needs a Docker engine: ${(e as Error).message}`;
  }
  if (!cachedTree(version))
    return `bench needs a cached Moodle ${version} tree in ${moodleCacheDir()}: run "npx moodle-ha moodle download ${version}" or "npx moodle-ha moodle import DIR" first.`;
  return undefined;
}
