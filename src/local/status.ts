// What `status` shows of a local cluster: each container with its state and health (a web node's
// health is its /readyz answer; another container's is its image's check, run now when Docker does
// not say healthy: health.ts), and the web nodes as the load balancer sees them.
import { LABELS } from '../contract/image.ts';
import type { LbServer, Member, ServiceName } from '../runtime/cluster.ts';
import type { Spec } from '../spec/schema.ts';
import { clusterContainers, inspectContainer } from './containers.ts';
import { requireDocker } from './engine/docker.ts';
import { healthNow } from './health.ts';
import { clusterNames } from './names.ts';
import { readyz } from './readiness.ts';

/**
 * The cluster's containers (those of `service` only, when given), sorted by name. Each is inspected,
 * and each running web node asked its /readyz, at the same time: one slow node does not slow the rest.
 */
export async function clusterMembers(spec: Spec, service?: ServiceName): Promise<Member[]> {
  await requireDocker();
  const containers = (await clusterContainers(spec.name)).filter((c) => service === undefined || c.Labels[LABELS.service] === service);
  const members = await Promise.all(
    containers.map(async (c): Promise<Member> => {
      const name = c.Names[0]!.replace(/^\//, '');
      const label = (c.Labels[LABELS.service] ?? '?') as ServiceName;
      const info = await inspectContainer(name);
      const running = info?.State.Running === true;
      let health = info ? await healthNow(name, info) : '-';
      if (label === 'web' && running) {
        const r = await readyz(name).catch((e: Error) => ({ ready: false, answer: e.message }));
        health = r.ready ? 'ready' : `not ready: ${r.answer.split('\n').pop()}`;
      }
      return { name, service: label, running, state: running ? 'running' : (info?.State.Status ?? c.State), health };
    }),
  );
  return members.sort((a, b) => a.name.localeCompare(b.name));
}

/** The web backend's servers from HAProxy's published CSV stats (127.0.0.1 on the host), or why they could not be read. */
export async function lbStats(spec: Spec): Promise<LbServer[] | string> {
  const lb = await inspectContainer(clusterNames(spec.name).container('lb'));
  if (!lb?.State.Running) return 'load balancer not running';
  try {
    const r = await fetch(`http://127.0.0.1:${spec.ports.stats}/stats;csv`, { signal: AbortSignal.timeout(3000) });
    return parseHaproxyCsv(await r.text());
  } catch (e) {
    return `stats unreadable: ${(e as Error).message}`;
  }
}

export function parseHaproxyCsv(csv: string): LbServer[] {
  const [header, ...rows] = csv.trim().split('\n');
  const cols = header!.replace(/^# /, '').split(',');
  const at = (row: string[], name: string) => row[cols.indexOf(name)] ?? '';
  return rows
    .map((r) => r.split(','))
    .filter((r) => at(r, 'pxname') === 'web' && !['FRONTEND', 'BACKEND'].includes(at(r, 'svname')))
    .map((r) => ({
      server: at(r, 'svname'),
      status: at(r, 'status'),
      currentSessions: Number(at(r, 'scur') || 0),
      requestRate: Number(at(r, 'rate') || 0),
      totalRequests: Number(at(r, 'stot') || 0),
    }));
}
