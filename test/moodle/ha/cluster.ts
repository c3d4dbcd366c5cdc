// The one ha cluster that ha.test.ts brings up for its suites (profile, drills, data-roll): its
// name, ports and spec file, and the probes more than one suite uses. One `up` and one `down`
// for all three, where each brought up its own (about 2 min each on CI's machine).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec, sleep } from '../../../src/local/containers.ts';
import { clusterNames } from '../../../src/local/names.ts';
import { secretFile } from '../../../src/local/secrets.ts';
import { tempDir } from '../../support/temp.ts';
import { TEST_CLUSTERS } from '../../support/test-clusters.ts';

export const NAME = TEST_CLUSTERS.ha;
export const HTTP = 19180;
export const base = `http://localhost:${HTTP}`;
export const n = clusterNames(NAME);
/** The cluster's own folder: its spec file, and what the suites write (drill reports, a derived image's Dockerfile). */
export const dir = tempDir('moodle-ha-ha-');
export const specFile = join(dir, 'moodle-ha.yaml');

/** Writes the spec: the ha profile, with the database's memory when a suite changes it (default 1Gi). */
export function writeSpec(dbMemory?: string): void {
  writeFileSync(
    specFile,
    `name: ${NAME}\nprofile: ha\nports:\n  http: ${HTTP}\n  stats: 19504\n  mail: 19505\n${dbMemory ? `database:\n  memory: ${dbMemory}\n` : ''}`,
  );
}
writeSpec();

export const adminPassword = (): string => readFileSync(secretFile(NAME, 'admin-password'), 'utf8').trim();

/** The `up` that brought the cluster up: its stderr, for suites that read what it reported. */
export const upRun = { stderr: '' };

export const sql = (node: string, q: string) => exec(node, ['mariadb', '--protocol=socket', '-N', '-s', '-e', q]);

export const redisRole = async (node: string) =>
  (await exec(node, ['sh', '-c', 'REDISCLI_AUTH="$(cat /run/redis/secrets/redis-password)" redis-cli info replication'])).output;

/** Polls `probe` until it returns true; returns the seconds it took, or Infinity after `limitS`. */
export async function secondsUntil(probe: () => Promise<boolean>, limitS: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < limitS * 1000) {
    if (await probe().catch(() => false)) return (Date.now() - t0) / 1000;
    await sleep(250);
  }
  return Infinity;
}
