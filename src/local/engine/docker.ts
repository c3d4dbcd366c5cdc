// The Docker Engine client, and the one place its errors become messages a user can act on.
import Docker from 'dockerode';
import { UserError } from '../../util/errors.ts';

let client: Docker | undefined;

export function docker(): Docker {
  client ??= new Docker();
  return client;
}

/** Fails with a clear message when no Docker engine answers. */
export async function requireDocker(): Promise<Docker> {
  const d = docker();
  try {
    await d.ping();
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
