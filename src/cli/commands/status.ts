import { autoscalerActivity, type AutoscalerActivity } from '../../local/autoscaler-guard.ts';
import { recentEvents } from '../../local/events-log.ts';
import { clusterNames } from '../../local/names.ts';
import { clusterStatus } from '../../local/status.ts';
import { clusterRuntime, statusReport } from '../../local/status-report.ts';
import { mailUrl } from '../../local/mail.ts';
import type { Command } from '../command.ts';
import { specFor } from '../spec-flags.ts';
import { hint } from '../../spec/hint.ts';

export const statusCommand: Command = {
  name: 'status',
  summary: "Show each container's state and health, and the web nodes as the load balancer sees them",
  usage: '[--json]',
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    const { spec } = specFor(ctx);
    const s = await clusterStatus(spec);
    const autoscaler = await autoscalerActivity(spec);
    const runtime = await clusterRuntime(spec.name);
    if (ctx.values.json) {
      const report = statusReport(spec, { ...s, runtime, mailUrl: mailUrl(spec), autoscaler, events: recentEvents(spec.name, 20) });
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    if (s.services.length === 0) {
      process.stdout.write(`cluster "${spec.name}" is not running (start it with "${hint('up')}")\n`);
      return 3;
    }
    const w = Math.max(...s.services.map((x) => x.name.length));
    process.stdout.write(`cluster ${spec.name} (${spec.profile}) at ${spec.site.url}\n`);
    if (runtime.image) process.stdout.write(`Moodle ${runtime.moodle?.release ?? '(version unknown)'} in ${runtime.image.tag}\n`);
    process.stdout.write(`mail catcher: ${mailUrl(spec)}${s.services.some((x) => x.service === 'mail' && x.state === 'running') ? '' : ' (not running)'}\n\n`);
    for (const x of s.services) process.stdout.write(`  ${x.name.padEnd(w)}  ${x.state.padEnd(8)}  ${x.health}\n`);
    process.stdout.write('\nload balancer:\n');
    if (typeof s.lb === 'string') process.stdout.write(`  ${s.lb}\n`);
    else for (const l of s.lb) process.stdout.write(`  ${l.server.padEnd(w)}  ${l.status.padEnd(8)}  ${l.currentSessions} open  ${l.requestRate} req/s  ${l.totalRequests} total\n`);
    process.stdout.write(`\nautoscaler: ${describeAutoscaler(spec.name, autoscaler)}\n`);
    const events = recentEvents(spec.name);
    process.stdout.write(`\nrecent scaling events:${events.length ? '' : ' none'}\n`);
    for (const e of events) process.stdout.write(`  ${e.at.slice(0, 19).replace('T', ' ')}  ${e.from} → ${e.to}  (${e.by}) ${e.reason}\n`);
    const unhealthy = s.services.filter((x) => x.state !== 'running' && x.service !== 'migrate');
    return unhealthy.length ? 1 : 0;
  },
};

/** One line: which autoscaler runs (events from either land in the same log, shown below it). */
export function describeAutoscaler(cluster: string, a: AutoscalerActivity): string {
  const container = clusterNames(cluster).container('autoscaler');
  if (a.detached === 'running') return `detached, in ${container} (live view: ${hint('logs autoscaler --follow')})`;
  if (a.foregroundPid !== undefined) return `in the foreground (pid ${a.foregroundPid})`;
  if (a.detached === 'stopped') return `detached, but ${container} is stopped (run "${hint('up')}" to start it)`;
  return `not running ("${hint('autoscale')}", or autoscaler.enabled: true in moodle-ha.yaml to run it detached)`;
}
