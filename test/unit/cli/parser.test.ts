// The command line parser (src/cli/program.ts) through main(argv): global flags before and after
// the command, suggestions for typos, groups, positional counts, exit codes, and what is loaded when.
// Commands of a test catalog record what they were given; the real catalog is used where its
// behaviour is the point (and no Docker or AWS is reached).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CommandContext, CommandDefinition, CommandEntry } from '../../../src/cli/command.ts';
import { UserError } from '../../../src/util/errors.ts';
import { cli } from './run-cli.ts';

/** A test catalog: "echo" records its context; "grp sub" is a two-word command; the rest fail or exit as named. */
function catalog() {
  const seen: { ctx?: CommandContext; defined: string[]; loaded: string[] } = { defined: [], loaded: [] };
  const entry = (name: string, d: Omit<CommandDefinition, 'load'>, run: (ctx: CommandContext) => Promise<number | void>): CommandEntry => ({
    name,
    summary: `the ${name} command`,
    define: async () => {
      seen.defined.push(name);
      return {
        ...d,
        load: async () => {
          seen.loaded.push(name);
          return { run };
        },
      };
    },
  });
  const record = async (ctx: CommandContext) => {
    seen.ctx = ctx;
  };
  const commands = [
    entry(
      'echo',
      {
        args: '[WORD]',
        maxPositionals: 1,
        help: 'Records what it was given.',
        flags: { 'fault-at': { value: 'DURATION', description: 'when the fault comes' }, yes: { short: 'y', description: 'do not ask' } },
      },
      record,
    ),
    entry('grp sub', { flags: { force: { description: 'replace it' } } }, record),
    entry('grp other', {}, record),
    entry('exit-three', {}, async () => 3),
    entry('user-error', {}, async () => {
      throw new UserError('the spec names no such thing', ['first problem', 'second problem']);
    }),
    entry('bug', {}, async () => {
      throw new TypeError('cannot read properties of undefined');
    }),
  ];
  return { commands, seen };
}

describe('global flags go before or after the command', () => {
  for (const argv of [
    ['-f', 'site.yaml', 'echo', 'hi'],
    ['echo', '-f', 'site.yaml', 'hi'],
    ['echo', 'hi', '--spec', 'site.yaml'],
    ['--spec=site.yaml', 'echo', 'hi'],
    ['echo', '-y', '--spec', 'site.yaml', 'hi'],
  ]) {
    test(argv.join(' '), async () => {
      const { commands, seen } = catalog();
      const r = await cli(argv, commands);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(seen.ctx?.specFile, 'site.yaml');
      assert.deepEqual(seen.ctx?.positionals, ['hi']);
    });
  }
  test("a group's command too: -f site.yaml grp sub --force", async () => {
    const { commands, seen } = catalog();
    const r = await cli(['-f', 'site.yaml', 'grp', 'sub', '--force'], commands);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(seen.ctx?.specFile, 'site.yaml');
    assert.equal(seen.ctx?.values.force, true);
  });
  test('the real CLI: -f before status reaches the spec loader, not the command lookup', async () => {
    for (const argv of [
      ['-f', '/nonexistent/site.yaml', 'status'],
      ['status', '-f', '/nonexistent/site.yaml'],
    ]) {
      const r = await cli(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.stderr, /^error: spec file \/nonexistent\/site\.yaml does not exist: check the --spec path/, argv.join(' '));
    }
  });
});

describe('flag values reach the command by their long names', () => {
  test('values as typed, with the dash kept; flags not given are absent', async () => {
    const { commands, seen } = catalog();
    const r = await cli(['echo', '--fault-at', '20s', '-y'], commands);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(seen.ctx?.values, { 'fault-at': '20s', yes: true });
    assert.equal(seen.ctx?.specFile, undefined);
    assert.equal(seen.ctx?.cwd, process.cwd());
  });
  test('--flag=value and the global --spec among the values', async () => {
    const { commands, seen } = catalog();
    await cli(['echo', '--fault-at=5s', '-f', 'x.yaml'], commands);
    assert.deepEqual(seen.ctx?.values, { 'fault-at': '5s', spec: 'x.yaml' });
  });
});

describe('typos get a suggestion, exit 2 and a pointer to --help', () => {
  test('an unknown command', async () => {
    const r = await cli(['stauts']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'error: unknown command "stauts" (did you mean "status"?); run "moodle-ha --help" for the list\n');
    assert.equal(r.stdout, '');
  });
  test("a group's command typed alone", async () => {
    const r = await cli(['lst']);
    assert.match(r.stderr, /unknown command "lst" \(did you mean "moodle list"\?\)/);
  });
  test('nothing close: no suggestion', async () => {
    const r = await cli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'error: unknown command "frobnicate"; run "moodle-ha --help" for the list\n');
  });
  test('an unknown flag of the command', async () => {
    const r = await cli(['down', '--volume']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'error: unknown option --volume (did you mean --volumes?); see "moodle-ha down --help"\n');
  });
  test('a mistyped global flag after the command', async () => {
    const r = await cli(['status', '--spc', 'x.yaml']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: unknown option --spc \(did you mean --spec\?\); see "moodle-ha status --help"/);
  });
  test('an unknown flag before any command', async () => {
    const r = await cli(['--verbose', 'status']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'error: unknown option --verbose; see "moodle-ha --help"\n');
  });
  test('a flag without its value', async () => {
    const r = await cli(['logs', 'web', '--tail']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'error: --tail needs a value (N); see "moodle-ha logs --help"\n');
  });
  test('the command is not run', async () => {
    const { commands, seen } = catalog();
    await cli(['echo', '--yse'], commands);
    assert.deepEqual(seen.loaded, []);
  });
});

describe('groups of commands', () => {
  test('a group alone names its commands', async () => {
    const r = await cli(['moodle']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'error: "moodle-ha moodle" needs a command: import, download, list; see "moodle-ha moodle --help"\n');
  });
  test('a mistyped command of a group', async () => {
    const r = await cli(['moodle', 'improt', 'dir']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: unknown command "moodle improt" \(did you mean "moodle import"\?\)/);
  });
  test('--help of a group lists its commands by their full names', async () => {
    const r = await cli(['moodle', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^ {2}moodle import +Put a local Moodle tree into the cache/m);
    assert.match(r.stdout, /^ {2}moodle list +List the Moodle trees in the cache/m);
  });
});

describe('positional arguments', () => {
  test('too many: says how many the command takes', async () => {
    let r = await cli(['scale', '3', '4']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'error: "moodle-ha scale" takes at most 1 argument, got: 3 4; see "moodle-ha scale --help"\n');
    r = await cli(['status', 'web']);
    assert.equal(r.stderr, 'error: "moodle-ha status" takes no arguments, got: web; see "moodle-ha status --help"\n');
  });
  test('up to the maximum reach the command', async () => {
    const { commands, seen } = catalog();
    assert.equal((await cli(['echo'], commands)).code, 0);
    assert.deepEqual(seen.ctx?.positionals, []);
  });
});

describe('exit codes and the one error handler', () => {
  test("the command's own code", async () => {
    assert.equal((await cli(['exit-three'], catalog().commands)).code, 3);
  });
  test('a user error: "error:" and its details, exit 2, no stack', async () => {
    const r = await cli(['user-error'], catalog().commands);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'error: the spec names no such thing\n  - first problem\n  - second problem\n');
  });
  test('anything else is a bug: its stack, exit 1', async () => {
    const r = await cli(['bug'], catalog().commands);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^moodle-ha hit a bug; please report it with this output:\nTypeError: cannot read properties of undefined\n {4}at /);
  });
  test('help: exit 0, on stdout', async () => {
    for (const argv of [[], ['--help'], ['-h'], ['status', '--help'], ['help', 'status'], ['moodle', 'import', '-h']]) {
      const r = await cli(argv);
      assert.equal(r.code, 0, argv.join(' '));
      assert.match(r.stdout, /^Usage: moodle-ha/, argv.join(' '));
      assert.equal(r.stderr, '', argv.join(' '));
    }
  });
});

describe('help', () => {
  test('the overview lists every command with its summary, and the global flag', async () => {
    const { COMMANDS } = await import('../../../src/cli/commands/index.ts');
    const r = await cli(['--help']);
    for (const c of COMMANDS) assert.ok(r.stdout.includes(`  ${c.name} `) && r.stdout.includes(c.summary), c.name);
    assert.match(r.stdout, /^ {2}-f, --spec <FILE> +the cluster spec/m);
  });
  test('"help X" is "X --help"', async () => {
    assert.equal((await cli(['help', 'scale'])).stdout, (await cli(['scale', '--help'])).stdout);
    assert.equal((await cli(['help', 'moodle', 'import'])).stdout, (await cli(['moodle', 'import', '--help'])).stdout);
  });
  test("a command's help: usage with its arguments, summary, help, each flag with its description, the global flags", async () => {
    const { commands } = catalog();
    const r = await cli(['echo', '--help'], commands);
    assert.match(r.stdout, /^Usage: moodle-ha echo \[options\] \[WORD\]\n\nthe echo command\.\n\nRecords what it was given\.\n/);
    assert.match(r.stdout, /^ {2}--fault-at <DURATION> +when the fault comes$/m);
    assert.match(r.stdout, /^ {2}-y, --yes +do not ask$/m);
    assert.match(r.stdout, /^Global Options:\n {2}-f, --spec <FILE> +the cluster spec/m);
  });
});

describe('what is loaded when', () => {
  test("the overview defines no command; a command's help defines it and loads nothing", async () => {
    const { commands, seen } = catalog();
    await cli(['--help'], commands);
    assert.deepEqual(seen, { defined: [], loaded: [] });
    await cli(['echo', '--help'], commands);
    assert.deepEqual(seen, { defined: ['echo'], loaded: [] });
  });
  test('running a command defines and loads it alone', async () => {
    const { commands, seen } = catalog();
    await cli(['grp', 'sub'], commands);
    assert.deepEqual(seen.defined, ['grp sub']);
    assert.deepEqual(seen.loaded, ['grp sub']);
  });
});
