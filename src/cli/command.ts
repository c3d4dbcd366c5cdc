// What a CLI command is: its name, help text, its own flags, and a run function.
// Global flags (--spec, --help) are declared once here and accepted by every command.
import type { ParseArgsConfig } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | Array<string | boolean> | undefined>;

export interface CommandContext {
  readonly values: Values;
  readonly positionals: readonly string[];
  /** Path given with --spec, if any. */
  readonly specFile: string | undefined;
  readonly cwd: string;
}

export interface Command {
  /** Words that select the command, e.g. "up" or "moodle import". */
  readonly name: string;
  readonly summary: string;
  /** Usage line after "moodle-ha <name>", e.g. "[--volumes]". */
  readonly usage?: string;
  /** Longer help: what it does, what it leaves behind. */
  readonly help?: string;
  readonly options?: Options;
  /** Most positionals accepted. @default 0 */
  readonly maxPositionals?: number;
  run(ctx: CommandContext): Promise<number | void>;
}

export const GLOBAL_OPTIONS: Options = {
  spec: { type: 'string', short: 'f' },
  help: { type: 'boolean', short: 'h' },
};
