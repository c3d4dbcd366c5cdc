// The moodle-ha command line as a commander program built from the catalog (commands/index.ts):
// the global flags (--spec, --help) are accepted before and after the command; a command's
// definition (flags, help) is imported only once the command is chosen, its run function only to
// run it. Every parse error becomes a UserError that says what to type instead.
import { Command as Program, type CommanderError, type HelpConfiguration, Option } from 'commander';
import { UserError } from '../util/errors.ts';
import { closest } from '../util/suggest.ts';
import type { CommandDefinition, CommandEntry, Flags, Values } from './command.ts';
import type { Io } from './output.ts';

interface Catalog {
  readonly commands: readonly CommandEntry[];
  /** Summary of each group of two-word commands ("moodle" of "moodle import"). */
  readonly groups: Readonly<Record<string, string>>;
}

/** Flags every command accepts, before or after its name. */
const GLOBAL_FLAGS: Flags = {
  spec: { short: 'f', value: 'FILE', description: 'the cluster spec (default: ./moodle-ha.yaml if there is one, else the built-in defaults)' },
};

const DESCRIPTION =
  'Moodle, highly available, on AWS or on one machine.\n\n' +
  'Run "moodle-ha <command> --help" (or "moodle-ha help <command>") for what a command does and its options. ' +
  'The global options go before or after the command.';

/** Parses argv, runs the chosen command and returns its exit code; help shown is a CommanderError with exit code 0. */
export async function runProgram(argv: readonly string[], catalog: Catalog, io: Io): Promise<number> {
  let code = 0;
  const entries = new Map<Program, CommandEntry>();
  const definitions = new Map<Program, CommandDefinition>();

  const program = new Program('moodle-ha')
    .description(DESCRIPTION)
    .usage('[options] <command>')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: () => {}, // errors are thrown as UserErrors and printed by main's handler
      getOutHelpWidth: () => (io.stdout.isTTY ? (io.stdout.columns ?? 80) : 80),
      getErrHelpWidth: () => (io.stderr.isTTY ? (io.stderr.columns ?? 80) : 80),
    })
    .configureHelp(HELP)
    .helpOption('-h, --help', 'show this help')
    .helpCommand(false)
    .showSuggestionAfterError(false)
    .allowExcessArguments(true);
  addFlags(program, GLOBAL_FLAGS);
  failAsUserError(program);

  /** Imports the chosen command's definition and declares its flags, before commander parses them. */
  const define = async (_parent: Program, sub: Program) => {
    const entry = entries.get(sub);
    if (!entry || definitions.has(sub)) return;
    const d = await entry.define();
    definitions.set(sub, d);
    addFlags(sub, d.flags ?? {});
    sub.usage(['[options]', d.args].filter(Boolean).join(' '));
    sub.description(d.help ? `${entry.summary}.\n\n${d.help}` : `${entry.summary}.`);
  };
  program.hook('preSubcommand', define);

  for (const entry of catalog.commands) {
    const words = entry.name.split(' ');
    let parent = program;
    for (const word of words.slice(0, -1)) {
      parent = parent.commands.find((c) => c.name() === word) ?? addGroup(parent, word, catalog.groups[word], define);
    }
    const leaf = parent.command(words.at(-1)!).summary(entry.summary).description(entry.summary);
    failAsUserError(leaf);
    entries.set(leaf, entry);
    leaf.action(async (_options: unknown, cmd: Program) => {
      const d = definitions.get(cmd)!;
      const max = d.maxPositionals ?? 0;
      if (cmd.args.length > max) {
        throw new UserError(
          `"moodle-ha ${entry.name}" takes ${max === 0 ? 'no' : `at most ${max}`} argument${max === 1 ? '' : 's'}, got: ${cmd.args.join(' ')}; see "moodle-ha ${entry.name} --help"`,
        );
      }
      const specFile = program.opts<{ spec?: string }>().spec;
      const values: Values = specFile === undefined ? {} : { spec: specFile };
      for (const o of cmd.options) {
        const v = cmd.getOptionValue(o.attributeName()) as Values[string];
        if (v !== undefined && o.long) values[o.long.slice(2)] = v;
      }
      const command = await d.load();
      const r = await command.run({ values, positionals: [...cmd.args], specFile, cwd: process.cwd() });
      code = typeof r === 'number' ? r : 0;
    });
  }

  // No command: the overview. "help X": X's help. Anything else is not a command.
  program.action(async (_options: unknown, cmd: Program) => {
    const [word, ...rest] = cmd.args;
    if (word === undefined) {
      program.outputHelp();
      return;
    }
    if (word === 'help') {
      code = await runProgram([...rest, '--help'], catalog, io);
      return;
    }
    throw new UserError(`unknown command "${word}"${suggestCommand(word, catalog.commands)}; run "moodle-ha --help" for the list`);
  });

  await program.parseAsync([...argv], { from: 'user' });
  return code;
}

/** A group such as "moodle": lists its commands, says which one is missing or mistyped. */
function addGroup(parent: Program, word: string, summary: string | undefined, define: (parent: Program, sub: Program) => Promise<void>): Program {
  const group = parent.command(word);
  failAsUserError(group);
  group.hook('preSubcommand', define);
  group.action((_options: unknown, cmd: Program) => {
    const subs = cmd.commands.map((c) => c.name());
    const [sub] = cmd.args;
    if (sub === undefined) throw new UserError(`"moodle-ha ${word}" needs a command: ${subs.join(', ')}; see "moodle-ha ${word} --help"`);
    const hint = closest(sub, subs);
    throw new UserError(`unknown command "${word} ${sub}"${hint ? ` (did you mean "${word} ${hint}"?)` : ''}; its commands: ${subs.join(', ')}`);
  });
  group.summary(summary ?? `the ${word} commands`).description(summary ?? `the ${word} commands`);
  return group;
}

function addFlags(cmd: Program, flags: Flags): void {
  for (const [name, f] of Object.entries(flags)) {
    cmd.addOption(new Option(`${f.short ? `-${f.short}, ` : ''}--${name}${f.value ? ` <${f.value}>` : ''}`, f.description));
  }
}

/** "did you mean" for a mistyped command: a top-level one, or the command of a group typed alone ("list" → "moodle list"). */
function suggestCommand(word: string, commands: readonly CommandEntry[]): string {
  // What each candidate word suggests: itself for a first word ("moodle"), the full name for a group's command.
  const byWord = new Map<string, string>();
  for (const { name } of commands) {
    const [first = name, last = first] = name.split(' ');
    byWord.set(first, first);
    if (!byWord.has(last)) byWord.set(last, name);
  }
  const hint = closest(word, [...byWord.keys()]);
  return hint ? ` (did you mean "${byWord.get(hint)}"?)` : '';
}

/** commander's own parse errors (unknown flag, flag without its value) as UserErrors in our words; help shown passes through. */
function failAsUserError(cmd: Program): void {
  cmd.exitOverride((e: CommanderError) => {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') throw e;
    const see = `see "${[...ancestorsOf(cmd).reverse(), cmd].map((c) => c.name()).join(' ')} --help"`;
    const quoted = /'([^']+)'/.exec(e.message)?.[1];
    if (e.code === 'commander.unknownOption' && quoted) {
      const names = [cmd, ...ancestorsOf(cmd)].flatMap((c) => c.options.map((o) => o.long?.slice(2) ?? '')).concat('help');
      const hint = quoted.startsWith('--') ? closest(quoted.replace(/^--/, '').split('=')[0]!, names) : undefined;
      throw new UserError(`unknown option ${quoted}${hint ? ` (did you mean --${hint}?)` : ''}; ${see}`);
    }
    if (e.code === 'commander.optionMissingArgument' && quoted) {
      const [, long, value] = /(--\S+) <([^>]+)>/.exec(quoted) ?? [];
      throw new UserError(`${long ?? quoted} needs a value${value ? ` (${value})` : ''}; ${see}`);
    }
    throw new UserError(
      `${e.message
        .replace(/^error: /, '')
        .split('\n')
        .join(' ')}; ${see}`,
    );
  });
}

/** The command's parent, its parent's parent, … up to the program. */
function ancestorsOf(cmd: Program): Program[] {
  const out: Program[] = [];
  for (let c = cmd.parent; c; c = c.parent) out.push(c);
  return out;
}

/**
 * Help: the global options under each command's own; the commands of a group listed by the
 * words that select them ("moodle import"), so the overview lists every command as it is typed.
 */
const HELP: HelpConfiguration = {
  showGlobalOptions: true,
  visibleCommands: (cmd) => cmd.commands.flatMap((c) => (c.commands.length ? c.commands : [c])),
  subcommandTerm: (cmd) => [...ancestorsOf(cmd).reverse().slice(1), cmd].map((c) => c.name()).join(' '),
};
