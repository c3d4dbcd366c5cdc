// The controller container: one per cluster (`<name>-autoscaler`; image moodle-ha/controller),
// running the controller daemon (src/autoscaler-daemon/main.ts). It always heals (src/local/heal.ts:
// members brought back to the desired state without a person), and when autoscaler.enabled it also
// runs the same autoscaling loop as `moodle-ha autoscale` (src/ops/autoscaler/loop.ts). `up` starts
// it whenever the cluster runs, `down` removes it first.
//
// It acts on the cluster the way the CLI does, through the Docker API: HAProxy's counters and
// drain commands by `docker exec` into the load balancer (its admin socket; no address to reach,
// so nothing differs from the foreground mode), containers started, created and removed, CPU from
// Docker stats. So it mounts the engine's socket, which is root-equivalent power over this
// machine's Docker. Acceptable here: the local cluster is one machine whose operator already holds
// that power (the CLI uses the same socket), and the daemon runs only code from this repository.
// On AWS, ECS's service scheduler and Application Auto Scaling do this job with a scoped role.
// It also mounts the cluster's state folder: the secrets a new member needs, the remembered
// capacity, the operation lease (heal-lease.ts) and the event log that `status` reads, shared
// with the foreground mode.
import { statSync } from 'node:fs';
import { UserError } from '../util/errors.ts';
import { clusterStateDir } from '../util/paths.ts';
import type { Spec } from '../spec/schema.ts';
import { docker } from './engine/docker.ts';
import { demuxFrames, ensureContainer, inspectContainer, removeContainer, runsSteadily, sleep, type ContainerSpec } from './containers.ts';
import { clusterNames } from './names.ts';
import type { ImageTags } from './services.ts';
import { hint } from '../spec/hint.ts';

/** Where `up` puts the resolved spec in the controller container. */
export const AUTOSCALER_SPEC_FILE = '/etc/moodle-ha/spec.json';
/** The state root inside the container (MOODLE_HA_STATE); the cluster's folder is mounted under it. */
export const AUTOSCALER_STATE_ROOT = '/var/lib/moodle-ha';
/** Where `up` puts the image tags of the cluster's members (the healer re-creates removed ones from them). */
export const CONTROLLER_IMAGES_FILE = '/etc/moodle-ha/images.json';
/** The line the daemon prints once it has read the spec and started healing. */
export const AUTOSCALER_READY = 'autoscaler controller ready';
/** The controller's environment variable that says whether it also autoscales ("1") or only heals ("0"). */
export const CONTROLLER_AUTOSCALES_ENV = 'MOODLE_HA_AUTOSCALES';
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

/** The controller container's definition. Pure: the same spec, images and host give the same one. */
export function autoscalerContainer(spec: Spec, image: string, host: AutoscalerHost, tags: ImageTags): ContainerSpec {
  const n = clusterNames(spec.name);
  return {
    name: n.container('autoscaler'),
    cluster: spec.name,
    service: 'autoscaler',
    image,
    network: n.network,
    env: { MOODLE_HA_STATE: AUTOSCALER_STATE_ROOT, [CONTROLLER_AUTOSCALES_ENV]: spec.autoscaler.enabled ? '1' : '0' },
    volumes: {
      [host.socket]: '/var/run/docker.sock',
      [host.stateDir]: clusterStateDir(spec.name, AUTOSCALER_STATE_ROOT),
    },
    // The whole resolved spec: new web nodes must get exactly the definition `up` gives them, and
    // a changed spec changes this container's definition, so `up` replaces it.
    // The images: new members the healer makes must be the ones `up` made (a changed tag replaces the controller).
    files: [
      { name: AUTOSCALER_SPEC_FILE, content: `${JSON.stringify(spec)}\n`, mode: 0o444, uid: 0, gid: 0 },
      { name: CONTROLLER_IMAGES_FILE, content: `${JSON.stringify(tags)}\n`, mode: 0o444, uid: 0, gid: 0 },
    ],
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

/** Why the controller cannot run on this engine (it mounts the engine's socket), or undefined when it can. */
export function controllerUnavailable(spec: Spec): string | undefined {
  try {
    autoscalerHost(spec);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export type AutoscalerContainerState = 'running' | 'stopped' | 'absent';

export async function autoscalerContainerState(cluster: string): Promise<AutoscalerContainerState> {
  return (await controllerActivity(cluster)).state;
}

/** The controller container's state, and whether it autoscales (else it only heals). */
export async function controllerActivity(cluster: string): Promise<{ state: AutoscalerContainerState; autoscales: boolean }> {
  const info = await inspectContainer(clusterNames(cluster).container('autoscaler'));
  if (!info) return { state: 'absent', autoscales: false };
  // A controller from before healing had no such variable: it always autoscaled.
  const env = info.Config.Env ?? [];
  const autoscales = !env.includes(`${CONTROLLER_AUTOSCALES_ENV}=0`);
  return { state: info.State.Running || info.State.Restarting ? 'running' : 'stopped', autoscales };
}

/** Starts (or keeps) the controller container and waits until it reports ready; fails with its log lines. */
export async function ensureAutoscalerContainer(spec: Spec, image: string, tags: ImageTags): Promise<'kept' | 'started' | 'created'> {
  const c = autoscalerContainer(spec, image, autoscalerHost(spec), tags);
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
    if (!runsSteadily(info?.State) || (info?.RestartCount ?? 0) > restarts) {
      const how = runsSteadily(info?.State) ? 'it exited and Docker restarted it' : `exit ${info?.State.ExitCode ?? '?'}`;
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
