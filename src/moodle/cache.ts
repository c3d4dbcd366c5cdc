// The version-keyed cache of Moodle trees: <cache>/moodle/<version>/. A tree is complete only
// when its marker file exists; the marker is written last, after an atomic rename.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../util/paths.ts';

export const MARKER = '.moodle-ha-tree.json';

export interface TreeMarker {
  readonly version: string;
  readonly release: string;
  readonly branch: string;
  /** "import:<dir>" or "download:<url>". */
  readonly source: string;
  readonly sha256?: string;
  readonly at: string;
}

export function moodleCacheDir(): string {
  return join(cacheRoot(), 'moodle');
}

export function treeDir(version: string): string {
  return join(moodleCacheDir(), version);
}

/** The cached tree for a version, or undefined when none is complete. */
export function cachedTree(version: string): { dir: string; marker: TreeMarker } | undefined {
  const dir = treeDir(version);
  const markerFile = join(dir, MARKER);
  if (!existsSync(markerFile)) return undefined;
  return { dir, marker: JSON.parse(readFileSync(markerFile, 'utf8')) as TreeMarker };
}

export function cachedVersions(): string[] {
  const root = moodleCacheDir();
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((v) => existsSync(join(root, v, MARKER)))
    .sort();
}
