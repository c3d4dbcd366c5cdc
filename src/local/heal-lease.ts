// The cluster's operation lease: one file in its state folder saying who is changing the web tier
// now (`scale`, an autoscaler's scaling step, or the healer bringing members back), so the healer
// never fights an operator and two changers never make the same node at once. The holder
// refreshes it every few seconds; a lease not refreshed for LEASE_STALE_MS belongs to a process
// that died (Ctrl-C'd, killed) and is taken over. The file is shared with the controller
// container, which mounts the state folder, so a pid cannot tell whether its holder lives: the
// heartbeat does. `up` and `down` need none: `up` stops the controller before it changes anything
// and starts it at the end; `down` removes it first.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../util/errors.ts';
import { clusterStateDir } from '../util/paths.ts';
import { sleep } from './containers.ts';

export const LEASE_HEARTBEAT_MS = 3000;
export const LEASE_STALE_MS = 15_000;

export interface LeaseRecord {
  /** What holds it, e.g. "scale 2 → 3", "healer". */
  readonly what: string;
  readonly token: string;
  readonly since: string;
}

export function leaseFile(cluster: string): string {
  return join(clusterStateDir(cluster), 'operation.lease');
}

/** The live lease, or undefined when none is held (or it is stale). */
export function currentLease(cluster: string, now = Date.now()): LeaseRecord | undefined {
  const file = leaseFile(cluster);
  try {
    if (now - statSync(file).mtimeMs > LEASE_STALE_MS) return undefined;
    return JSON.parse(readFileSync(file, 'utf8')) as LeaseRecord;
  } catch {
    return undefined; // absent, or torn by a crash while written
  }
}

/** A held lease: `release` removes it (only if still ours). */
export interface Lease {
  readonly record: LeaseRecord;
  release(): void;
}

/** Takes the lease when it is free (or stale); undefined when another holds it. */
export function tryLease(cluster: string, what: string): Lease | undefined {
  const file = leaseFile(cluster);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  if (currentLease(cluster)) return undefined;
  const record: LeaseRecord = { what, token: randomBytes(8).toString('hex'), since: new Date().toISOString() };
  // Written aside and renamed: a reader never sees half a record. Two takers in the same instant
  // could both pass the check; the one whose record stays is the holder, the other sees it below.
  const tmp = `${file}.${record.token}`;
  writeFileSync(tmp, JSON.stringify(record), { mode: 0o600 });
  renameSync(tmp, file);
  if (currentLease(cluster)?.token !== record.token) return undefined;
  const ours = () => currentLease(cluster)?.token === record.token;
  const timer = setInterval(() => {
    if (ours()) writeFileSync(file, JSON.stringify(record), { mode: 0o600 });
  }, LEASE_HEARTBEAT_MS);
  timer.unref();
  return {
    record,
    release() {
      clearInterval(timer);
      if (ours()) rmSync(file, { force: true });
    },
  };
}

/** Runs `fn` holding the lease; waits up to `waitMs` for another holder to finish first. */
export async function withLease<T>(cluster: string, what: string, fn: () => Promise<T>, waitMs = 300_000): Promise<T> {
  const deadline = Date.now() + waitMs;
  let lease = tryLease(cluster, what);
  while (!lease) {
    const other = currentLease(cluster);
    if (Date.now() > deadline)
      throw new UserError(
        `cannot ${what}: "${other?.what ?? 'another change'}" has been changing cluster "${cluster}" since ${other?.since ?? '?'}; try again when it is done. Nothing was changed.`,
      );
    await sleep(500);
    lease = tryLease(cluster, what);
  }
  try {
    return await fn();
  } finally {
    lease.release();
  }
}
