// Events of the controller: scaling (the local autoscaler) and healing (a member brought back):
// the record kept for `status`, the console line, and an optional webhook POST (the local stand-in
// for the SNS topic that carries scaling and ECS service events on AWS).
// The webhook never throws: a notification that fails must not stop the autoscaler or the healer.
import type { HealOutcome } from '../../runtime/cluster.ts';
import type { Decision } from './policy.ts';

/** One scaling action that was taken. */
export interface ScalingEvent {
  readonly at: Date;
  /** Node count before. */
  readonly from: number;
  /** Node count after. */
  readonly to: number;
  /** The decision's reason, with its figures. */
  readonly reason: string;
  /** Capacity window in force, if any. */
  readonly window?: string;
}

/** The JSON body POSTed to the webhook. */
export interface ScalingEventPayload {
  readonly type: 'moodle-ha.scaling';
  readonly at: string;
  readonly from: number;
  readonly to: number;
  readonly direction: 'out' | 'in' | 'none';
  readonly window: string | null;
  readonly reason: string;
}

/** One member the healer brought back (or failed to). */
export interface HealEvent {
  readonly at: Date;
  readonly member: string;
  readonly service: string;
  /**
   * started: a stopped member started; created: a removed one made again; failed: the try failed;
   * crashed: its process died by itself and the target's restart policy restarted it (seen, not done).
   */
  readonly action: HealOutcome;
  /** What was wrong, and what the try did (e.g. "stopped 2.3 s ago (exit 137); ready in 6.1 s"). */
  readonly reason: string;
  /** Seconds the try took (a web node: until ready and in the load balancer). */
  readonly seconds: number;
}

/** The JSON body POSTed to the webhook for a heal event. */
export interface HealEventPayload {
  readonly type: 'moodle-ha.healing';
  readonly at: string;
  readonly member: string;
  readonly service: string;
  readonly action: HealEvent['action'];
  readonly reason: string;
  readonly seconds: number;
}

export const WEBHOOK_TIMEOUT_MS = 5000;

/** The event for a decision taken at `at` with `from` nodes running. */
export function scalingEvent(decision: Decision, from: number, at: Date): ScalingEvent {
  return { at, from, to: decision.desired, reason: decision.reason, ...(decision.window ? { window: decision.window } : {}) };
}

const direction = (e: ScalingEvent): ScalingEventPayload['direction'] => (e.to > e.from ? 'out' : e.to < e.from ? 'in' : 'none');

/** UTC time to the second, e.g. "2026-06-01T08:00:00Z". */
function utc(at: Date): string {
  return Number.isFinite(at.getTime()) ? `${at.toISOString().slice(0, 19)}Z` : 'invalid time';
}

/** The console line, e.g. "2026-06-01T08:00:00Z scale out 2 → 4 [window exam-week]: 62.0 req/s …". */
export function formatEvent(e: ScalingEvent): string {
  const d = direction(e);
  const what = d === 'none' ? `no change at ${e.to}` : `scale ${d} ${e.from} → ${e.to}`;
  return `${utc(e.at)} ${what}${e.window ? ` [window ${e.window}]` : ''}: ${e.reason}`;
}

/** The console line, e.g. "2026-06-01T08:00:00Z heal: started moodle-web-2 in 6.1 s: stopped 2.3 s ago (exit 137)". */
export function formatHealEvent(e: HealEvent): string {
  if (e.action === 'crashed') return `${utc(e.at)} heal: ${e.member} crashed: ${e.reason}`;
  return `${utc(e.at)} heal: ${e.action} ${e.member} in ${e.seconds.toFixed(1)} s: ${e.reason}`;
}

export function healPayload(e: HealEvent): HealEventPayload {
  return { type: 'moodle-ha.healing', at: utc(e.at), member: e.member, service: e.service, action: e.action, reason: e.reason, seconds: e.seconds };
}

/** The webhook's JSON body. */
export function eventPayload(e: ScalingEvent): ScalingEventPayload {
  return { type: 'moodle-ha.scaling', at: utc(e.at), from: e.from, to: e.to, direction: direction(e), window: e.window ?? null, reason: e.reason };
}

/**
 * POSTs the event as JSON to `url` (http or https only), giving up after `timeoutMs`.
 * Resolves to undefined when the receiver answered 2xx, else to a sentence saying what went
 * wrong; never rejects. Error texts name the URL's origin only (no path, no credentials).
 */
export async function postWebhook(
  url: string,
  event: ScalingEvent | HealEvent,
  fetchImpl: typeof fetch = fetch,
  timeoutMs: number = WEBHOOK_TIMEOUT_MS,
): Promise<string | undefined> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return 'webhook not sent: the address is not a URL; give an http:// or https:// address';
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return `webhook not sent: ${target.protocol} URLs are refused; give an http:// or https:// address`;
  }
  try {
    const res = await fetchImpl(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'moodle-ha-autoscaler' },
      body: JSON.stringify('member' in event ? healPayload(event) : eventPayload(event)),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    await res.body?.cancel().catch(() => undefined);
    if (res.status < 200 || res.status > 299) {
      return `webhook ${target.origin} answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    }
    return undefined;
  } catch (e) {
    const err = e as Error;
    if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `webhook ${target.origin} did not answer within ${timeoutMs} ms`;
    const cause = (err as { cause?: { message?: string } })?.cause?.message;
    return `webhook ${target.origin} failed: ${err?.message ?? String(e)}${cause ? ` (${cause})` : ''}`;
  }
}
