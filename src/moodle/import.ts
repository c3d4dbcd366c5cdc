// `moodle import DIR`: copies a local Moodle tree into the version-keyed cache (for air-gapped
// sites, or a tree with local changes). A tree of an unsupported Moodle version (support.ts) or a
// partial tree is refused before anything is copied; the copy goes to a temporary folder renamed
// into place, so the cache never holds half a tree. A version already cached is compared file by
// file: the same tree again is nothing to do, another is refused until --force.
import { cpSync, existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { UserError } from '../util/errors.ts';
import { processRuns } from '../util/process.ts';
import { treeDifferences } from '../util/tree-diff.ts';
import { cachedTree, MARKER, moodleCacheDir, treeDir, type TreeMarker } from './cache.ts';
import { assertSupportedVersion, supportedText } from './support.ts';
import { readMoodleVersion, type MoodleVersion } from './version.ts';
import { mkdirSync } from 'node:fs';

/** Files and folders every Moodle 4.x tree has; a tree missing any is partial. */
export const REQUIRED_PATHS = [
  'version.php',
  'index.php',
  'config-dist.php',
  'lib/setup.php',
  'lib/moodlelib.php',
  'lib/components.json',
  'admin/cli/install_database.php',
  'admin/cli/upgrade.php',
  'admin/cli/cron.php',
  'admin/cli/maintenance.php',
  'cache/stores/redis/lib.php',
  'lib/classes/session/redis.php',
  'login/index.php',
  'theme/boost',
  'lang/en/moodle.php',
] as const;

export function checkTree(dir: string): MoodleVersion {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UserError(`${dir} is not a folder: give the top folder of a Moodle tree (the one with version.php)`);
  const version = readMoodleVersion(dir);
  if (!version)
    throw new UserError(
      `${dir} has no readable version.php with $version, $release and $branch: is it the top folder of a Moodle tree? Nothing was imported. Supported: ${supportedText()}.`,
    );
  assertSupportedVersion(version, dir, 'nothing was imported');
  const missing = REQUIRED_PATHS.filter((p) => !existsSync(join(dir, p)));
  if (missing.length) {
    throw new UserError(`${dir} looks like a partial Moodle ${version.number} tree; nothing was imported. Missing:`, missing);
  }
  return version;
}

export interface ImportResult {
  readonly dir: string;
  readonly version: MoodleVersion;
  readonly replaced: boolean;
  /** The cache already held this very tree: nothing was copied. */
  readonly unchanged?: boolean;
}

/** What an import leaves out of a tree: Git's folders, and the site's own config.php (the image brings its own). */
function leftOut(rel: string): boolean {
  return rel === 'config.php' || /(^|\/)\.git(\/|$)/.test(rel);
}

export function importTree(src: string, opts: { force?: boolean; source?: string; onProgress?: (line: string) => void } = {}): ImportResult {
  const from = resolve(src);
  const version = checkTree(from);
  const key = version.number.replace(/\+$/, '');
  const target = treeDir(key);
  const exists = existsSync(join(target, MARKER));
  if (exists && !opts.force) {
    // The same tree again (a README or a script run twice) is done already; another one is refused.
    opts.onProgress?.(`Moodle ${key} is already in the cache: comparing ${from} with it, file by file ...`);
    const differences = treeDifferences(from, target, { skipA: leftOut, skipB: (rel) => rel === MARKER });
    if (differences.length === 0) return { dir: target, version, replaced: false, unchanged: true };
    throw new UserError(
      `another Moodle ${key} tree is already in the cache (${target}, from ${cachedTree(key)?.marker.source ?? 'unknown'}); nothing was imported. Use --force to replace it with ${from}. First differences:`,
      differences,
    );
  }
  mkdirSync(moodleCacheDir(), { recursive: true });
  removeAbandonedCopies();
  const tmp = `${target}.importing-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    cpSync(from, tmp, { recursive: true, filter: (p) => p === from || !leftOut(relative(from, p).split(sep).join('/')) });
    const marker: TreeMarker = {
      version: version.version,
      release: version.release,
      branch: version.branch,
      source: opts.source ?? `import:${from}`,
      at: new Date().toISOString(),
    };
    writeFileSync(join(tmp, MARKER), JSON.stringify(marker, null, 2));
    if (exists) rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { dir: target, version, replaced: exists };
}

/** Half-copied trees of imports that were stopped (Ctrl-C, a kill): their process is gone, their folder stays. */
function removeAbandonedCopies(): void {
  for (const name of readdirSync(moodleCacheDir())) {
    const pid = Number(/\.importing-(\d+)$/.exec(name)?.[1]);
    if (pid && !processRuns(pid)) rmSync(join(moodleCacheDir(), name), { recursive: true, force: true });
  }
}
