// Containers for the image tier, testcontainers-style: a session labels everything it creates
// (project + session id) and removes exactly that in `after`; waits are bounded and say what they
// waited for; ports are published on 127.0.0.1 with an ephemeral host port.
import { randomBytes } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import { PassThrough } from 'node:stream';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { extract, pack } from 'tar-stream';
import { LABELS } from '../../src/contract/image.ts';
import type { ServiceImage } from '../../src/image/service-images.ts';
import { healthCommand } from '../../src/local/health.ts';
import { buildRuntimeImage, buildServiceImage } from '../../src/local/images/build.ts';
import { validateSpec } from '../../src/spec/read.ts';
import { silentProgress } from '../../src/util/progress.ts';

export const TEST_PROJECT = 'moodle-ha-test';
export const SESSION_LABEL = 'io.moodle-ha.test-session';
export const PROBE_TREE = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'probe-tree');

/** The runtime image built with the probe tree instead of Moodle. */
export function probeImage(): Promise<string> {
  return buildRuntimeImage(
    { codeDir: PROBE_TREE, spec: validateSpec({}), baseDir: PROBE_TREE, noPlugins: true, repository: 'moodle-ha/probe' },
    silentProgress,
  );
}

export function serviceImage(name: ServiceImage): Promise<string> {
  return buildServiceImage(name, silentProgress);
}

/** Rejects with "<what> not done after <ms> ms" unless `work` settles first. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface FileToPut {
  /** Path relative to the folder the files are put in. */
  readonly path: string;
  readonly content: string | Buffer;
  /** @default 0o644 */
  readonly mode?: number;
  /** @default 0 (root) */
  readonly uid?: number;
  readonly gid?: number;
}

/**
 * Puts files into a container (created or running) with putArchive. Folders that do not exist are
 * made by Docker (root, 0755); existing folders keep their owner and mode.
 */
export async function putFiles(container: Docker.Container, dir: string, files: readonly FileToPut[]): Promise<void> {
  // Put at "/" with full paths and no folder entries: Docker's unpack makes missing parents and
  // leaves existing folders alone (so e.g. /run/moodle-ha/secrets keeps its owner and mode).
  const base = posix.resolve('/', dir).slice(1);
  const p = pack();
  for (const f of files) p.entry({ name: posix.join(base, f.path), mode: f.mode ?? 0o644, uid: f.uid ?? 0, gid: f.gid ?? f.uid ?? 0 }, f.content);
  p.finalize();
  // (No existence checks with infoArchive: its HEAD request leaves a socket open for minutes.)
  await withTimeout(container.putArchive(p as unknown as NodeJS.ReadableStream, { path: '/' }), 20_000, `putArchive into ${dir}`);
}

/** Reads one file out of a container (created or running) with getArchive. */
export async function readFileFrom(container: Docker.Container, path: string): Promise<Buffer> {
  const stream = (await container.getArchive({ path })) as unknown as NodeJS.ReadableStream;
  const ex = extract();
  const chunks: Buffer[] = [];
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ex.on('entry', (_h, body, next) => {
        body.on('data', (c: unknown) => chunks.push(c as Buffer));
        body.on('end', next);
      });
      ex.on('finish', resolve);
      ex.on('error', reject);
      stream.pipe(ex);
    }),
    20_000,
    `getArchive ${path}`,
  );
  return Buffer.concat(chunks);
}

/** Splits Docker's multiplexed log/exec stream (8-byte frame headers) into stdout and stderr. */
export function demux(buf: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    (buf[i] === 2 ? err : out).push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

export interface ContainerOptions {
  readonly image: string;
  /** Short role, part of the container name (mhtest-<session>-<role>). */
  readonly role: string;
  readonly cmd?: string[];
  readonly entrypoint?: string[];
  readonly env?: Record<string, string>;
  readonly network?: string;
  readonly aliases?: string[];
  /** Container ports published on 127.0.0.1, each on an ephemeral host port. */
  readonly publish?: number[];
  readonly volumes?: Array<{ readonly volume: string; readonly target: string }>;
  /** Host paths bound in, "host-path:container-path" (e.g. the Docker socket). */
  readonly binds?: string[];
  /** Files put in before the container starts. */
  readonly files?: Array<{ readonly dir: string; readonly files: readonly FileToPut[] }>;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class StartedContainer {
  constructor(
    readonly container: Docker.Container,
    readonly name: string,
  ) {}

  /** The 127.0.0.1 port Docker assigned to a published container port. */
  async hostPort(port: number): Promise<number> {
    const info = await this.container.inspect();
    const binding = info.NetworkSettings.Ports?.[`${port}/tcp`]?.find((b) => b.HostIp === '127.0.0.1');
    if (!binding) throw new Error(`${this.name}: port ${port} is not published on 127.0.0.1 (${JSON.stringify(info.NetworkSettings.Ports)})`);
    return Number(binding.HostPort);
  }

  async logs(): Promise<{ stdout: string; stderr: string }> {
    const buf = (await this.container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return demux(buf);
  }

  /** Runs a command in the running container; `timeoutMs` bounds it. */
  async exec(cmd: string[], opts: { user?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    const ms = opts.timeoutMs ?? 20_000;
    const ex = await this.container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, ...(opts.user ? { User: opts.user } : {}) });
    const stream = await ex.start({ hijack: true, stdin: false });
    const out = new PassThrough();
    const err = new PassThrough();
    const o: Buffer[] = [];
    const e: Buffer[] = [];
    out.on('data', (c: Buffer) => o.push(c));
    err.on('data', (c: Buffer) => e.push(c));
    this.container.modem.demuxStream(stream, out, err);
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        stream.on('end', resolve);
        stream.on('error', reject);
      }),
      ms,
      `${this.name}: exec ${cmd.join(' ')}`,
    );
    const info = await ex.inspect();
    return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(o).toString(), stderr: Buffer.concat(e).toString() };
  }

  /** Waits for the container to exit; returns its exit code. */
  async waitForExit(timeoutMs: number): Promise<number> {
    const r = (await withTimeout(this.container.wait(), timeoutMs, `${this.name} to exit`)) as { StatusCode: number };
    return r.StatusCode;
  }

  /**
   * Waits until the image's HEALTHCHECK passes, running it here about once a second (as `up` does:
   * src/local/health.ts; Docker runs it only every 30 s).
   */
  async waitForHealthy(timeoutMs: number): Promise<void> {
    const t0 = Date.now();
    let last = '';
    while (Date.now() - t0 < timeoutMs) {
      const info = await this.container.inspect();
      const cmd = healthCommand(info);
      if (!cmd) throw new Error(`${this.name}: the image has no HEALTHCHECK`);
      if (!info.State.Running) {
        last = `not running (${info.State.Status})`;
        break;
      }
      const r = await this.exec(cmd, { timeoutMs: 5000 }).catch((e: Error) => ({ exitCode: -1, stdout: '', stderr: e.message }));
      if (r.exitCode === 0) return;
      last = `check exit ${r.exitCode} ${r.stderr.trim()}`.trim();
      await sleep(1000);
    }
    const logs = await this.logs().catch(() => ({ stdout: '', stderr: '' }));
    throw new Error(`${this.name}: health check not passing after ${timeoutMs} ms (last: ${last}); log tail:\n${(logs.stdout + logs.stderr).slice(-1500)}`);
  }

  /** Waits until the container's log (stdout + stderr) matches. */
  async waitForLog(pattern: RegExp, timeoutMs: number): Promise<string> {
    const t0 = Date.now();
    let text = '';
    while (Date.now() - t0 < timeoutMs) {
      const l = await this.logs();
      text = l.stdout + l.stderr;
      if (pattern.test(text)) return text;
      await sleep(200);
    }
    throw new Error(`${this.name}: log message ${pattern} not received after ${timeoutMs} ms; log tail:\n${text.slice(-1500)}`);
  }
}

/** Everything one test file creates in Docker, labelled with its session id and removed by `cleanup`. */
export class TestSession {
  readonly id = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  readonly docker = new Docker();

  get labels(): Record<string, string> {
    return { [LABELS.project]: TEST_PROJECT, [SESSION_LABEL]: this.id };
  }

  name(role: string): string {
    return `mhtest-${this.id}-${role}`;
  }

  async network(role = 'net'): Promise<string> {
    const name = this.name(role);
    await this.docker.createNetwork({ Name: name, Driver: 'bridge', Labels: this.labels, CheckDuplicate: true });
    return name;
  }

  async volume(role: string): Promise<string> {
    const name = this.name(role);
    await this.docker.createVolume({ Name: name, Labels: this.labels });
    return name;
  }

  /** Creates a container, puts its files in, starts it. Waiting for readiness is the caller's. */
  async start(o: ContainerOptions): Promise<StartedContainer> {
    const c = await this.create(o);
    await withTimeout(c.container.start(), 30_000, `start ${c.name}`);
    return c;
  }

  async create(o: ContainerOptions): Promise<StartedContainer> {
    const name = this.name(o.role);
    const ports = o.publish ?? [];
    const container = await this.docker.createContainer({
      name,
      Image: o.image,
      Labels: this.labels,
      ...(o.cmd ? { Cmd: o.cmd } : {}),
      ...(o.entrypoint ? { Entrypoint: o.entrypoint } : {}),
      Env: Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`),
      ExposedPorts: Object.fromEntries(ports.map((p) => [`${p}/tcp`, {}])),
      HostConfig: {
        PortBindings: Object.fromEntries(ports.map((p) => [`${p}/tcp`, [{ HostIp: '127.0.0.1', HostPort: '' }]])),
        Mounts: (o.volumes ?? []).map((v) => ({ Type: 'volume' as const, Source: v.volume, Target: v.target })),
        ...(o.binds ? { Binds: o.binds } : {}),
        ...(o.network ? { NetworkMode: o.network } : {}),
      },
      ...(o.network ? { NetworkingConfig: { EndpointsConfig: { [o.network]: { Aliases: o.aliases ?? [] } } } } : {}),
    });
    for (const f of o.files ?? []) await putFiles(container, f.dir, f.files);
    return new StartedContainer(container, name);
  }

  /** Runs a container to completion: its exit code and output. */
  async run(o: ContainerOptions, timeoutMs = 60_000): Promise<ExecResult> {
    const c = await this.start(o);
    const exitCode = await c.waitForExit(timeoutMs);
    const { stdout, stderr } = await c.logs();
    await c.container.remove({ force: true, v: true });
    return { exitCode, stdout, stderr };
  }

  /** Removes every container, network and volume carrying this session's label. */
  async cleanup(): Promise<void> {
    await removeLabelled(this.docker, `${SESSION_LABEL}=${this.id}`, `test session ${this.id}`);
  }
}

/**
 * Removes what every earlier test session left on the engine (any value of SESSION_LABEL);
 * returns the sessions' ids. A run killed mid-file never reaches its `after`: an ECS twin left
 * so ran its web, cron and data containers through the whole of the next CI run, which found
 * the twin's network range taken and its drills slower than their bars (stop 25).
 */
export function removeLeftoverSessions(docker = new Docker()): Promise<string[]> {
  return removeLabelled(docker, SESSION_LABEL, 'earlier test sessions');
}

/**
 * Removes every container, then network, then volume matching the label filter; says what stayed.
 * Returns the session ids (SESSION_LABEL's values) of what it found.
 */
async function removeLabelled(docker: Docker, label: string, whose: string): Promise<string[]> {
  const filters = JSON.stringify({ label: [label] });
  const ids = new Set<string>();
  const problems: string[] = [];
  const attempt = async (what: string, work: Promise<unknown>) => {
    try {
      await withTimeout(work, 40_000, what);
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) problems.push(`${what}: ${(e as Error).message}`);
    }
  };
  for (const c of await docker.listContainers({ all: true, filters })) {
    ids.add(c.Labels[SESSION_LABEL] ?? '?');
    await attempt(`remove container ${c.Names[0]}`, docker.getContainer(c.Id).remove({ force: true, v: true }));
  }
  for (const n of await docker.listNetworks({ filters })) {
    ids.add(n.Labels?.[SESSION_LABEL] ?? '?');
    await attempt(`remove network ${n.Name}`, docker.getNetwork(n.Id).remove());
  }
  const { Volumes } = await docker.listVolumes({ filters });
  for (const v of Volumes ?? []) {
    ids.add(v.Labels?.[SESSION_LABEL] ?? '?');
    await attempt(`remove volume ${v.Name}`, docker.getVolume(v.Name).remove());
  }
  if (problems.length) throw new Error(`cleanup of ${whose} left resources:\n${problems.join('\n')}`);
  return [...ids];
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One HTTP request on its own connection (no keep-alive, no decompression). */
export function http(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number } = {},
): Promise<HttpResponse> {
  const ms = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(ms, () => req.destroy(new Error(`no HTTP response from 127.0.0.1:${port}${path} after ${ms} ms`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Polls until GET path answers `status`; fails naming the last answer or error. */
export async function waitForHttp(port: number, path: string, opts: { status?: number; timeoutMs?: number } = {}): Promise<HttpResponse> {
  const want = opts.status ?? 200;
  const ms = opts.timeoutMs ?? 30_000;
  const t0 = Date.now();
  let last = 'nothing yet';
  while (Date.now() - t0 < ms) {
    try {
      const r = await http(port, path, { timeoutMs: 3000 });
      if (r.status === want) return r;
      last = `HTTP ${r.status}: ${r.body.toString().slice(0, 200)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`HTTP ${want} from 127.0.0.1:${port}${path} not received after ${ms} ms (last: ${last})`);
}
