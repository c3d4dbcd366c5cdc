// What a CLI command is, in three parts loaded at three moments, so that a run imports only what
// it uses (`--help` and `status` never load the CDK):
// - CommandEntry (commands/index.ts): name and summary, what `moodle-ha --help` lists. Always loaded.
// - CommandDefinition (definitions/*.ts): arguments, flags with their descriptions, longer help.
//   Loaded when the command is chosen, also for its --help.
// - Command (commands/*.ts): the run function. Loaded only to run it.
// The global flags (--spec, --help) are declared once, in program.ts.

export type Values = Record<string, string | boolean | Array<string | boolean> | undefined>;

export interface CommandContext {
  /** Flag values by long name (e.g. "delete-data"), only those given, the global --spec too. */
  readonly values: Values;
  readonly positionals: readonly string[];
  /** Path given with --spec, if any. */
  readonly specFile: string | undefined;
  readonly cwd: string;
}

export interface Command {
  run(ctx: CommandContext): Promise<number | void>;
}

interface Flag {
  /** One letter, e.g. "y" for -y. */
  readonly short?: string;
  /** The flag takes a value, shown as this placeholder (e.g. "DIR"); without it, the flag is a switch. */
  readonly value?: string;
  /** What it does, with its default: one line of `moodle-ha <command> --help`. */
  readonly description: string;
}

export type Flags = Readonly<Record<string, Flag>>;

export interface CommandDefinition {
  /** Positional arguments in the usage line, e.g. "N" or "[VERSION]". */
  readonly args?: string;
  /** Most positionals accepted. @default 0 */
  readonly maxPositionals?: number;
  /** Longer help: what it does, what it leaves behind. Paragraphs separated by blank lines; wrapped to the terminal. */
  readonly help?: string;
  /** The command's own flags, by long name. */
  readonly flags?: Flags;
  load(): Promise<Command>;
}

export interface CommandEntry {
  /** Words that select the command, e.g. "up" or "moodle import". */
  readonly name: string;
  /** One line, shown in `moodle-ha --help`. */
  readonly summary: string;
  define(): Promise<CommandDefinition>;
}
