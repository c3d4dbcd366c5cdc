// What a new migrate run does with the cluster's migrate container as it finds it. Nothing removes
// a migrate that is running (another `up` or `migrate` started it, or one that was interrupted
// left it running): the new run attaches to it and reports its end. Only a container that has
// ended (or was created and never started, long ago) is removed before a new one is made. Pure.

/** The migrate container as the engine shows it. */
export interface MigrateContainerState {
  /** The engine's word: "created", "running", "paused", "restarting", "removing", "exited", "dead". */
  readonly status: string;
  /** When it was created and last started (ISO 8601; the engine's zero time when never started). */
  readonly createdAt: string;
  readonly startedAt: string;
}

export type MigrateAction =
  /** No migrate container: make one and run it. */
  | { readonly kind: 'create' }
  /** One runs: wait for its end and report it; never remove it. */
  | { readonly kind: 'attach'; readonly startedAt: string }
  /** One that has ended: remove it, then make a new one. */
  | { readonly kind: 'replace'; readonly why: string }
  /** In between (just created by another run, about to start; being removed): look again shortly. */
  | { readonly kind: 'wait'; readonly why: string };

/** A container created this recently and not started is another run's, about to start it. */
export const JUST_CREATED_MS = 60_000;

export function migrateAction(c: MigrateContainerState | undefined, now: number): MigrateAction {
  if (!c) return { kind: 'create' };
  switch (c.status) {
    case 'running':
    case 'paused':
    case 'restarting':
      return { kind: 'attach', startedAt: c.startedAt };
    case 'removing':
      return { kind: 'wait', why: 'the previous migrate container is being removed' };
    case 'created': {
      const age = now - Date.parse(c.createdAt);
      return Number.isFinite(age) && age < JUST_CREATED_MS
        ? { kind: 'wait', why: 'another run just created a migrate container and is starting it' }
        : { kind: 'replace', why: `a migrate container created at ${c.createdAt} was never started` };
    }
    default:
      return { kind: 'replace', why: `the previous migrate container has ${c.status === 'dead' ? 'died' : 'ended'}` };
  }
}

/** How long `down` waits for a running migrate to end before it refuses (a first install takes 1-2 min, an upgrade longer). */
export const DOWN_WAIT_MS = 15 * 60_000;

export type DownMigrateAction =
  /** No migrate runs (none, or it has ended): `down` may go on. */
  | { readonly kind: 'go' }
  /** One runs (or is about to start): wait, and look again. */
  | { readonly kind: 'wait'; readonly why: string }
  /** It still runs after `limitMs`: stop, having removed nothing. */
  | { readonly kind: 'refuse'; readonly why: string };

/**
 * What `down` does about the migrate container before it stops anything. Killing a running migrate
 * leaves an install or upgrade half-done; so `down` waits for its end (the result is the one the
 * user asked for, one command later than a refusal would give it), and only refuses when it has
 * waited `limitMs`. Pure.
 */
export function downMigrateAction(c: MigrateContainerState | undefined, now: number, waitedMs: number, limitMs = DOWN_WAIT_MS): DownMigrateAction {
  const a = migrateAction(c, now);
  if (a.kind === 'create' || a.kind === 'replace') return { kind: 'go' };
  const why = a.kind === 'attach' ? `a migrate started at ${a.startedAt.replace('T', ' ').slice(0, 19)} UTC is running` : a.why;
  if (waitedMs >= limitMs) return { kind: 'refuse', why: `${why}, still after ${Math.round(limitMs / 60_000)} min` };
  return { kind: 'wait', why };
}
