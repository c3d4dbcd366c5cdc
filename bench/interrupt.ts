// How a benchmark that brought up its own clusters ends early. Ctrl-C (or SIGTERM): say so, stop
// the work in progress, tear down, exit 130 (the shell's code for an interrupt). A failure: say why.
import { isUserError } from '../src/util/errors.ts';

export function onInterrupt(log: (s: string) => void, message: string, abort: AbortController, tearDown: () => Promise<void>): void {
  const handler = () => {
    log(message);
    abort.abort();
    void tearDown().finally(() => process.exit(130));
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, handler);
}

/**
 * Says why benchmark `name` failed: "interrupted", a user error (a cluster that does not come up,
 * test data that cannot be made) in one message, anything else (a bug) with its stack. Returns
 * the exit code: 130 when interrupted, else 1.
 */
export function reportFailure(name: string, e: unknown, abort: AbortController): number {
  const why = abort.signal.aborted ? 'interrupted' : isUserError(e) ? [e.message, ...e.details].join('\n  ') : ((e as Error).stack ?? String(e));
  process.stderr.write(`bench ${name} failed: ${why}\n`);
  return abort.signal.aborted ? 130 : 1;
}
