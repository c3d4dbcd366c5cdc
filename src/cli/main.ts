// The moodle-ha CLI: finds the command, parses its flags strictly (with suggestions for typos),
// runs it, and is the one place errors are printed: a user error prints its message and exits 2,
// anything else is a bug and prints its stack (exit 1).
import { parseArgs } from 'node:util';
import { isUserError, UserError } from '../util/errors.ts';
import { GLOBAL_OPTIONS, type Command } from './command.ts';
import { COMMANDS } from './commands/index.ts';
import { closest } from '../util/suggest.ts';

export async function main(argv: readonly string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (e) {
    return report(e);
  }
}

async function dispatch(argv: readonly string[]): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-'));
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(overview());
    return 0;
  }
  const command = findCommand(words);
  const rest = argv.slice(argv.indexOf(command.name.split(' ').at(-1)!) + 1);
  const options = { ...GLOBAL_OPTIONS, ...(command.options ?? {}) };
  let parsed;
  try {
    parsed = parseArgs({ args: [...rest], options, allowPositionals: true, strict: true });
  } catch (e) {
    const msg = (e as Error).message;
    const flag = /option '([^']+)'/.exec(msg)?.[1]?.replace(/^-+/, '');
    const hint = flag ? closest(flag, Object.keys(options)) : undefined;
    throw new UserError(`${msg.split('\n')[0]}${hint ? ` (did you mean --${hint}?)` : ''}; see "moodle-ha ${command.name} --help"`);
  }
  if (parsed.values.help) {
    process.stdout.write(helpFor(command));
    return 0;
  }
  const max = command.maxPositionals ?? 0;
  if (parsed.positionals.length > max) {
    throw new UserError(`"moodle-ha ${command.name}" takes ${max === 0 ? 'no' : `at most ${max}`} argument${max === 1 ? '' : 's'}, got: ${parsed.positionals.join(' ')}; see --help`);
  }
  const code = await command.run({
    values: parsed.values,
    positionals: parsed.positionals,
    specFile: parsed.values.spec as string | undefined,
    cwd: process.cwd(),
  });
  return typeof code === 'number' ? code : 0;
}

function findCommand(words: readonly string[]): Command {
  const two = words.slice(0, 2).join(' ');
  const found = COMMANDS.find((c) => c.name === two) ?? COMMANDS.find((c) => c.name === words[0]);
  if (found) return found;
  const groups = COMMANDS.filter((c) => c.name.startsWith(`${words[0]} `));
  if (groups.length) {
    throw new UserError(`"moodle-ha ${words[0]}" needs a subcommand: ${groups.map((c) => c.name.split(' ')[1]).join(', ')}`);
  }
  const hint = closest(words[0] ?? '', COMMANDS.map((c) => c.name.split(' ')[0]!));
  throw new UserError(`unknown command "${words[0]}"${hint ? ` (did you mean "${hint}"?)` : ''}; run "moodle-ha --help" for the list`);
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `moodle-ha: Moodle, highly available, on AWS or on one machine.\n\nUsage: moodle-ha <command> [flags]\n\nCommands:\n${lines.join('\n')}\n\nGlobal flags:\n  -f, --spec FILE  cluster spec (default: ./moodle-ha.yaml if present, else defaults)\n  -h, --help       help for a command\n`;
}

function helpFor(c: Command): string {
  const flags = Object.entries(c.options ?? {}).map(([k, o]) => `  ${o.short ? `-${o.short}, ` : '    '}--${k}${o.type === 'string' ? ' VALUE' : ''}`);
  return `Usage: moodle-ha ${c.name}${c.usage ? ` ${c.usage}` : ''}\n\n${c.summary}\n${c.help ? `\n${c.help}\n` : ''}${flags.length ? `\nFlags:\n${flags.join('\n')}\n` : ''}`;
}

function report(e: unknown): number {
  if (isUserError(e)) {
    process.stderr.write(`error: ${e.message}\n${e.details.map((d) => `  - ${d}\n`).join('')}`);
    return 2;
  }
  process.stderr.write(`moodle-ha hit a bug; please report it with this output:\n${(e as Error)?.stack ?? String(e)}\n`);
  return 1;
}
