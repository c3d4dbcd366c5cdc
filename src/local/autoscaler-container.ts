// The detached autoscaler's container: one per cluster (`<name>-autoscaler`, the "controller
// container" of the docs; image moodle-ha/controller), running the autoscaler daemon
// (src/autoscaler-daemon/main.ts), which runs the same loop as `moodle-ha autoscale`
// (src/ops/autoscaler/loop.ts). `up` starts it when autoscaler.enabled, `down` removes it first.
//
// It acts on the cluster the way the CLI does, through the Docker API: HAProxy's counters and
// drain commands by `docker exec` into the load balancer (its admin socket; no address to reach,
// so nothing differs from the foreground mode), web nodes created and removed, CPU from Docker
// stats. So it mounts the engine's socket, which is root-equivalent power over this machine's
// Docker. Acceptable here: the local cluster is one machine whose operator already holds that
// power (the CLI uses the same socket), and the daemon runs only code from this repository.
// On AWS, Application Auto Scaling does this job with a scoped role instead.
// It also mounts the cluster's state folder: the secrets a new web node needs, the remembered
// capacity, and the scaling event log that `status` reads, shared with the foreground mode.
import { statSync } from 'node:fs';
import { UserError } from '../util/errors.ts';
import { clusterStateDir } from '../util/paths.ts';
import type { Spec } from '../spec/schema.ts';
import { docker } from './engine/docker.ts';
import { demuxFrames, ensureContainer, inspectContainer, removeContainer, sleep, type ContainerSpec } from './containers.ts';
import { clusterNames } from './names.ts';
import { hint } from '../spec/hint.ts';

/** Where `up` puts the resolved spec in the controller container. */
export const AUTOSCALER_SPEC_FILE = '/etc/moodle-ha/spec.json';
/** The state root inside the container (MOODLE_HA_STATE); the cluster's folder is mounted under it. */
export const AUTOSCALER_STATE_ROOT = '/var/lib/moodle-ha';
/** The line the daemon prints once it has read the spec and seen the load balancer. */
export const AUTOSCALER_READY = 'autoscaler controller ready';
/**
 * A scale-out in progress finishes before the daemon exits (new node ready, then added), so
 * `docker stop` gives it this long; an idle daemon exits at once.
 */
export const AUTOSCALER_STOP_SECONDS = 60;

/** What the autoscaler's container needs to know about this machine. */
export interface AutoscalerHost {
  /** Path of the Docker engine's socket here. */
  readonly socket: string;
  /** Owner of the socket file. */
  readonly socketOwner: { readonly uid: number; readonly gid: number };
  /** The user running moodle-ha (owner of the state folder and its 0600 secrets). */
  readonly user: { readonly uid: number; readonly gid: number };
  /** The cluster's state folder here. */
  readonly stateDir: string;
}

/** The engine's socket path from DOCKER_HOST (unset: the default socket); other transports are refused. */
export function dockerSocketPath(dockerHost: string | undefined): string {
  if (!dockerHost) return '/var/run/docker.sock';
  if (dockerHost.startsWith('unix://')) return dockerHost.slice('unix://'.length);
  throw new UserError(
    `the detached autoscaler mounts the Docker engine's socket, but DOCKER_HOST is ${dockerHost} (not a unix:// socket on this machine). ` +
      `Run the autoscaler in the foreground instead ("${hint('autoscale')}"), and leave autoscaler.enabled unset.`,
  );
}

/**
 * The container's user. Root inside when the user running moodle-ha owns the socket (root, or
 * rootless Docker, where container root is that user); otherwise that user's uid with the socket's
 * group: it can read the 0600 secrets and reach the engine without being root.
 */
export function autoscalerUser(host: Pick<AutoscalerHost, 'socketOwner' | 'user'>): string {
  if (host.user.uid === 0 || host.user.uid === host.socketOwner.uid) return '0:0';
  return `${host.user.uid}:${host.socketOwner.gid}`;
}

/** The autoscaler container's definition. Pure: the same spec, image and host give the same one. */
export function autoscalerContainer(spec: Spec, image: string, host: AutoscalerHost): ContainerSpec {
  const n = clusterNames(spec.name);
  return {
    name: n.container('autoscaler'),
    cluster: spec.name,
    service: 'autoscaler',
    image,
    network: n.network,
    env: { MOODLE_HA_STATE: AUTOSCALER_STATE_ROOT },
    volumes: {
      [host.socket]: '/var/run/docker.sock',
      [host.stateDir]: clusterStateDir(spec.name, AUTOSCALER_STATE_ROOT),
    },
    // The whole resolved spec: new web nodes must get exactly the definition `up` gives them, and
    // a changed spec changes this container's definition, so `up` replaces it.
    files: [{ name: AUTOSCALER_SPEC_FILE, content: `${JSON.stringify(spec)}\n`, mode: 0o444, uid: 0, gid: 0 }],
    user: autoscalerUser(host),
    // A webhook receiver on this machine is http://host.docker.internal:PORT/... from inside.
    extraHosts: ['host.docker.internal:host-gateway'],
    memoryBytes: 256 * 1024 ** 2,
    stopTimeoutSeconds: AUTOSCALER_STOP_SECONDS,
    restart: 'unless-stopped',
  };
}

/** This machine's facts for the autoscaler's container (the socket from DOCKER_HOST, the current user). */
export function autoscalerHost(spec: Spec): AutoscalerHost {
  const socket = dockerSocketPath(process.env.DOCKER_HOST);
  const st = statSync(socket);
  return {
    socket,
    socketOwner: { uid: st.uid, gid: st.gid },
    user: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
    stateDir: clusterStateDir(spec.name),
  };
}

export type AutoscalerContainerState = 'running' | 'stopped' | 'absent';

export async function autoscalerContainerState(cluster: string): Promise<AutoscalerContainerState> {
  const info = await inspectContainer(clusterNames(cluster).container('autoscaler'));
  if (!info) return 'absent';
  return info.State.Running || info.State.Restarting ? 'running' : 'stopped';
}

/** Starts (or keeps) the autoscaler's container and waits until it reports ready; fails with its log lines. */
export async function ensureAutoscalerContainer(spec: Spec, image: string): Promise<'kept' | 'started' | 'created'> {
  const c = autoscalerContainer(spec, image, autoscalerHost(spec));
  const since = Math.floor(Date.now() / 1000);
  const r = await ensureContainer(c);
  if (r !== 'kept') await waitAutoscalerReady(c.name, since, 60_000);
  return r;
}

/** Stops a running autoscaler container (it finishes a scaling step first); true when one was running. */
export async function stopAutoscalerContainer(cluster: string): Promise<boolean> {
  if ((await autoscalerContainerState(cluster)) !== 'running') return false;
  await docker()
    .getContainer(clusterNames(cluster).container('autoscaler'))
    .stop({ t: AUTOSCALER_STOP_SECONDS })
    .catch(() => undefined);
  return true;
}

export async function removeAutoscalerContainer(cluster: string): Promise<boolean> {
  if ((await autoscalerContainerState(cluster)) === 'absent') return false;
  await removeContainer(clusterNames(cluster).container('autoscaler'), AUTOSCALER_STOP_SECONDS);
  return true;
}

/** Waits for the ready line logged since `since` (Unix seconds); a crash (even one Docker restarted) fails at once. */
async function waitAutoscalerReady(name: string, since: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const restarts = (await inspectContainer(name))?.RestartCount ?? 0;
  let text = '';
  while (Date.now() < deadline) {
    const info = await inspectContainer(name);
    text = await logsSince(name, since);
    if (text.includes(AUTOSCALER_READY)) return;
    if (!info?.State.Running || info.State.Restarting || info.RestartCount > restarts) {
      const how = info?.State.Running && !info.State.Restarting ? 'it exited and Docker restarted it' : `exit ${info?.State.ExitCode ?? '?'}`;
      throw new UserError(`the autoscaler controller ${name} did not start (${how}); its last log lines:\n${tail(text)}`);
    }
    await sleep(500);
  }
  throw new UserError(`the autoscaler controller ${name} did not report ready within ${timeoutMs / 1000} s; its last log lines:\n${tail(text)}`);
}

async function logsSince(name: string, since: number): Promise<string> {
  const buf = (await docker()
    .getContainer(name)
    .logs({ stdout: true, stderr: true, since, follow: false })
    .catch(() => Buffer.alloc(0))) as Buffer;
  return demuxFrames(buf).toString('utf8');
}

const tail = (text: string): string => text.trim().split('\n').slice(-15).join('\n') || '(no output)';
