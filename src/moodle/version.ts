// Reads a Moodle tree's version.php without running PHP: $version, $release and $branch.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MoodleVersion {
  /** Internal version number, e.g. 2024100706.00. */
  readonly version: string;
  /** Human release, e.g. "4.5.6 (Build: 20250811)". */
  readonly release: string;
  /** Release number alone, e.g. "4.5.6" (a "+" weekly build keeps its "+"). */
  readonly number: string;
  /** Branch, e.g. "405". */
  readonly branch: string;
}

export function readMoodleVersion(dir: string): MoodleVersion | undefined {
  const file = join(dir, 'version.php');
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const version = /^\s*\$version\s*=\s*([\d.]+)\s*;/m.exec(text)?.[1];
  const release = /^\s*\$release\s*=\s*'([^']+)'\s*;/m.exec(text)?.[1];
  const branch = /^\s*\$branch\s*=\s*'(\d+)'\s*;/m.exec(text)?.[1];
  if (!version || !release || !branch) return undefined;
  const number = /^(\d+\.\d+(?:\.\d+)?\+?)/.exec(release)?.[1] ?? release;
  return { version, release, number, branch };
}
