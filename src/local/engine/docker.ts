// The Docker Engine client, and the one place its errors become messages a user can act on.
import Docker from 'dockerode';
import { UserError } from '../../util/errors.ts';

let client: Docker | undefined;

export function docker(): Docker {
  client ??= new Docker();
  return client;
}

/** Errors of a connection the engine dropped, not of an engine that is absent: worth asking again. */
const TRANSIENT = new Set(['EPIPE', 'ECONNRESET', 'ETIMEDOUT']);

/**
 * Pings the engine, asking again (up to 3 times, 1 s then 2 s apart) when the connection was
 * dropped rather than refused: a busy engine that closes a socket is not a missing one. An
 * absent socket or a refused connection fails at once.
 */
export async function pingDocker(client: Docker = docker(), pauseMs = 1000): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.ping();
      return;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (attempt >= 3 || !code || !TRANSIENT.has(code)) throw e;
      await new Promise((r) => setTimeout(r, pauseMs * attempt));
    }
  }
}

/** Fails with a clear message when no Docker engine answers. */
export async function requireDocker(): Promise<Docker> {
  const d = docker();
  try {
    await pingDocker(d);
  } catch (e) {
    const where = process.env.DOCKER_HOST ?? '/var/run/docker.sock';
    throw new UserError(
      `no Docker engine answers at ${where} (${(e as Error).message}). Start Docker (e.g. "dockerd &" or "systemctl start docker"), or point DOCKER_HOST at a running engine; nothing was created.`,
    );
  }
  return d;
}

export function isNotFound(e: unknown): boolean {
  return (e as { statusCode?: number })?.statusCode === 404;
}

export async function imageExists(tag: string): Promise<boolean> {
  try {
    await docker().getImage(tag).inspect();
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

/** Follows a build or pull stream, passing each step's text on; rejects with the build's error. */
export function followStream(stream: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    docker().modem.followProgress(
      stream,
      (err: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
        const failed = err ?? output.find((o) => o.error);
        if (failed) reject(new Error(err ? err.message : (failed as { error: string }).error));
        else resolve();
      },
      (event: { stream?: string; status?: string; error?: string }) => {
        const text = (event.stream ?? event.status ?? '').trimEnd();
        if (text) for (const line of text.split('\n')) onLine(line);
      },
    );
  });
}
