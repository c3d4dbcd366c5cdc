// Where the CLI's own output (help, errors) goes, and what happens when its reader goes away.
import process from 'node:process';

interface Output {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface Io {
  readonly stdout: Output;
  readonly stderr: Output;
}

/** Exit code of a process stopped by a closed pipe: 128 + SIGPIPE, what the shell shows for `yes | head -1`. */
const CLOSED_PIPE_EXIT = 141;

/**
 * A reader that closes early (`moodle-ha logs web | head -1`) ends the process quietly with
 * CLOSED_PIPE_EXIT: Node ignores SIGPIPE, so without this the next write fails with EPIPE and the
 * process dies printing a stack trace.
 */
export function exitQuietlyOnClosedPipe(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const s of streams) {
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(CLOSED_PIPE_EXIT);
      throw e;
    });
  }
}
