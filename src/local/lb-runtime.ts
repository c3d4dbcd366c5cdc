// Talking to the running load balancer: its runtime API (over the admin socket, through
// `docker exec`), its configuration (rewritten and reloaded without dropping connections) and its
// per-server counters.
import { RUNTIME_IMAGE } from '../contract/image.ts';
import { SERVICE_UIDS } from '../image/service-images.ts';
import { docker } from './engine/docker.ts';
import type { LbServer } from '../runtime/cluster.ts';
import type { Spec } from '../spec/schema.ts';
import { exec, inspectContainer, putFiles, sleep } from './containers.ts';
import { LB_ADMIN_SOCKET, LB_CONFIG_PATH, lbConfigFile } from './haproxy.ts';
import { clusterNames } from './names.ts';
import { parseHaproxyCsv } from './status.ts';

const SOCKET = LB_ADMIN_SOCKET;

export async function lbCommand(spec: Spec, command: string): Promise<string> {
  const r = await exec(clusterNames(spec.name).container('lb'), ['sh', '-c', `echo "${command.replace(/"/g, '\\"')}" | socat stdio ${SOCKET}`]);
  if (r.code !== 0) throw new Error(`HAProxy runtime command "${command}" failed: ${r.output}`);
  return r.output;
}

/** The web backend's servers from HAProxy's own counters (admin socket); throws when they cannot be read. */
export async function webServers(spec: Spec): Promise<LbServer[]> {
  return parseHaproxyCsv(await lbCommand(spec, 'show stat'));
}

/**
 * The web backend's servers, or why they cannot be read. Through the admin socket, so the
 * detached autoscaler (in its container, where the host's 127.0.0.1 is out of reach) reads the
 * same figures as the CLI.
 */
export async function lbServers(spec: Spec): Promise<LbServer[] | string> {
  const lb = await inspectContainer(clusterNames(spec.name).container('lb'));
  if (!lb?.State.Running) return 'load balancer not running';
  try {
    return await webServers(spec);
  } catch (e) {
    return `load balancer counters unreadable: ${(e as Error).message.trim()}`;
  }
}

/** Writes the config for these web nodes into the LB container and reloads it gracefully. */
export async function reconfigureLb(spec: Spec, servers: readonly string[]): Promise<void> {
  const lb = docker().getContainer(clusterNames(spec.name).container('lb'));
  await putFiles(lb, [lbConfigFile(spec, servers, SERVICE_UIDS.haproxy)]);
  // tini passes SIGUSR2 to the HAProxy master: a new worker takes the new config, the old one
  // finishes the connections it holds.
  const reloadAt = Date.now();
  await lb.kill({ signal: 'SIGUSR2' });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    await sleep(500);
    const names = (await webServers(spec).catch(() => [])).map((s) => s.server).sort();
    if (names.join() === [...servers].sort().join()) return;
  }
  // A refused reload keeps the old worker running; HAProxy says why in its log.
  const since = Math.floor(reloadAt / 1000) - 1;
  const log = ((await lb.logs({ stdout: true, stderr: true, since })) as unknown as Buffer).toString('latin1');
  const alerts = haproxyAlerts(log);
  throw new Error(
    `the load balancer did not take the new configuration (${servers.join(', ')}) within 15 s${alerts.length ? `; HAProxy refused it:\n  ${alerts.join('\n  ')}` : ''}`,
  );
}

/** HAProxy's [ALERT] lines in its log (why it refused a configuration), from "[ALERT]" on: what is before it is the engine's frame header. */
export function haproxyAlerts(log: string): string[] {
  return log
    .split('\n')
    .filter((l) => l.includes('[ALERT]'))
    .map((l) => l.slice(l.indexOf('[ALERT]')).trim());
}

/**
 * Makes a running LB use the configuration for these web nodes: reloaded gracefully when the file
 * in the container differs (another server list, or a newer moodle-ha's template); true if it did.
 */
export async function syncLbConfig(spec: Spec, servers: readonly string[]): Promise<boolean> {
  const current = await exec(clusterNames(spec.name).container('lb'), ['cat', LB_CONFIG_PATH]);
  const wanted = lbConfigFile(spec, servers, SERVICE_UIDS.haproxy).content;
  if (current.code === 0 && current.output === wanted) return false;
  await reconfigureLb(spec, servers);
  return true;
}

/**
 * Takes a web node out of rotation without failing a request: drain (no new requests), wait until
 * it holds none (at most drainSeconds), then it can be stopped.
 */
export async function drainServer(spec: Spec, server: string): Promise<{ waitedMs: number; leftOpen: number }> {
  await lbCommand(spec, `set server web/${server} state drain`);
  const t0 = Date.now();
  let open = 0;
  while (Date.now() - t0 < RUNTIME_IMAGE.drainSeconds * 1000) {
    open = (await webServers(spec)).find((s) => s.server === server)?.currentSessions ?? 0;
    if (open === 0) break;
    await sleep(250);
  }
  return { waitedMs: Date.now() - t0, leftOpen: open };
}
