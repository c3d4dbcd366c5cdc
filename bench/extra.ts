// Containers the benchmark adds to the bench cluster (start-time probes, the direct web node, the
// plain-install box). Each carries the cluster's labels, so `moodle-ha down` removes them too, and
// is also removed by name when the benchmark ends.
import type Docker from 'dockerode';
import { createServer } from 'node:net';
import { createContainer, removeContainer, type ContainerSpec } from '../src/local/containers.ts';
import { httpGet } from '../src/util/http.ts';

const started = new Set<string>();

/** Creates (with its files put in) and returns the container, not started; remembered for cleanup. */
export async function createExtra(spec: ContainerSpec): Promise<Docker.Container> {
  await removeContainer(spec.name, 5);
  started.add(spec.name);
  return createContainer({ ...spec, restart: 'no' });
}

export async function removeExtra(name: string): Promise<void> {
  await removeContainer(name, 10);
  started.delete(name);
}

export async function removeAllExtras(): Promise<void> {
  for (const name of [...started]) await removeExtra(name).catch(() => {});
}

/** The host port Docker published for a container port (after start). */
export async function publishedPort(c: Docker.Container, containerPort: number): Promise<number> {
  const info = await c.inspect();
  const b = info.NetworkSettings.Ports?.[`${containerPort}/tcp`]?.[0];
  if (!b?.HostPort) throw new Error(`${info.Name}: port ${containerPort} is not published`);
  return Number(b.HostPort);
}

/** Polls a URL until it answers 200; returns the milliseconds waited. */
export async function until200(url: string, timeoutMs: number, opts: { host?: string; everyMs?: number; stop?: () => boolean } = {}): Promise<number> {
  const t0 = performance.now();
  let last = 'no answer';
  while (performance.now() - t0 < timeoutMs) {
    if (opts.stop?.()) throw new Error(`stopped waiting for ${url} (last: ${last})`);
    try {
      const r = await httpGet(url, { host: opts.host, timeoutMs: 5_000 });
      if (r.status === 200) return performance.now() - t0;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s (last: ${last})`);
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released for Docker to bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ port: 0, host: '127.0.0.1' }, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
