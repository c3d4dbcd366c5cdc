// The clusters the Moodle tier's files bring up, one name per file (dev.test.ts shares
// its own among suites): the one list of them, so a run can remove what an earlier run left
// (scripts/test.ts).
import { clustersOnEngine, down } from '../../src/local/down.ts';
import { silentProgress } from '../../src/util/progress.ts';

export const TEST_CLUSTERS = {
  autoscalerController: 'mhctl',
  backup: 'mhbackup',
  cluster: 'mhtest',
  dataRoll: 'mh9iroll',
  dev: 'mhdevtest',
  drills: 'mhdrill',
  failedMigrate: 'mhfail',
  ha: 'mhhatest',
  upgrade: 'mh9gup',
} as const;

/**
 * Removes every test cluster left on the engine, with its volumes and secrets; returns their
 * names. A run killed at CI's time limit leaves its cluster running, and its containers'
 * restart policy (unless-stopped) starts them again with the engine: a whole ha cluster, its
 * healer and its cron then ran beside the next run, which found the machine twice as busy
 * (an install loaded in 77.6 s instead of 10, drills failing on 5 s bars) and ran out of time.
 */
export async function removeLeftoverTestClusters(): Promise<string[]> {
  const ours = new Set<string>(Object.values(TEST_CLUSTERS));
  const left = (await clustersOnEngine()).filter((c) => ours.has(c));
  for (const name of left) await down(name, { volumes: true }, silentProgress);
  return left;
}
