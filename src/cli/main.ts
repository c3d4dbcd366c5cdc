// The moodle-ha CLI: parses the command line (program.ts), runs the chosen command, and is the one
// place errors are printed: a user error (a UserError, or a command line that cannot be parsed)
// prints "error: …" and exits 2; anything else is a bug and prints its stack (exit 1).
import process from 'node:process';
import { CommanderError } from 'commander';
import { isUserError } from '../util/errors.ts';
import { COMMANDS, GROUPS } from './commands/index.ts';
import type { CommandEntry } from './command.ts';
import { exitQuietlyOnClosedPipe, type Io } from './output.ts';
import { runProgram } from './program.ts';

interface MainOptions {
  /** Where help and errors go. @default process.stdout and process.stderr, which then exit quietly when their reader closes */
  readonly io?: Io;
  /** The commands. @default every command of moodle-ha (commands/index.ts) */
  readonly commands?: readonly CommandEntry[];
}

/** Runs the command line and returns the exit code. */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const io = options.io ?? process;
  if (!options.io) exitQuietlyOnClosedPipe();
  try {
    return await runProgram(argv, { commands: options.commands ?? COMMANDS, groups: GROUPS }, io);
  } catch (e) {
    return report(e, io);
  }
}

function report(e: unknown, io: Io): number {
  if (e instanceof CommanderError && (e.code === 'commander.helpDisplayed' || e.code === 'commander.help')) return e.exitCode;
  if (isUserError(e)) {
    io.stderr.write(`error: ${e.message}\n${e.details.map((d) => `  - ${d}\n`).join('')}`);
    return 2;
  }
  io.stderr.write(`moodle-ha hit a bug; please report it with this output:\n${(e as Error)?.stack ?? String(e)}\n`);
  return 1;
}
