// Is a host port free? Checked before anything is created, so a port in use fails cleanly.
import { createServer } from 'node:net';
import type { Spec } from '../spec/schema.ts';

export function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** The host ports a cluster publishes, by spec key, with the address each is bound to. */
export function publishedPorts(spec: Spec): ReadonlyArray<{ readonly key: string; readonly port: number; readonly bind: string }> {
  return [
    { key: 'ports.http', port: spec.ports.http, bind: spec.ports.bind },
    { key: 'ports.stats', port: spec.ports.stats, bind: '127.0.0.1' },
    { key: 'ports.mail', port: spec.ports.mail, bind: '127.0.0.1' },
  ];
}

/** Each published port something other than the cluster holds (`ours`: its running containers' host ports), with the fix. */
export async function portsInUse(spec: Spec, ours: ReadonlySet<number>, free = portFree): Promise<string[]> {
  const busy: string[] = [];
  for (const { key, port, bind } of publishedPorts(spec)) {
    if (!ours.has(port) && !(await free(port, bind)))
      busy.push(`${key}: port ${port} on ${bind} is in use; stop what uses it, or set ${key} in moodle-ha.yaml to a free port`);
  }
  return busy;
}
