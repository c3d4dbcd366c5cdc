// The autoscaler's loop: every interval, read the load balancer's counters (requests per second
// from the change in each server's total, not its 1-second sample) and the web nodes' CPU, decide
// with the AWS-shaped policy, and scale (scale-in drains first). Every scaling event is printed,
// recorded by the runtime (where `status` shows it) and posted to the optional webhook (the local
// stand-in for SNS). The same loop runs in the foreground (cli/commands/autoscale.ts) and in the
// detached autoscaler daemon (src/autoscaler-daemon/main.ts); it knows the cluster only through
// the runtime interface.
import type { ClusterRuntime } from '../../runtime/cluster.ts';
import { checkSchedule } from '../../spec/windows.ts';
import { UserError } from '../../util/errors.ts';
import { postWebhook, scalingEvent, type ScalingEvent } from './events.ts';
import { decide } from './policy.ts';

export interface AutoscalerOptions {
  readonly intervalMs: number;
  /** Stop after this long (bounded runs, tests); undefined = until the signal. */
  readonly durationMs?: number;
  readonly webhook?: string;
  readonly signal?: AbortSignal;
  readonly onTick?: (line: string) => void;
  readonly onEvent?: (e: ScalingEvent, scaledInMs: number) => void;
  /** The clock (tests run the loop on a fake one). @default Date.now, and setTimeout for the pauses */
  readonly clock?: Clock;
}

/** Time for the loop: what it is now, and a pause that the signal cuts short. */
export interface Clock {
  now(): number;
  pause(ms: number, signal?: AbortSignal): Promise<void>;
}

const REAL_CLOCK: Clock = { now: () => Date.now(), pause: (ms, signal) => pause(ms, signal) };

/** Runs the loop on the cluster behind `runtime` until the signal aborts (or `durationMs` passed); returns the events. */
export async function runAutoscaler(runtime: ClusterRuntime, opts: AutoscalerOptions): Promise<ScalingEvent[]> {
  const { spec } = runtime.loaded;
  const clock = opts.clock ?? REAL_CLOCK;
  const problems = checkSchedule(spec.scaling.schedule);
  if (problems.length) throw new UserError('scaling.schedule has problems:', problems);
  const events: ScalingEvent[] = [];
  const end = opts.durationMs === undefined ? Infinity : clock.now() + opts.durationMs;
  let prev = await totals(runtime, clock);
  let lastScaleOut: Date | undefined;
  let lastScaling: Date | undefined;
  while (clock.now() < end && !opts.signal?.aborted) {
    await clock.pause(opts.intervalMs, opts.signal);
    if (opts.signal?.aborted) break;
    const now = await totals(runtime, clock);
    const dt = (now.at - prev.at) / 1000;
    const delta = now.requests - prev.requests;
    const requestRate = delta >= 0 && dt > 0 ? delta / dt : 0; // a reload resets the counters
    prev = now;
    const nodes = (await runtime.webNodes()).length;
    const cpuPercent = await runtime.webCpuPercent();
    const at = new Date(clock.now());
    const d = decide({ nodes, healthy: now.up, requestRate, cpuPercent, scaling: spec.scaling, now: at, lastScaleOut, lastScaling });
    opts.onTick?.(
      `${at.toISOString().slice(11, 19)} nodes ${nodes} (${now.up} up)  ${requestRate.toFixed(1)} req/s  cpu ${cpuPercent === undefined ? '?' : cpuPercent.toFixed(0)}%  → ${d.action === 'hold' ? 'hold' : `${d.action} to ${d.desired}`}: ${d.reason}`,
    );
    if (d.action === 'hold') continue;
    const event = scalingEvent(d, nodes, at);
    const t0 = clock.now();
    const steps = await runtime.scale(d.desired);
    if (!steps.length) {
      // The scale waits for the cluster's operation lease; whoever held it (the healer bringing
      // back a removed node, an operator's `scale`) left the tier at the size decided. Nothing
      // was changed, so there is no scaling to record, report or cool down from.
      opts.onTick?.(
        `nothing to do: the web tier already has ${d.desired} node${d.desired === 1 ? '' : 's'} (changed meanwhile by another holder of the operation lease)`,
      );
      prev = await totals(runtime, clock);
      continue;
    }
    lastScaling = new Date(clock.now());
    if (d.action === 'out') lastScaleOut = lastScaling;
    events.push(event);
    await runtime.logEvent({ at: event.at.toISOString(), from: event.from, to: event.to, reason: event.reason, by: 'autoscaler' });
    opts.onEvent?.(event, clock.now() - t0);
    if (opts.webhook) {
      const err = await postWebhook(opts.webhook, event);
      if (err) opts.onTick?.(`webhook not delivered: ${err}`);
    }
    prev = await totals(runtime, clock);
  }
  return events;
}

/** Sleeps, but wakes at once when the signal aborts (Ctrl-C, or `docker stop` of the daemon's container). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The backend's request total and how many servers are UP; throws when the counters cannot be read. */
async function totals(runtime: ClusterRuntime, clock: Clock): Promise<{ at: number; requests: number; up: number }> {
  const servers = await runtime.lbServers();
  if (typeof servers === 'string') throw new Error(`cannot read the load balancer's counters: ${servers}`);
  return { at: clock.now(), requests: servers.reduce((a, s) => a + s.totalRequests, 0), up: servers.filter((s) => s.status === 'UP').length };
}
