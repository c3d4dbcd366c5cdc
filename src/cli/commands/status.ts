import { autoscalerActivity, type AutoscalerActivity } from '../../local/autoscaler-guard.ts';
import { clusterNames } from '../../local/names.ts';
import { describeClusterEvent } from '../../runtime/cluster.ts';
import { describeRedisUsage, redisUsage } from '../../runtime/redis-usage.ts';
import { hint } from '../../spec/hint.ts';
import type { ClusterRuntime, Member } from '../../runtime/cluster.ts';
import type { Command } from '../command.ts';
import { databaseVerdict, type DatabaseVerdict } from '../database-verdict.ts';
import { runtimeFor } from '../runtime.ts';
import { specFor } from '../spec-flags.ts';
import { runningProfile, statusReport } from '../status-report.ts';

export const statusCommand: Command = {
  async run(ctx) {
    const runtime = runtimeFor(specFor(ctx));
    const { spec } = runtime.loaded;
    const s = { services: await runtime.members(), lb: await runtime.lbServers() };
    const autoscaler = await autoscalerActivity(spec);
    const code = await runtime.runningCode();
    const database = await databaseOf(runtime, s.services);
    const redis = await redisUsage(runtime, s.services);
    if (ctx.values.json) {
      const report = statusReport(spec, { ...s, code, mailUrl: runtime.mailUrl, autoscaler, events: await runtime.recentEvents(20), database, redis });
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    if (s.services.length === 0) {
      process.stdout.write(`cluster "${spec.name}" is not running (start it with "${hint('up')}")\n`);
      return 3;
    }
    const w = Math.max(...s.services.map((x) => x.name.length));
    process.stdout.write(`cluster ${spec.name} (${runningProfile(s.services) ?? spec.profile}) at ${spec.site.url}\n`);
    if (code.image) process.stdout.write(`Moodle ${code.moodle?.release ?? '(version unknown)'} in ${code.image.tag}\n`);
    if (database) process.stdout.write(`database: ${database.line}\n`);
    process.stdout.write(
      `mail catcher: ${runtime.mailUrl}${s.services.some((x) => x.service === 'mail' && x.state === 'running') ? '' : ' (not running)'}\n\n`,
    );
    for (const x of s.services) process.stdout.write(`  ${x.name.padEnd(w)}  ${x.state.padEnd(8)}  ${x.health}\n`);
    process.stdout.write('\nload balancer:\n');
    if (typeof s.lb === 'string') process.stdout.write(`  ${s.lb}\n`);
    else
      for (const l of s.lb)
        process.stdout.write(`  ${l.server.padEnd(w)}  ${l.status.padEnd(8)}  ${l.currentSessions} open  ${l.requestRate} req/s  ${l.totalRequests} total\n`);
    if (redis.length) process.stdout.write('\nsessions and caches (Redis):\n');
    for (const u of redis) process.stdout.write(`  ${u.member.padEnd(w)}  ${describeRedisUsage(u)}\n`);
    process.stdout.write(`\nautoscaler: ${describeAutoscaler(spec.name, autoscaler)}\n`);
    process.stdout.write(`healer: ${describeHealer(spec.name, autoscaler)}\n`);
    const events = await runtime.recentEvents();
    process.stdout.write(`\nrecent scaling and healing events:${events.length ? '' : ' none'}\n`);
    for (const e of events) process.stdout.write(`  ${e.at.slice(0, 19).replace('T', ' ')}  ${describeClusterEvent(e)}\n`);
    const unhealthy = s.services.filter((x) => x.state !== 'running' && x.service !== 'migrate');
    return unhealthy.length || database?.kind === 'interrupted' ? 1 : 0;
  },
};

/** What the database holds of the install, when a database runs (else null: there is nothing to ask). */
async function databaseOf(runtime: ClusterRuntime, services: readonly Member[]): Promise<DatabaseVerdict | null> {
  if (!services.some((x) => x.service === 'db' && x.running)) return null;
  return databaseVerdict(await runtime.migrateStatus().catch((e: Error) => e.message.split('\n')[0]!));
}

/** One line: which autoscaler runs (events from either land in the same log, shown below it). */
export function describeAutoscaler(cluster: string, a: AutoscalerActivity): string {
  const container = clusterNames(cluster).container('autoscaler');
  if (a.detached === 'running' && a.detachedAutoscales !== false) return `detached, in ${container} (live view: ${hint('logs autoscaler --follow')})`;
  if (a.foregroundPid !== undefined) return `in the foreground (pid ${a.foregroundPid})`;
  if (a.detached === 'running')
    return `off; ${container} heals only ("${hint('autoscale')}", or autoscaler.enabled: true in moodle-ha.yaml to autoscale there)`;
  if (a.detached === 'stopped') return `detached, but ${container} is stopped (run "${hint('up')}" to start it)`;
  return `not running ("${hint('autoscale')}", or autoscaler.enabled: true in moodle-ha.yaml to run it detached)`;
}

/** One line: whether the controller heals the cluster now. */
export function describeHealer(cluster: string, a: AutoscalerActivity): string {
  const container = clusterNames(cluster).container('autoscaler');
  if (a.detached === 'running') return `on, in ${container}: stopped or removed members are brought back (events below)`;
  if (a.detached === 'stopped') return `off: ${container} is stopped (an interrupted "${hint('up')}"?); run "${hint('up')}" to start it`;
  return `off: no controller; run "${hint('up')}" to start it`;
}
