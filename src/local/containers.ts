// Container, network and volume builders for the local cluster. Every resource carries the
// project's labels; a container also carries a hash of its definition, so running `up` again
// keeps what is unchanged and replaces what changed.
import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { LABELS } from '../contract/image.ts';
import { UserError } from '../util/errors.ts';
import { tarOf, type ArchiveFile } from './archive.ts';
import { docker, isNotFound } from './engine/docker.ts';

export interface ContainerSpec {
  readonly name: string;
  readonly cluster: string;
  readonly service: string;
  readonly image: string;
  readonly cmd?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly network: string;
  readonly aliases?: readonly string[];
  /** Named volumes: volume name → mount path (a host path instead of a name is a bind mount). */
  readonly volumes?: Readonly<Record<string, string>>;
  /** Files put into the container before it starts (secrets, configs). */
  readonly files?: readonly ArchiveFile[];
  /**
   * Files the running container takes without being recreated (its owner rewrites and reloads
   * them, e.g. HAProxy's server list): put in at creation, but not part of the definition, so a
   * change to them alone keeps the container.
   */
  readonly liveFiles?: readonly ArchiveFile[];
  /** Host port bindings: container port → host port. */
  readonly ports?: ReadonlyArray<{ readonly container: number; readonly host: number; readonly bind: string }>;
  readonly memoryBytes?: number;
  readonly stopTimeoutSeconds?: number;
  readonly restart?: 'no' | 'unless-stopped' | 'on-failure';
  readonly user?: string;
  /** Extra /etc/hosts entries, e.g. "host.docker.internal:host-gateway". */
  readonly extraHosts?: readonly string[];
  /** Replaces the image's entrypoint (one-off helpers that must not run the image's start-up). @default - the image's */
  readonly entrypoint?: readonly string[];
  /** Keeps stdin open for one attached client (closed when it disconnects). @default false */
  readonly openStdin?: boolean;
}

export function labelsFor(cluster: string, service: string): Record<string, string> {
  return { [LABELS.project]: 'moodle-ha', [LABELS.cluster]: cluster, [LABELS.service]: service };
}

/** What decides whether a running container is kept: its definition (without liveFiles) and its image. */
export function definitionHash(spec: ContainerSpec, imageId: string): string {
  const { liveFiles: _live, ...definition } = spec;
  return createHash('sha256')
    .update(JSON.stringify({ ...definition, imageId }))
    .digest('hex')
    .slice(0, 16);
}

export async function ensureNetwork(name: string, cluster: string): Promise<'created' | 'kept'> {
  const found = await docker().listNetworks({ filters: { name: [name] } });
  if (found.some((n) => n.Name === name)) return 'kept';
  await docker().createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: labelsFor(cluster, 'network') });
  return 'created';
}

export async function ensureVolume(name: string, cluster: string, service: string): Promise<'created' | 'kept'> {
  try {
    await docker().getVolume(name).inspect();
    return 'kept';
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  await docker().createVolume({ Name: name, Labels: labelsFor(cluster, service) });
  return 'created';
}

/**
 * Running steadily: its process runs and its restart policy is not restarting it. Docker reports a
 * container between two policy restarts as Running and Restarting; it serves nothing then, and the
 * engine refuses an exec into it (HTTP 409).
 */
export function runsSteadily(state: { Running?: boolean; Restarting?: boolean } | undefined): boolean {
  return state?.Running === true && state.Restarting !== true;
}

export async function inspectContainer(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await docker().getContainer(name).inspect();
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * Makes the container run as specified: kept when it runs with the same definition, started when
 * it is stopped, otherwise (re)created and started: also when its restart policy is restarting it
 * (its process keeps dying; a fresh container drops whatever its own file system holds).
 * Returns what was done.
 */
export async function ensureContainer(spec: ContainerSpec): Promise<'kept' | 'started' | 'created'> {
  const image = await docker().getImage(spec.image).inspect();
  const hash = definitionHash(spec, image.Id);
  const existing = await inspectContainer(spec.name);
  if (existing && existing.Config.Labels?.[LABELS.definition] === hash && existing.State.Restarting !== true) {
    if (existing.State.Running) return 'kept';
    await docker().getContainer(spec.name).start();
    return 'started';
  }
  if (existing) await removeContainer(spec.name, spec.stopTimeoutSeconds ?? 10);
  const c = await createContainer(spec, hash);
  await c.start();
  return 'created';
}

export async function createContainer(spec: ContainerSpec, hash = 'one-off'): Promise<Docker.Container> {
  const c = await docker().createContainer(createOptions(spec, hash));
  const files = [...(spec.files ?? []), ...(spec.liveFiles ?? [])];
  if (files.length) await putFiles(c, files);
  return c;
}

/** The engine's create request for a container: labels (with the definition hash), environment, ports, mounts, limits. */
export function createOptions(spec: ContainerSpec, hash: string): Docker.ContainerCreateOptions {
  const portBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  const exposed: Record<string, object> = {};
  for (const p of spec.ports ?? []) {
    portBindings[`${p.container}/tcp`] = [{ HostIp: p.bind, HostPort: String(p.host) }];
    exposed[`${p.container}/tcp`] = {};
  }
  return {
    name: spec.name,
    // The container name as hostname: resolvable on the cluster network, stable across
    // re-creation, and readable where a service names itself (Sentinel, session lock holders).
    Hostname: spec.name,
    Image: spec.image,
    ...(spec.cmd ? { Cmd: [...spec.cmd] } : {}),
    ...(spec.entrypoint ? { Entrypoint: [...spec.entrypoint] } : {}),
    ...(spec.openStdin ? { OpenStdin: true, StdinOnce: true, AttachStdin: true } : {}),
    Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
    Labels: { ...labelsFor(spec.cluster, spec.service), [LABELS.definition]: hash },
    ExposedPorts: exposed,
    ...(spec.user ? { User: spec.user } : {}),
    StopTimeout: spec.stopTimeoutSeconds ?? 10,
    HostConfig: {
      NetworkMode: spec.network,
      Binds: Object.entries(spec.volumes ?? {}).map(([vol, path]) => `${vol}:${path}`),
      PortBindings: portBindings,
      RestartPolicy: { Name: spec.restart ?? 'unless-stopped' },
      ...(spec.memoryBytes ? { Memory: spec.memoryBytes } : {}),
      ...(spec.extraHosts?.length ? { ExtraHosts: [...spec.extraHosts] } : {}),
      Init: false,
    },
    NetworkingConfig: { EndpointsConfig: { [spec.network]: { Aliases: [...(spec.aliases ?? [])] } } },
  };
}

/** Puts files into a container; paths are absolute, owners and modes as given. */
export async function putFiles(c: Docker.Container, files: readonly ArchiveFile[]): Promise<void> {
  const tar = await tarOf(files.map((f) => ({ ...f, name: f.name.replace(/^\//, '') })));
  await c.putArchive(tar, { path: '/' });
}

/**
 * Stops and removes a container, with its anonymous volumes: those the image's VOLUME lines make
 * where no named volume is mounted (a Redis cache or Sentinel's /data, a backup helper's
 * /var/lib/mysql), which would otherwise be left behind, dangling, by every removal. Named volumes
 * (the cluster's data) are never removed here.
 */
export async function removeContainer(name: string, stopTimeoutSeconds = 10): Promise<void> {
  const c = docker().getContainer(name);
  try {
    await c.stop({ t: stopTimeoutSeconds });
  } catch (e) {
    const code = (e as { statusCode?: number }).statusCode;
    if (code !== 304 && code !== 404) throw e;
  }
  try {
    await c.remove({ force: true, v: true });
  } catch (e) {
    if (!isNotFound(e) && (e as { statusCode?: number }).statusCode !== 409) throw e;
  }
}

export async function clusterContainers(cluster: string): Promise<Docker.ContainerInfo[]> {
  return docker().listContainers({ all: true, filters: { label: [`${LABELS.cluster}=${cluster}`] } });
}

/** Fails, quoting the container's last log lines, when it is not running after `ms`. */
export async function assertStaysUp(name: string, ms = 1500): Promise<void> {
  await sleep(ms);
  const info = await inspectContainer(name);
  if (runsSteadily(info?.State)) return;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the engine's frame headers are control bytes; they are what this removes
  const logs = (await docker().getContainer(name).logs({ stdout: true, stderr: true, tail: 15 })).toString('utf8').replace(/[\x00-\x08]/g, '');
  throw new UserError(`container ${name} did not stay up (exit ${info?.State.ExitCode}); its last log lines:\n${logs}`);
}

/** Runs a command in a running container; returns exit code and output. */
export async function exec(name: string, cmd: readonly string[]): Promise<{ code: number; output: string }> {
  const e = await docker()
    .getContainer(name)
    .exec({ Cmd: [...cmd], AttachStdout: true, AttachStderr: true });
  const stream = await e.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  const out = new PassThrough();
  out.on('data', (b: Buffer) => chunks.push(b));
  docker().modem.demuxStream(stream, out, out);
  await new Promise<void>((resolve) => stream.on('end', () => resolve()));
  const info = await e.inspect();
  return { code: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString() };
}

/** SIGKILL: the container dies at once, as on a crash (its restart policy does not bring it back). */
export async function killContainer(name: string): Promise<void> {
  await docker().getContainer(name).kill({ signal: 'SIGKILL' });
}

/** Starts a stopped container; nothing when it runs. */
export async function startContainer(name: string): Promise<void> {
  await docker()
    .getContainer(name)
    .start()
    .catch((e: { statusCode?: number }) => {
      if (e.statusCode !== 304) throw e; // 304: already running
    });
}

/** Freezes the container's processes (the cgroup freezer: docker pause). */
export async function pauseContainer(name: string): Promise<void> {
  await docker().getContainer(name).pause();
}

/** Thaws a paused container; nothing when it is not paused. */
export async function unpauseContainer(name: string): Promise<void> {
  const c = docker().getContainer(name);
  if ((await c.inspect()).State.Paused) await c.unpause();
}

/** Stops the container (SIGTERM, SIGKILL after `graceS` seconds) and starts it again. */
export async function restartContainer(name: string, graceS: number): Promise<void> {
  await docker().getContainer(name).restart({ t: graceS });
}

/**
 * The container's output (its stdout and stderr frames, in order, as one stream): the last `tail`
 * lines, then with `follow` what it writes until it stops. The stream ends when the log does.
 */
export async function containerLogs(name: string, opts: { readonly tail: number; readonly follow: boolean }): Promise<Readable> {
  const c = docker().getContainer(name);
  const out = new PassThrough();
  // Containers run without a TTY, so Docker frames each chunk with a header naming its stream.
  if (opts.follow) {
    const stream = await c.logs({ follow: true, stdout: true, stderr: true, tail: opts.tail });
    docker().modem.demuxStream(stream, out, out);
    stream.on('end', () => out.end());
    stream.on('error', (e: Error) => out.destroy(e));
    out.on('close', () => (stream as unknown as { destroy?: () => void }).destroy?.());
  } else {
    const buf = await c.logs({ follow: false, stdout: true, stderr: true, tail: opts.tail });
    out.end(demuxFrames(buf));
  }
  return out;
}

/** Docker's multiplexed log frames (8-byte header: stream, size) joined into their payload. */
export function demuxFrames(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
