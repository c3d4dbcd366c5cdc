// What the image and Moodle test tiers need, and a sentence saying what is missing.
import Docker from 'dockerode';
import { cachedTree, cachedVersions, moodleCacheDir } from '../../src/moodle/cache.ts';
import { pingDocker } from '../../src/local/engine/docker.ts';

export const TEST_MOODLE_VERSION = process.env.MOODLE_HA_TEST_MOODLE_VERSION ?? '4.5.6';

export async function dockerAvailable(): Promise<true | string> {
  try {
    await pingDocker(new Docker());
    return true;
  } catch (e) {
    return `no Docker engine answers (${(e as Error).message}); start dockerd or set DOCKER_HOST`;
  }
}

export function cachedMoodleTree(): { found: true; dir: string } | { found: false; reason: string } {
  const tree = cachedTree(TEST_MOODLE_VERSION);
  if (tree) return { found: true, dir: tree.dir };
  const others = cachedVersions();
  return {
    found: false,
    reason: `no Moodle ${TEST_MOODLE_VERSION} tree in ${moodleCacheDir()}${others.length ? ` (cached: ${others.join(', ')})` : ''}; import one with "npx moodle-ha moodle import DIR" (a Moodle ${TEST_MOODLE_VERSION} folder) or "npx moodle-ha moodle download ${TEST_MOODLE_VERSION}"`,
  };
}
