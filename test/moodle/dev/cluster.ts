// The one dev cluster that dev.test.ts brings up for its suites (mail, load, muc): two web nodes
// (muc's cross-node checks need them), and the site settings mail's checks read (support address,
// timezone, country). Its name, ports and spec file; one `up` and one `down` for all three.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterNames } from '../../../src/local/names.ts';
import { secretFile } from '../../../src/local/secrets.ts';
import { tempDir } from '../../support/temp.ts';
import { TEST_CLUSTERS } from '../../support/test-clusters.ts';

export const NAME = TEST_CLUSTERS.dev;
export const HTTP = 18780;
export const STATS = 18784;
export const MAIL = 18785;
export const base = `http://localhost:${HTTP}`;
export const n = clusterNames(NAME);
/** The cluster's own folder: its spec file, and what the suites write (the load's JSON, other specs). */
export const dir = tempDir('moodle-ha-dev-');
export const specFile = join(dir, 'moodle-ha.yaml');
writeFileSync(
  specFile,
  `name: ${NAME}\nports:\n  http: ${HTTP}\n  stats: ${STATS}\n  mail: ${MAIL}\nweb:\n  nodes: 2\nsite:\n  supportEmail: help@example.edu\n  timezone: Europe/London\n  country: GB\n`,
);

export const adminPassword = (): string => readFileSync(secretFile(NAME, 'admin-password'), 'utf8').trim();
