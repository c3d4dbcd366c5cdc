// Self-healing, like ECS's service scheduler: the cluster's members that should run, against what
// runs, decide what to start or re-create. One pure function (heal-loop.ts observes and acts
// through the target's HealTarget; the controller's daemon runs it every few seconds, whether or
// not it also autoscales). Rules:
// - running (also paused) or restarting (Docker's restart policy is on it): nothing, unless
// - it is in a crash loop: restarting again after the policy restarted it CRASH_LOOP_RESTARTS
//   times. Starting it once more would fail the same way when the cause is in the container itself
//   (a file its entrypoint cannot write, a disk layer left half-changed): it is replaced by a fresh
//   container from its definition, as ECS replaces a task (its named volumes stay);
// - stopped: start it, once it has been stopped for `graceMs` (a `docker restart`, an operator's
//   or a drill's planned restart, takes under a second: not ours to race), or the member's own
//   grace (a Redis node watched by Sentinel: Sentinel fails over first);
// - absent (removed): create it from its definition, at once;
// - a member the healer brought back that died again is tried after a back-off (10 s, 20 s, 40 s
//   … at most 5 min; reset once it has stayed up for a minute), so a member that keeps dying does
//   not make the healer spin; each try is an event, so the operator sees it.
// Web nodes above the desired count are never touched: capacity is scaling's, not healing's.
import type { HealActionKind, ObservedMember } from '../../runtime/heal.ts';

export type { ObservedMember };

/** What the healer remembers of its own tries on a member. */
export interface HealTries {
  readonly count: number;
  readonly lastAt: number;
}

export type HealMemory = ReadonlyMap<string, HealTries>;

export interface HealAction {
  readonly member: string;
  readonly service: string;
  readonly action: HealActionKind;
  /** Why, in words, e.g. "stopped 4.2 s ago (exit 137)". */
  readonly reason: string;
}

export interface Reconciled {
  readonly actions: readonly HealAction[];
  /** Members that are down but left alone for now, and why (grace, back-off). */
  readonly waiting: ReadonlyArray<{ readonly member: string; readonly reason: string }>;
}

export const HEAL_GRACE_MS = 2000;
/** A member restarting again after this many restarts by its policy is in a crash loop: replaced. */
export const CRASH_LOOP_RESTARTS = 3;
export const HEAL_BACKOFF_FIRST_MS = 10_000;
export const HEAL_BACKOFF_MAX_MS = 300_000;
/** A member that stayed up this long after a try is healthy again: its tries are forgotten. */
export const HEAL_STABLE_MS = 60_000;

/** Milliseconds to wait after the `count`th try before the next one. */
export function backoffMs(count: number): number {
  if (count <= 0) return 0;
  return Math.min(HEAL_BACKOFF_FIRST_MS * 2 ** (count - 1), HEAL_BACKOFF_MAX_MS);
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** What to do for each member now. Pure. */
export function reconcile(members: readonly ObservedMember[], memory: HealMemory, now: number, graceMs = HEAL_GRACE_MS): Reconciled {
  const actions: HealAction[] = [];
  const waiting: Array<{ member: string; reason: string }> = [];
  for (const m of members) {
    const looping = m.present && m.restarting && (m.restartCount ?? 0) >= CRASH_LOOP_RESTARTS;
    if (m.present && (m.running || m.restarting) && !looping) continue;
    const tries = memory.get(m.name);
    const nextAt = tries ? tries.lastAt + backoffMs(tries.count) : 0;
    let reason: string;
    if (!m.present) {
      reason = 'absent (removed)';
    } else if (looping) {
      reason = `in a crash loop (its process died again after ${m.restartCount} restarts by the restart policy${m.exitCode === undefined ? '' : `, exit ${m.exitCode}`})`;
    } else {
      const stoppedFor = m.finishedAt === undefined ? Infinity : now - m.finishedAt;
      const grace = m.graceMs ?? graceMs;
      if (stoppedFor < grace) {
        waiting.push({ member: m.name, reason: `stopped ${secs(stoppedFor)} ago: a restart may be under way; grace ${secs(grace)}` });
        continue;
      }
      reason = `stopped${Number.isFinite(stoppedFor) ? ` ${secs(stoppedFor)} ago` : ''}${m.exitCode === undefined ? '' : ` (exit ${m.exitCode})`}`;
    }
    if (tries && now < nextAt) {
      waiting.push({
        member: m.name,
        reason: `${reason}; it died again after ${tries.count} tr${tries.count === 1 ? 'y' : 'ies'}, next in ${secs(nextAt - now)}`,
      });
      continue;
    }
    if (tries) reason += `; try ${tries.count + 1} (it died again after the last)`;
    actions.push({ member: m.name, service: m.service, action: looping ? 'replace' : m.present ? 'start' : 'create', reason });
  }
  return { actions, waiting };
}

/** The memory after this pass: a try recorded for each action, members up for HEAL_STABLE_MS forgotten. */
export function remember(memory: HealMemory, members: readonly ObservedMember[], tried: readonly string[], now: number): Map<string, HealTries> {
  const next = new Map(memory);
  for (const m of members) {
    if (m.running && m.startedAt !== undefined && now - m.startedAt >= HEAL_STABLE_MS) next.delete(m.name);
  }
  for (const name of tried) next.set(name, { count: (next.get(name)?.count ?? 0) + 1, lastAt: now });
  return next;
}
