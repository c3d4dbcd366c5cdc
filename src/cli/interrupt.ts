// Ctrl-C (or SIGTERM) for a command that must clean up: the first one aborts the work's signal
// (the work stops, removes what it half-made, and says what state it left); a second one quits at
// once. For a command whose steps are each safe to run again (up), Ctrl-C quits at once, as Node
// would (by the signal), but first says what state it left and what to run next. An interrupted
// command that cleans up exits 130, the shell's code for an interrupt.
import { isUserError } from '../util/errors.ts';

export async function interruptible(notice: string, work: (signal: AbortSignal) => Promise<number | void>): Promise<number | void> {
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write(`${notice} (press Ctrl-C again to quit at once, leaving things as they are)\n`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(abort.signal);
  } catch (e) {
    if (!abort.signal.aborted) throw e;
    const details = isUserError(e) ? e.details.map((d) => `  - ${d}\n`).join('') : '';
    process.stderr.write(`error: ${(e as Error).message}\n${details}`);
    return 130;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * Runs `work`; Ctrl-C or SIGTERM meanwhile prints `said` (the state it leaves, what to run next),
 * then the process dies by that signal at once, as it would without this (a shell says 130 or 143).
 */
export async function sayOnInterrupt<T>(said: string, work: () => Promise<T>): Promise<T> {
  const detach = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\ninterrupted: ${said}\n`);
    detach();
    process.kill(process.pid, signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work();
  } finally {
    detach();
  }
}
