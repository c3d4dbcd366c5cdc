// The config bundle files of the running web tier. `up` reads them from the operator's folder
// (spec.configBundle) and records them in the cluster's state folder; a node added later by
// `scale` or by an autoscaler gets them from there. The detached autoscaler could not read the
// operator's folder (it mounts only the state folder), and reading it again at scale time would
// give a new node files the running nodes do not have if the folder changed since `up`.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Spec } from '../spec/schema.ts';
import { UserError } from '../util/errors.ts';
import { clusterStateDir } from '../util/paths.ts';
import type { ArchiveFile } from './archive.ts';
import { hint } from '../spec/hint.ts';

function bundleRecord(cluster: string): string {
  return join(clusterStateDir(cluster), 'web-bundle.json');
}

/** Records the bundle files `up` gives the web nodes (none: the record is removed). 0600: a bundle's config.php may hold secrets. */
export function recordWebBundle(cluster: string, files: readonly ArchiveFile[]): void {
  const file = bundleRecord(cluster);
  if (!files.length) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(files), { mode: 0o600 });
}

/** The bundle files of the running web tier, for a node added by scaling. */
export function recordedWebBundle(spec: Spec): ArchiveFile[] {
  const file = bundleRecord(spec.name);
  if (!existsSync(file)) {
    if (spec.configBundle)
      throw new UserError(`cluster "${spec.name}" has a configBundle, but no record of the files its web nodes run with: run "${hint('up')}" once, then scale`);
    return [];
  }
  return JSON.parse(readFileSync(file, 'utf8')) as ArchiveFile[];
}
