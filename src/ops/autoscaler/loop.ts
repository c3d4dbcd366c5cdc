// The local autoscaler's loop: every interval, read HAProxy's counters (requests per second from
// the change in each server's total, not HAProxy's 1-second sample) and the web containers' CPU,
// decide with the AWS-shaped policy, and scale (scale-in drains first). Every scaling event is
// printed and posted to the optional webhook (the local stand-in for SNS). The same loop runs in the
// foreground (cli/commands/autoscale.ts) and in the controller container (controller/main.ts).
import { docker } from '../../image/docker.ts';
import { webServers } from '../../local/lb-runtime.ts';
import { logEvent } from '../../local/events-log.ts';
import { runningWebNodes, scaleTo } from '../../local/scale.ts';
import type { Spec } from '../../spec/schema.ts';
import { formatEvent, postWebhook, scalingEvent, type ScalingEvent } from './events.ts';
import { decide } from './policy.ts';
import { checkSchedule } from '../../spec/windows.ts';
import { UserError } from '../../util/errors.ts';

export interface AutoscalerOptions {
  readonly intervalMs: number;
  /** Stop after this long (bounded runs, tests); undefined = until the signal. */
  readonly durationMs?: number;
  readonly webhook?: string;
  readonly signal?: AbortSignal;
  readonly onTick?: (line: string) => void;
  readonly onEvent?: (e: ScalingEvent, scaledInMs: number) => void;
}

export async function runAutoscaler(spec: Spec, opts: AutoscalerOptions): Promise<ScalingEvent[]> {
  const problems = checkSchedule(spec.scaling.schedule);
  if (problems.length) throw new UserError('scaling.schedule has problems:', problems);
  const events: ScalingEvent[] = [];
  const end = opts.durationMs === undefined ? Infinity : Date.now() + opts.durationMs;
  let prev = await totals(spec);
  let lastScaleOut: Date | undefined;
  let lastScaling: Date | undefined;
  while (Date.now() < end && !opts.signal?.aborted) {
    await pause(opts.intervalMs, opts.signal);
    if (opts.signal?.aborted) break;
    const now = await totals(spec);
    const dt = (now.at - prev.at) / 1000;
    const delta = now.requests - prev.requests;
    const requestRate = delta >= 0 && dt > 0 ? delta / dt : 0; // a reload resets the counters
    prev = now;
    const nodes = (await runningWebNodes(spec)).length;
    const cpuPercent = await meanCpu(spec);
    const d = decide({ nodes, healthy: now.up, requestRate, cpuPercent, scaling: spec.scaling, now: new Date(), lastScaleOut, lastScaling });
    opts.onTick?.(`${new Date().toISOString().slice(11, 19)} nodes ${nodes} (${now.up} up)  ${requestRate.toFixed(1)} req/s  cpu ${cpuPercent === undefined ? '?' : cpuPercent.toFixed(0)}%  → ${d.action === 'hold' ? 'hold' : `${d.action} to ${d.desired}`}: ${d.reason}`);
    if (d.action === 'hold') continue;
    const event = scalingEvent(d, nodes, new Date());
    const t0 = Date.now();
    await scaleTo(spec, d.desired);
    lastScaling = new Date();
    if (d.action === 'out') lastScaleOut = lastScaling;
    events.push(event);
    logEvent(spec.name, { at: event.at.toISOString(), from: event.from, to: event.to, reason: event.reason, by: 'autoscaler' });
    opts.onEvent?.(event, Date.now() - t0);
    if (opts.webhook) {
      const err = await postWebhook(opts.webhook, event);
      if (err) opts.onTick?.(`webhook not delivered: ${err}`);
    }
    prev = await totals(spec);
  }
  return events;
}

/** Sleeps, but wakes at once when the signal aborts (Ctrl-C, or `docker stop` of the controller). */
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

async function totals(spec: Spec): Promise<{ at: number; requests: number; up: number }> {
  const servers = await webServers(spec);
  return { at: Date.now(), requests: servers.reduce((a, s) => a + s.totalRequests, 0), up: servers.filter((s) => s.status === 'UP').length };
}

/** Mean CPU of the web containers, percent of one container's CPU allowance (all host cores). */
async function meanCpu(spec: Spec): Promise<number | undefined> {
  const names = await runningWebNodes(spec);
  const samples = await Promise.all(names.map(async (name) => {
    try {
      const s = (await docker().getContainer(name).stats({ stream: false })) as unknown as CpuStats;
      const cpu = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
      const sys = s.cpu_stats.system_cpu_usage - s.precpu_stats.system_cpu_usage;
      return sys > 0 ? (cpu / sys) * 100 : undefined;
    } catch {
      return undefined;
    }
  }));
  const ok = samples.filter((x): x is number => x !== undefined);
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : undefined;
}

interface CpuStats {
  cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage: number };
  precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage: number };
}
