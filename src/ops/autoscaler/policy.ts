// The local autoscaler's decision, one pure function with the shape of the AWS policy (target
// tracking on requests per node and on CPU, cooldowns, scheduled min/max):
//   from requests  ceil(total req/s / targetRequestsPerNode)
//   from CPU       ceil(nodes × cpu% / targetCpuPercent)          (only when CPU is given)
//   desired        the larger of the two, clamped to the min/max in force (schedule.ts)
// - below min or above max: corrected at once, whatever the cooldowns (scheduled capacity);
//   when below min and the scale-out cooldown is over, straight to what the load needs;
// - scale-out: at once, unless within scaleOutCooldown of the last scale-out;
// - scale-in: one node per decision, only when no scaling happened within scaleInCooldown, never
//   below min, and never while no node is UP (no healthy node means the request figures say
//   nothing about demand; AWS target tracking also holds on missing data).
// Capacity arithmetic uses the current node count; unhealthy nodes are only mentioned.
import type { Spec } from '../../spec/schema.ts';
import { bounds as boundsAt, type Bounds } from '../../spec/windows.ts';

export type ScalingAction = 'out' | 'in' | 'hold';

export interface DecideInput {
  /** Web nodes (containers) that exist now. */
  readonly nodes: number;
  /** Of those, how many HAProxy reports UP. */
  readonly healthy: number;
  /** Total requests per second across the web backend (sum of LbServer.requestRate). */
  readonly requestRate: number;
  /** Mean CPU utilisation of the web nodes, percent of their CPU allowance; omit when unknown. */
  readonly cpuPercent?: number;
  readonly scaling: Spec['scaling'];
  readonly now: Date;
  /** When the last scale-out happened (any cause). */
  readonly lastScaleOut?: Date;
  /** When the last scaling action of either direction happened. */
  readonly lastScaling?: Date;
}

export interface Decision {
  /** Node count to move to (equal to the current count on hold). */
  readonly desired: number;
  readonly action: ScalingAction;
  /** One sentence with the figures, for the console and the scaling event. */
  readonly reason: string;
  readonly bounds: Bounds;
  /** The capacity window in force, if any. */
  readonly window?: string;
}

/** Float noise guard: 4.9 / 0.7 is 7.000000000000001, which must not round up to 8. */
const ceil = (x: number): number => Math.max(0, Math.ceil(x - 1e-9));
const num = (x: number): string => String(Number(x.toFixed(1)));
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const cmp = (a: number, b: number): string => (Math.abs(a - b) < 1e-9 ? '=' : a > b ? '>' : '<');

/** Seconds of a cooldown still to run at `now`, 0 when over or when there was no action. */
function cooldownLeft(last: Date | undefined, seconds: number, now: Date): number {
  if (!last || !Number.isFinite(last.getTime())) return 0;
  const left = seconds - (now.getTime() - last.getTime()) / 1000;
  return left > 0 ? Math.min(left, seconds) : 0;
}

/** Decides the web node count. Pure: same input, same decision. */
export function decide(input: DecideInput): Decision {
  const s = input.scaling;
  const notes: string[] = [];
  const nodes = Number.isFinite(input.nodes) && input.nodes > 0 ? Math.floor(input.nodes) : 0;
  const healthy = Number.isFinite(input.healthy) ? Math.min(Math.max(Math.floor(input.healthy), 0), nodes) : 0;
  let rate = input.requestRate;
  if (!Number.isFinite(rate) || rate < 0) {
    notes.push(`request rate ${String(rate)} is not a usable figure, taken as 0`);
    rate = 0;
  }
  let cpu = input.cpuPercent;
  if (cpu !== undefined && (!Number.isFinite(cpu) || cpu < 0)) {
    notes.push(`CPU ${String(cpu)}% is not a usable figure, ignored`);
    cpu = undefined;
  }

  const b = boundsAt(s, input.now);
  const where = b.window ? `window ${b.window}` : 'base';
  const fromRequests = ceil(rate / s.targetRequestsPerNode);
  const perNode = nodes > 0 ? rate / nodes : rate;
  const load: string[] = [
    nodes > 0
      ? `${rate.toFixed(1)} req/s over ${plural(nodes, 'node')} ${cmp(perNode, s.targetRequestsPerNode)} target ${num(s.targetRequestsPerNode)}/node → ${fromRequests}`
      : `${rate.toFixed(1)} req/s with no nodes, target ${num(s.targetRequestsPerNode)}/node → ${fromRequests}`,
  ];
  let fromCpu = 0;
  if (cpu !== undefined && nodes > 0) {
    fromCpu = ceil((nodes * cpu) / s.targetCpuPercent);
    load.push(`CPU ${num(cpu)}% ${cmp(cpu, s.targetCpuPercent)} target ${s.targetCpuPercent}% → ${fromCpu}${fromCpu > fromRequests ? ' (CPU dominates)' : ''}`);
  }
  if (healthy < nodes) notes.push(`${healthy} of ${plural(nodes, 'node')} UP`);
  if (b.overridden?.length) notes.push(`window ${b.overridden.join(', ')} open but overridden by a later scheduled action`);

  const wanted = Math.max(fromRequests, fromCpu);
  const target = Math.min(Math.max(wanted, b.min), b.max);
  const clampNote = target !== wanted ? `, held to ${where} ${wanted < b.min ? 'min' : 'max'} ${target}` : '';
  const outLeft = cooldownLeft(input.lastScaleOut, s.scaleOutCooldown.seconds, input.now);
  const inLeft = cooldownLeft(input.lastScaling, s.scaleInCooldown.seconds, input.now);

  const decision = (desired: number, action: ScalingAction, verdict: string): Decision => {
    const head = `${load.join('; ')}${clampNote}`;
    const tail = notes.length ? ` (${notes.join('; ')})` : '';
    return { desired, action, reason: `${head}: ${verdict}${tail}`, bounds: b, ...(b.window ? { window: b.window } : {}) };
  };

  if (nodes < b.min) {
    const desired = outLeft > 0 ? b.min : target;
    return decision(
      desired,
      'out',
      `${nodes} below ${where} min ${b.min}, scale out ${nodes} → ${desired} now${outLeft > 0 && target > b.min ? ` (more after the scale-out cooldown, ${Math.ceil(outLeft)}s left)` : ''}`,
    );
  }
  if (nodes > b.max) {
    return decision(b.max, 'in', `${nodes} above ${where} max ${b.max}, scale in ${nodes} → ${b.max} now`);
  }
  if (target > nodes) {
    if (outLeft > 0) return decision(nodes, 'hold', `hold at ${nodes}, scale-out cooldown ${Math.ceil(outLeft)}s left`);
    return decision(target, 'out', `scale out ${nodes} → ${target}`);
  }
  if (target < nodes) {
    if (nodes > 0 && healthy === 0) return decision(nodes, 'hold', `hold at ${nodes}, no node is UP so the load says nothing about demand`);
    if (inLeft > 0) return decision(nodes, 'hold', `hold at ${nodes}, scale-in cooldown ${Math.ceil(inLeft)}s left`);
    return decision(nodes - 1, 'in', `scale in ${nodes} → ${nodes - 1}${target < nodes - 1 ? `, one node at a time towards ${target}` : ''}`);
  }
  return decision(nodes, 'hold', `hold at ${nodes}`);
}
