// `status`: each container of the cluster with its state and health, and the web nodes as the
// load balancer sees them (HAProxy's stats: state, current sessions, request rate).
import { LABELS } from '../contract/image.ts';
import type { Spec } from '../spec/schema.ts';
import { clusterContainers, inspectContainer } from './containers.ts';
import { requireDocker } from '../image/docker.ts';
import { clusterNames } from './names.ts';
import { readyz } from './readiness.ts';

export interface ServiceStatus {
  readonly name: string;
  readonly service: string;
  readonly state: string;
  readonly health: string;
}

export interface LbServerStats {
  readonly server: string;
  readonly status: string;
  readonly currentSessions: number;
  readonly requestRate: number;
  readonly totalRequests: number;
}

export async function clusterStatus(spec: Spec): Promise<{ services: ServiceStatus[]; lb: LbServerStats[] | string }> {
  await requireDocker();
  const services: ServiceStatus[] = [];
  for (const c of await clusterContainers(spec.name)) {
    const name = c.Names[0]!.replace(/^\//, '');
    const service = c.Labels[LABELS.service] ?? '?';
    const info = await inspectContainer(name);
    let health = info?.State.Health?.Status ?? '-';
    if (service === 'web' && info?.State.Running) {
      const r = await readyz(name).catch((e: Error) => ({ ready: false, answer: e.message }));
      health = r.ready ? 'ready' : `not ready: ${r.answer.split('\n').pop()}`;
    }
    services.push({ name, service, state: info?.State.Running ? 'running' : (info?.State.Status ?? c.State), health });
  }
  services.sort((a, b) => a.name.localeCompare(b.name));
  return { services, lb: await lbStats(spec) };
}

/** The web backend's servers from HAProxy's CSV stats, or why they could not be read. */
export async function lbStats(spec: Spec): Promise<LbServerStats[] | string> {
  const lb = await inspectContainer(clusterNames(spec.name).container('lb'));
  if (!lb?.State.Running) return 'load balancer not running';
  try {
    const r = await fetch(`http://127.0.0.1:${spec.ports.stats}/stats;csv`, { signal: AbortSignal.timeout(3000) });
    return parseHaproxyCsv(await r.text());
  } catch (e) {
    return `stats unreadable: ${(e as Error).message}`;
  }
}

export function parseHaproxyCsv(csv: string): LbServerStats[] {
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
