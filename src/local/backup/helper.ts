// One-off helper containers for backup and restore (a dump, a tar, a PHP script): made from the
// cluster's own images on its network, labelled like every other resource of the cluster (so
// `down` removes a leftover), with stdout streamed out and stdin streamed in, both with
// backpressure. An abort signal kills the helper; `remove` always removes it.
import type { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UserError } from '../../util/errors.ts';
import { createContainer, removeContainer, type ContainerSpec } from '../containers.ts';
import { DockerDemux } from './demux.ts';

/** Service label of helper containers. */
export const HELPER_SERVICE = 'backup';

export interface HelperOptions {
  /** Keep stdin open for `input` (closing it is the helper's end-of-input). @default false */
  readonly stdin?: boolean;
  /** Each piece of stderr as it comes. */
  readonly onStderr?: (text: string) => void;
  /** Kills the helper when aborted. */
  readonly signal?: AbortSignal;
}

export interface Helper {
  readonly name: string;
  /** The helper's stdout. Read it (or pipe it) to the end, or the helper blocks once its buffer is full. */
  readonly output: Readable;
  /** Its stdin (with `stdin: true`); end it to close the helper's stdin. */
  readonly input: Duplex | undefined;
  /** The last stderr text (for error messages). */
  stderr(): string;
  /** Waits until the helper exits; its exit code. */
  exited(): Promise<number>;
  /** Removes the helper (stopping it first if it runs). */
  remove(): Promise<void>;
}

/** Creates, attaches and starts a helper. A leftover of the same name (a killed earlier run) goes first. */
export async function startHelper(spec: ContainerSpec, opts: HelperOptions = {}): Promise<Helper> {
  if (opts.signal?.aborted) throw new UserError('interrupted');
  await removeContainer(spec.name, 1);
  const container = await createContainer({ ...spec, service: HELPER_SERVICE, restart: 'no', openStdin: opts.stdin === true });
  const stream = (await container.attach({
    stream: true,
    stdin: opts.stdin === true,
    stdout: true,
    stderr: true,
    hijack: opts.stdin === true,
  })) as unknown as Duplex;
  const demux = new DockerDemux(opts.onStderr);
  stream.on('error', (e) => demux.destroy(e));
  stream.pipe(demux);
  const kill = () => void container.kill().catch(() => undefined);
  opts.signal?.addEventListener('abort', kill, { once: true });
  await container.start();
  return {
    name: spec.name,
    output: demux,
    input: opts.stdin ? stream : undefined,
    stderr: () => demux.stderr,
    exited: async () => ((await container.wait()) as { StatusCode: number }).StatusCode,
    remove: async () => {
      opts.signal?.removeEventListener('abort', kill);
      await removeContainer(spec.name, 2);
    },
  };
}

export interface HelperRun {
  readonly code: number;
  readonly stderr: string;
  /** stdout, when no `stdout` sink was given. */
  readonly stdout: string;
}

/**
 * Runs a helper to completion: `stdin` (a stream) is fed to it, its stdout goes to the `stdout`
 * sink (e.g. compression, a checksum tap and a file; a pipeline, so a slow disk slows the helper)
 * or is collected. The helper is removed in every case.
 */
export async function runHelper(
  spec: ContainerSpec,
  io: Omit<HelperOptions, 'stdin'> & { readonly input?: Readable; readonly sink?: ReadonlyArray<NodeJS.WritableStream | NodeJS.ReadWriteStream> } = {},
): Promise<HelperRun> {
  const helper = await startHelper(spec, { ...io, stdin: io.input !== undefined });
  try {
    let collected = '';
    const out = io.sink?.length
      ? pipeline([helper.output, ...io.sink])
      : (async () => {
          for await (const chunk of helper.output) collected += (chunk as Buffer).toString('utf8');
        })();
    // The helper may exit before it read all its input (it failed): then its exit code and
    // stderr say why, not the broken pipe.
    let feedError: Error | undefined;
    const feed = io.input
      ? pipeline(io.input, helper.input!).catch((e: Error) => {
          feedError = e;
        })
      : undefined;
    const [code] = await Promise.all([helper.exited(), out, feed]);
    if (feedError && code === 0) throw feedError;
    return { code, stderr: helper.stderr(), stdout: collected };
  } finally {
    await helper.remove();
  }
}
