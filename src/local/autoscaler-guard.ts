// One autoscaler per cluster: two would fight, each scaling on its own view with cooldowns the
// other does not know. The detached one is the controller container when it autoscales
// (autoscaler.enabled; a controller that only heals is no autoscaler); a foreground one
// (`moodle-ha autoscale`, `up --autoscale`) holds a pid file in the cluster's state folder while
// it runs. Each refuses to start while the other runs, saying how to stop it. (Two starting in
// the same instant could both pass the check; a person starts these, one at a time.) A foreground
// autoscaler and the controller's healer share the cluster through the operation lease
// (heal-lease.ts): the healer waits while a scaling step runs.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Spec } from '../spec/schema.ts';
import { UserError } from '../util/errors.ts';
import { clusterStateDir } from '../util/paths.ts';
import { processRuns } from '../util/process.ts';
import { controllerActivity, type AutoscalerContainerState } from './autoscaler-container.ts';
import { clusterNames } from './names.ts';
import { hint } from '../spec/hint.ts';

export type AutoscalerMode = 'foreground' | 'detached';

/** Which autoscalers run for a cluster now. */
export interface AutoscalerActivity {
  /** The controller container (it heals whenever it runs). */
  readonly detached: AutoscalerContainerState;
  /** The controller also autoscales (autoscaler.enabled when `up` started it). @default true */
  readonly detachedAutoscales?: boolean;
  /** pid of a live foreground autoscaler, if any. */
  readonly foregroundPid?: number;
}

/** Why an autoscaler of kind `wanted` may not start now, or undefined when it may. Pure. */
export function autoscalerConflict(cluster: string, wanted: AutoscalerMode, now: AutoscalerActivity): string | undefined {
  const only = 'only one autoscaler may run per cluster';
  if (now.detached === 'running' && now.detachedAutoscales !== false && wanted === 'foreground') {
    return (
      `the autoscaler of cluster "${cluster}" already runs detached (container ${clusterNames(cluster).container('autoscaler')}); ${only}. ` +
      `Watch it with "${hint('logs autoscaler --follow')}", or stop it to run one in the foreground: set autoscaler.enabled: false in moodle-ha.yaml ` +
      `(if it is set there) and run "${hint('up')}", which removes the container.`
    );
  }
  if (now.foregroundPid !== undefined) {
    const stop = `stop it first (Ctrl-C in its terminal, or "kill ${now.foregroundPid}")`;
    return wanted === 'detached'
      ? `a foreground autoscaler (pid ${now.foregroundPid}) runs for cluster "${cluster}"; ${only}: ${stop}, then run "${hint('up')}" again to start the detached one. Nothing was changed.`
      : `another foreground autoscaler (pid ${now.foregroundPid}) runs for cluster "${cluster}"; ${only}: ${stop}, or leave it running.`;
  }
  return undefined;
}

function pidFile(cluster: string): string {
  return join(clusterStateDir(cluster), 'autoscaler.pid');
}

/** The pid of a live foreground autoscaler of the cluster (a stale pid file is ignored). */
export function foregroundPid(cluster: string): number | undefined {
  const file = pidFile(cluster);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  return processRuns(pid) ? pid : undefined;
}

export async function autoscalerActivity(spec: Spec): Promise<AutoscalerActivity> {
  const pid = foregroundPid(spec.name);
  const c = await controllerActivity(spec.name);
  return { detached: c.state, detachedAutoscales: c.autoscales, ...(pid === undefined ? {} : { foregroundPid: pid }) };
}

/** Fails with the conflict's message when another autoscaler runs. */
export async function assertAutoscalerMayStart(spec: Spec, wanted: AutoscalerMode): Promise<void> {
  const why = autoscalerConflict(spec.name, wanted, await autoscalerActivity(spec));
  if (why) throw new UserError(why);
}

/** Marks this process as the cluster's foreground autoscaler; returns the release. */
export function claimForeground(cluster: string): () => void {
  const file = pidFile(cluster);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
  return () => {
    if (existsSync(file) && readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
  };
}
