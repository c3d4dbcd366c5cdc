// One pass of the healer: observe every desired member through the target, decide (reconcile.ts),
// and, holding the cluster's operation lease, bring back what is down. Each try is an event
// (started, created, failed). The controller's daemon runs a pass every few seconds; it knows the
// cluster only through the HealTarget (src/runtime/heal.ts; src/local/heal.ts for Docker).
import type { HealTarget, ObservedMember } from '../../runtime/heal.ts';
import type { HealEvent } from './events.ts';
import { reconcile, remember, type HealAction, type HealMemory } from './reconcile.ts';

export interface HealState {
  memory: HealMemory;
  /** Each member's restart count at the last pass (crashes the restart policy handled are reported once). */
  restarts?: Map<string, number>;
  /** The lease holder the last pass waited for (said once, not every pass). */
  pausedFor?: string;
}

export async function healPass(target: HealTarget, state: HealState, log: (line: string) => void, now: () => number = Date.now): Promise<HealEvent[]> {
  const look = async () => {
    const desired = await target.desired();
    const observed = await Promise.all(
      desired.map(async (m) => ({ ...(await target.observe(m)), ...(m.graceMs === undefined ? {} : { graceMs: m.graceMs }) })),
    );
    return { observed, plan: reconcile(observed, state.memory, now()) };
  };
  let { observed, plan } = await look();
  state.memory = remember(state.memory, observed, [], now());
  const crashes = crashed(observed, state, now());
  if (!plan.actions.length) return crashes;
  const down = plan.actions.map((a) => a.member).join(', ');
  const lease = target.tryLease(`heal ${down}`);
  if (!lease) {
    const holder = target.leaseHolder() ?? 'another change';
    if (state.pausedFor !== holder) log(`heal: waiting, "${holder}" is changing the cluster (${down} down)`);
    state.pausedFor = holder;
    return crashes;
  }
  state.pausedFor = undefined;
  try {
    // Look again under the lease: a scale that just ended may have changed what is desired.
    ({ observed, plan } = await look());
    state.memory = remember(
      state.memory,
      observed,
      plan.actions.map((a) => a.member),
      now(),
    );
    const events: HealEvent[] = [...crashes];
    const run = async (a: HealAction) => {
      const t0 = now();
      try {
        const detail = await target.bringBack(a.member, a.action);
        events.push(event(a, DONE[a.action], `${a.reason}${detail ? `; ${detail}` : ''}`, t0, now()));
      } catch (e) {
        events.push(event(a, 'failed', `${a.reason}; ${a.action} failed: ${(e as Error).message.split('\n')[0]}`, t0, now()));
      }
    };
    // Web nodes last and side by side (each waits until ready); the rest first, in the target's
    // order (the data tier, mail, the load balancer, cron).
    for (const a of plan.actions.filter((x) => x.service !== 'web')) await run(a);
    await Promise.all(plan.actions.filter((x) => x.service === 'web').map(run));
    return events;
  } finally {
    lease.release();
  }
}

const DONE = { start: 'started', create: 'created', replace: 'replaced' } as const satisfies Record<HealAction['action'], HealEvent['action']>;

function event(a: HealAction, action: HealEvent['action'], reason: string, t0: number, t1: number): HealEvent {
  return { at: new Date(t1), member: a.member, service: a.service, action, reason, seconds: Math.round((t1 - t0) / 100) / 10 };
}

/**
 * Members whose restart count grew since the last pass: their process died by itself (a crash, the
 * OOM killer) and the restart policy brought them back. Nothing to do, but a member that keeps
 * dying must be seen: one event per pass that saw it, with the count. The first pass only records.
 */
function crashed(observed: readonly ObservedMember[], state: HealState, at: number): HealEvent[] {
  const first = state.restarts === undefined;
  const seen = state.restarts ?? new Map<string, number>();
  state.restarts = seen;
  const events: HealEvent[] = [];
  for (const m of observed) {
    if (m.restartCount === undefined) continue;
    const before = seen.get(m.name);
    seen.set(m.name, m.restartCount);
    if (first || before === undefined || m.restartCount <= before) continue;
    const n = m.restartCount - before;
    events.push({
      at: new Date(at),
      member: m.name,
      service: m.service,
      action: 'crashed',
      reason: `its process died by itself ${n === 1 ? 'once' : `${n} times`} since the last look; the restart policy restarted it (${m.restartCount} restarts in all)`,
      seconds: 0,
    });
  }
  return events;
}
