// Runs the moodle-ha CLI as a user would (a child process), with output captured.
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'moodle-ha.js');

export interface CliRun {
  /** The exit code; -1 when a signal ended it (then `signal` names it). */
  readonly code: number;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Whether `interrupt` sent its SIGINT (its pattern showed up before the command ended). */
  readonly interrupted: boolean;
}

export interface CliOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
  readonly echo?: boolean;
  /** Called with all of stderr so far each time more arrives: a test acts on a line while the command runs. */
  readonly onStderr?: (stderr: string) => void;
  /** Ctrl-C as a person would: SIGINT once stderr matches `when`, `afterMs` later (once). */
  readonly interrupt?: { readonly when: RegExp; readonly afterMs?: number };
}

export function cli(args: readonly string[], opts: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (b: Buffer) => {
      stdout += b;
      if (opts.echo) process.stderr.write(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b;
      if (opts.echo) process.stderr.write(b);
      opts.onStderr?.(stderr);
      if (opts.interrupt && !interrupted && opts.interrupt.when.test(stderr)) {
        interrupted = true;
        setTimeout(() => child.kill('SIGINT'), opts.interrupt.afterMs ?? 0);
      }
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`moodle-ha ${args.join(' ')} did not finish in ${(opts.timeoutMs ?? 600_000) / 1000} s\n${stderr.slice(-3000)}`));
    }, opts.timeoutMs ?? 600_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, signal, stdout, stderr, interrupted });
    });
  });
}

export { join };
