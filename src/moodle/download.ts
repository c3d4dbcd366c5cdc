// `moodle download VERSION`: fetches the official release archive and its published SHA-256,
// verifies it (or the spec's pinned checksum), unpacks it and imports the tree into the cache. An
// unsupported release (support.ts) is refused before anything is fetched.
// Offline, it fails with a message naming both ways to get a tree.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../util/errors.ts';
import { importTree, type ImportResult } from './import.ts';
import { assertSupportedRelease } from './support.ts';

export const DEFAULT_DOWNLOAD_BASE = 'https://download.moodle.org/download.php/direct';

/** stable405 for 4.5.x, stable500 for 5.0.x. */
export function releaseUrl(version: string, base = process.env.MOODLE_HA_DOWNLOAD_BASE ?? DEFAULT_DOWNLOAD_BASE): string {
  const [major, minor] = version.split('.');
  const branch = `stable${major}${minor!.padStart(2, '0')}`;
  return `${base}/${branch}/moodle-${version}.tgz`;
}

export async function downloadRelease(
  version: string,
  opts: { sha256?: string; force?: boolean; onProgress?: (text: string) => void } = {},
): Promise<ImportResult> {
  assertSupportedRelease(version, 'nothing was downloaded'); // before fetching a tree import would refuse
  const url = releaseUrl(version);
  const say = opts.onProgress ?? (() => {});
  const archive = await fetchBytes(url, version);
  say(`downloaded ${(archive.length / 1024 / 1024).toFixed(1)} MiB from ${url}`);
  const expected = opts.sha256 ?? (await publishedChecksum(`${url}.sha256`, version));
  const actual = createHash('sha256').update(archive).digest('hex');
  if (actual !== expected) {
    throw new UserError(
      `the checksum of ${url} does not match: expected ${expected}, got ${actual}. The download is corrupt or was tampered with; nothing was cached.`,
    );
  }
  say(`SHA-256 verified (${actual})`);
  const work = mkdtempSync(join(tmpdir(), 'moodle-ha-download-'));
  try {
    writeFileSync(join(work, 'moodle.tgz'), archive);
    const r = spawnSync('tar', ['-xzf', join(work, 'moodle.tgz'), '-C', work]);
    if (r.status !== 0) throw new UserError(`could not unpack ${url}: ${r.stderr.toString().trim()}`);
    return importTree(join(work, 'moodle'), { force: opts.force, source: `download:${url}` });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function fetchBytes(url: string, version: string): Promise<Buffer> {
  let r: Response;
  try {
    r = await fetch(url, { signal: AbortSignal.timeout(600_000) });
  } catch (e) {
    throw new UserError(
      `cannot download Moodle ${version} from ${url} (${(e as Error).cause ? String((e as Error & { cause: Error }).cause.message) : (e as Error).message}). If this machine is offline, import a tree you have instead: "moodle-ha moodle import DIR".`,
    );
  }
  if (!r.ok)
    throw new UserError(`downloading ${url} failed: HTTP ${r.status}. Check that Moodle ${version} exists, or import a tree: "moodle-ha moodle import DIR".`);
  return Buffer.from(await r.arrayBuffer());
}

async function publishedChecksum(url: string, version: string): Promise<string> {
  const text = (await fetchBytes(url, version)).toString('utf8');
  const sum = /\b([0-9a-f]{64})\b/.exec(text)?.[1];
  if (!sum) throw new UserError(`${url} holds no SHA-256; pin the checksum with moodle.sha256 in moodle-ha.yaml`);
  return sum;
}
