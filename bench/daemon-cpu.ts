// CPU time of the container engine's own processes, which a container's cgroup does not count:
// dockerd (it reads every line a container logs), containerd and each container's shim, and
// docker-proxy (the userland proxy that carries loopback traffic to a published port).
import { readdirSync, readFileSync } from 'node:fs';

/** The engine's processes without the proxy (traffic straight to a container's bridge address). */
export const ENGINE = ['dockerd', 'containerd', 'containerd-shim'] as const;
/** With docker-proxy: traffic to a port published on 127.0.0.1. */
export const ENGINE_AND_PROXY = [...ENGINE, 'docker-proxy'] as const;
const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU milliseconds so far of every process with one of these names (their names in /proc). */
export function daemonCpuMs(names: readonly string[] = ENGINE): number {
  const wanted = new Set(names);
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (!wanted.has(stat.slice(stat.indexOf('(') + 1, close))) continue;
      const f = stat.slice(close + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
    } catch {
      // the process ended
    }
  }
  return ticks * TICK_MS;
}
