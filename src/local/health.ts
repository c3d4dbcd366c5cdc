// A container's health, asked when it is needed. The images' own HEALTHCHECKs (Redis, MariaDB, the
// mail catcher) run every 30 s: each check is a `runc exec` that costs the container about 20 ms of
// CPU, so the 3 s they ran at before cost every idle data container 7-12 ms of CPU a second, which
// the reference bench counted against each page (issue 10). What waits for a container, and what
// reports one that Docker does not (yet) call healthy, runs the same check itself, at once.
import type Docker from 'dockerode';
import { UserError } from '../util/errors.ts';
import { hint } from '../spec/hint.ts';
import { LABELS } from '../contract/image.ts';
import { exec, inspectContainer, sleep } from './containers.ts';

/** The command of the image's HEALTHCHECK as an exec's argv; null without one. */
export function healthCommand(info: Docker.ContainerInspectInfo): string[] | null {
  const test = (info.Config as { Healthcheck?: { Test?: string[] } }).Healthcheck?.Test ?? [];
  if (test[0] === 'CMD' && test.length > 1) return test.slice(1);
  if (test[0] === 'CMD-SHELL' && test.length > 1) return ['/bin/sh', '-c', test[1]!];
  return null;
}

/** Runs the container's health check once, now: true when it passed within `timeoutMs`. */
export async function probeHealth(name: string, cmd: readonly string[], timeoutMs = 5000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([exec(name, cmd).then((r) => r.code === 0), late]);
  } catch {
    return false; // not running, or the engine refused the exec
  } finally {
    clearTimeout(timer);
  }
}

/**
 * "healthy", "unhealthy", "starting" or "-" (no check): Docker's word when it says healthy,
 * otherwise the check run now ("starting" until a new container's first check; "unhealthy" lags
 * up to three intervals behind a recovery).
 */
export async function healthNow(name: string, info: Docker.ContainerInspectInfo): Promise<string> {
  const docker = info.State.Health?.Status;
  const cmd = healthCommand(info);
  if (!docker || !cmd) return docker ?? '-';
  if (docker === 'healthy' || !info.State.Running) return docker;
  return (await probeHealth(name, cmd)) ? 'healthy' : docker;
}

/** Waits until the container's health check passes, running it itself about once a second. */
export async function waitHealthy(name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'unknown';
  while (Date.now() < deadline) {
    const info = await inspectContainer(name);
    if (!info) throw new UserError(`container ${name} disappeared while waiting for it to be healthy`);
    if (!info.State.Running) {
      throw new UserError(
        `container ${name} stopped (exit ${info.State.ExitCode}) while starting; see "${hint(`logs ${info.Config.Labels?.[LABELS.service] ?? name}`)}"`,
      );
    }
    const cmd = healthCommand(info);
    if (!cmd) throw new Error(`container ${name} has no health check to wait for (its image has no HEALTHCHECK)`);
    if (await probeHealth(name, cmd, Math.min(5000, Math.max(1000, deadline - Date.now())))) return;
    last = info.State.Health?.Status === 'unhealthy' ? 'unhealthy' : 'its check not passing yet';
    await sleep(1000);
  }
  throw new UserError(`container ${name} not healthy after ${timeoutMs / 1000} s (last status: ${last})`);
}
