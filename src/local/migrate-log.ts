// The migrate runs' logs, kept in the cluster's state folder (migrate-logs/, folder 0700, files
// 0600: a log may name accounts and paths) so they can be read after the run: `migrate log`,
// `logs migrate`, `migrate status`. Each run is two files named by its start time and container:
// <key>.log (the whole log, as the container wrote it) and <key>.json (the record: times, result,
// exit code), written last, so a record always has its log. The last KEEP runs are kept.
// Both the run's creator and a run that attached to it may write the same run: same key, same
// content, each file replaced whole (written aside, then renamed), so that is harmless.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrateRunRecord } from '../runtime/cluster.ts';
import { clusterStateDir } from '../util/paths.ts';

/** How many runs are kept. */
export const KEEP = 5;

export function migrateLogDir(cluster: string, root?: string): string {
  return join(clusterStateDir(cluster, root), 'migrate-logs');
}

/** The file name (without extension) of a run: its start time (sortable), then its container's ID. */
export function runKey(startedAt: string, containerId: string): string {
  return `${startedAt.replace(/[:.]/g, '-')}_${containerId.slice(0, 12)}`;
}

/** The keys to delete so that the newest `keep` remain. Pure. */
export function keysToPrune(keys: readonly string[], keep = KEEP): string[] {
  return [...keys].sort().slice(0, Math.max(0, keys.length - keep));
}

/** Keeps one run's log and record, then prunes the oldest beyond KEEP. */
export function keepMigrateRun(cluster: string, key: string, run: MigrateRunRecord & { readonly log: string }, root?: string): void {
  const dir = migrateLogDir(cluster, root);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { log, ...record } = run;
  writeWhole(join(dir, `${key}.log`), log);
  writeWhole(join(dir, `${key}.json`), `${JSON.stringify(record, null, 2)}\n`);
  for (const old of keysToPrune(recordKeys(dir))) {
    rmSync(join(dir, `${old}.json`), { force: true });
    rmSync(join(dir, `${old}.log`), { force: true });
  }
}

/** The record of run `key`, if it is kept. */
export function keptRun(cluster: string, key: string, root?: string): (MigrateRunRecord & { readonly log: string }) | undefined {
  return readRun(migrateLogDir(cluster, root), key);
}

/** The last run kept, with its log; undefined when none is. */
export function lastMigrateRun(cluster: string, root?: string): (MigrateRunRecord & { readonly log: string }) | undefined {
  const dir = migrateLogDir(cluster, root);
  for (const key of recordKeys(dir).sort().reverse()) {
    const run = readRun(dir, key);
    if (run) return run;
  }
  return undefined;
}

function recordKeys(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length));
}

function readRun(dir: string, key: string): (MigrateRunRecord & { readonly log: string }) | undefined {
  try {
    const record = JSON.parse(readFileSync(join(dir, `${key}.json`), 'utf8')) as MigrateRunRecord;
    return { ...record, log: readFileSync(join(dir, `${key}.log`), 'utf8') };
  } catch {
    return undefined; // torn or half-pruned: the one before it is the last whole one
  }
}

function writeWhole(file: string, content: string): void {
  const aside = `${file}.${process.pid}.tmp`;
  writeFileSync(aside, content, { mode: 0o600 });
  renameSync(aside, file);
}

/**
 * Removes the cluster's state folder (its secrets and records) but for its kept migrate logs: a
 * first `up` whose install failed rolls back what it made, and its error quotes the log that
 * `migrate log` must still show. `down --volumes` removes the folder whole.
 */
export function removeStateKeepingMigrateLogs(cluster: string, root?: string): void {
  const dir = clusterStateDir(cluster, root);
  if (!existsSync(dir)) return;
  const logs = migrateLogDir(cluster, root);
  if (!existsSync(logs)) {
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  for (const f of readdirSync(dir)) {
    const path = join(dir, f);
    if (path !== logs) rmSync(path, { recursive: true, force: true });
  }
}
