// The real commands: each is defined, described flag by flag in its --help, and has a run function;
// every name, flag and short alias users type today still works.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COMMANDS } from '../../../src/cli/commands/index.ts';
import { cli } from './run-cli.ts';

const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('every command', () => {
  for (const entry of COMMANDS) {
    test(`${entry.name}: --help lists each flag with its description`, async () => {
      const d = await entry.define();
      const r = await cli([...entry.name.split(' '), '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        new RegExp(`^Usage: moodle-ha ${literal(entry.name)} \\[options\\]${d.args ? ` ${literal(d.args)}` : ''}\n\n${literal(entry.summary)}`),
      );
      for (const [name, flag] of Object.entries(d.flags ?? {})) {
        assert.ok(flag.description.length > 10, `--${name} has a description`);
        const term = `${flag.short ? `-${flag.short}, ` : ''}--${name}${flag.value ? ` <${flag.value}>` : ''}`;
        assert.match(r.stdout, new RegExp(`^ {2}${literal(term)} +${literal(flag.description)}$`, 'm'), `--${name}`);
      }
      assert.match(r.stdout, /^ {2}-f, --spec <FILE> +the cluster spec/m);
    });
  }
  test('each has a run function (this loads every command, the CDK too)', async () => {
    for (const entry of COMMANDS) assert.equal(typeof (await (await entry.define()).load()).run, 'function', entry.name);
  });
});

describe('the names, flags and short aliases of the command line stay as they were', () => {
  const FLAGS: Record<string, string> = {
    up: '-p --profile --autoscale -d --detach --webhook',
    down: '--volumes',
    status: '--json',
    scale: '',
    autoscale: '--interval --duration --webhook',
    logs: '-F --follow -n --tail',
    migrate: '--json --reinstall -y --yes',
    load: '--users --duration --ramp --think --json --prepare',
    drill: '-p --profile --users --duration --fault-at --out',
    backup: '-o --out',
    restore: '-y --yes',
    build: '',
    'base-image': '',
    'moodle import': '--force',
    'moodle download': '--force',
    'moodle list': '',
    synth: '--image-dir --image-tag -o --out',
    diff: '--image-dir --image-tag',
    deploy: '--image-dir --image-tag --bootstrap -y --yes',
    destroy: '--image-dir --image-tag --delete-data -y --yes',
    'aws restore': '--to --at --domain --image-dir -y --yes',
  };
  test('the same commands, in the same order', () => {
    assert.deepEqual(
      COMMANDS.map((c) => c.name),
      Object.keys(FLAGS),
    );
  });
  for (const [name, flags] of Object.entries(FLAGS)) {
    test(name, async () => {
      const d = await COMMANDS.find((c) => c.name === name)!.define();
      const declared = Object.entries(d.flags ?? {}).flatMap(([long, f]) => [...(f.short ? [`-${f.short}`] : []), `--${long}`]);
      assert.deepEqual(declared.sort(), flags.split(' ').filter(Boolean).sort());
    });
  }
  test('positionals as before', async () => {
    const max = Object.fromEntries(await Promise.all(COMMANDS.map(async (c) => [c.name, (await c.define()).maxPositionals ?? 0] as const)));
    assert.deepEqual(
      Object.entries(max)
        .filter(([, n]) => n > 0)
        .map(([c]) => c),
      ['scale', 'logs', 'migrate', 'drill', 'restore', 'moodle import', 'moodle download'],
    );
  });
});
