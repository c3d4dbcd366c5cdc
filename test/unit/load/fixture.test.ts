// The load generator's test data through the runtime, with a fake Moodle behind `exec`: which node
// runs the PHP, when Moodle's generator is run (and at which size), the users' password, the state
// file, and the post check in chunks.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { beforeEach, describe, test } from 'node:test';
import { fixtureStateFile, prepareFixture, verifyPosts, type LoadFixture } from '../../../src/ops/load/fixture.ts';
import type { ExecResult } from '../../../src/runtime/cluster.ts';
import { fakeRuntime } from '../../support/fake-runtime.ts';
import { tempDir } from '../../support/temp.ts';

const json = (v: unknown): ExecResult => ({ code: 0, output: `Moodle says hello\n@@JSON@@${JSON.stringify(v)}@@END@@\n` });
/** The input the fixture gave its PHP (base64 JSON in the code). */
const inputOf = (code: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(/base64_decode\('([^']*)'\)/.exec(code)![1]!, 'base64').toString()) as Record<string, unknown>;

const DISCOVERED = {
  course: { id: 7 },
  forum: { id: 3, cmid: 41 },
  discussions: [{ id: 11, firstPostId: 101 }],
  file: { contextid: 55, filepath: '/', filename: 'notes 1.pdf', filesize: 4096, revision: 2 },
  usernames: ['tool_generator_000001', 'tool_generator_000002'],
  passwordsReset: 0,
};

/** A Moodle with (or without) the test course and a generator password; records what ran. */
function fakeMoodle(o: { course: boolean; password: string }) {
  let course = o.course;
  let password = o.password;
  const ran: string[] = [];
  const exec = (member: string, argv: readonly string[]): ExecResult => {
    const [, script, ...args] = argv;
    if (script?.endsWith('/admin/cli/cfg.php')) {
      const set = args.find((a) => a.startsWith('--set='));
      if (set) password = set.slice('--set='.length);
      ran.push(`${member} cfg${set ? ' set' : ''}`);
      return { code: 0, output: set ? '' : password };
    }
    if (script?.endsWith('/maketestcourse.php')) {
      ran.push(`${member} maketestcourse ${args.filter((a) => a.startsWith('--size') || a.startsWith('--shortname')).join(' ')}`);
      course = true;
      return { code: 0, output: '' };
    }
    if (script === '-r') {
      const code = argv[2]!;
      const input = inputOf(code);
      if (code.includes("'forum_posts', 'id'")) {
        const ids = input.ids as number[];
        ran.push(`${member} verify ${ids.length}`);
        return json(ids.filter((id) => id % 2 === 0)); // even ids exist
      }
      ran.push(`${member} discover ${String(input.shortname)}`);
      return json(course ? DISCOVERED : { course: null });
    }
    throw new Error(`unexpected exec ${argv.join(' ')}`);
  };
  return { exec, ran };
}

describe('load fixture through the runtime', () => {
  beforeEach(() => {
    process.env.MOODLE_HA_STATE = tempDir('fixture-');
  });

  test('an existing course is found in the first web node, not made again, and kept in the state file', async () => {
    const moodle = fakeMoodle({ course: true, password: 'generator-pw' });
    const runtime = fakeRuntime({ webNodes: 2, exec: moodle.exec });
    const { fixture, password } = await prepareFixture(runtime, { users: 10 });
    assert.equal(password, 'generator-pw');
    assert.deepEqual(moodle.ran, ['fake-web-1 cfg', 'fake-web-1 discover moodleha-load-S']);
    assert.equal(fixture.created, false);
    assert.equal(fixture.cluster, 'fake');
    assert.deepEqual(fixture.course, { id: 7, shortname: 'moodleha-load-S', size: 'S' });
    assert.equal(fixture.file.path, '/pluginfile.php/55/mod_resource/content/2/notes%201.pdf');
    const saved = JSON.parse(readFileSync(fixtureStateFile('fake'), 'utf8')) as LoadFixture;
    assert.deepEqual(saved.usernames, DISCOVERED.usernames);
  });

  test("a missing course is made with Moodle's generator at the size the users need, then found", async () => {
    const moodle = fakeMoodle({ course: false, password: 'generator-pw' });
    const lines: string[] = [];
    const { fixture } = await prepareFixture(fakeRuntime({ exec: moodle.exec }), { users: 150, log: (l) => lines.push(l) });
    assert.deepEqual(moodle.ran, [
      'fake-web-1 cfg',
      'fake-web-1 discover moodleha-load-M',
      'fake-web-1 maketestcourse --shortname=moodleha-load-M --size=M',
      'fake-web-1 discover moodleha-load-M',
    ]);
    assert.equal(fixture.created, true);
    assert.match(lines[0]!, /creating the test course moodleha-load-M \(size M, 1000 users\) with admin\/tool\/generator in fake-web-1/);
  });

  test('without a generator password one is generated and set in Moodle', async () => {
    const moodle = fakeMoodle({ course: true, password: '' });
    const { password } = await prepareFixture(fakeRuntime({ exec: moodle.exec }), { users: 10 });
    assert.match(password, /^[A-Za-z0-9_-]{32}$/);
    assert.deepEqual(moodle.ran.slice(0, 2), ['fake-web-1 cfg', 'fake-web-1 cfg set']);
  });

  test('a cluster with no running web node is refused, saying how to start it', async () => {
    const runtime = fakeRuntime({ webNodes: 0 });
    await assert.rejects(prepareFixture(runtime, { users: 10 }), /cluster "fake" has no running web node; start it with "moodle-ha up"/);
    assert.equal(existsSync(fixtureStateFile('fake')), false);
  });

  test('posts are checked in chunks of 1000 distinct ids, and the missing ones named', async () => {
    const moodle = fakeMoodle({ course: true, password: 'pw' });
    const runtime = fakeRuntime({ exec: moodle.exec });
    const ids = [...Array.from({ length: 2500 }, (_, i) => i + 1), 2, 4];
    const check = await verifyPosts(runtime, ids);
    assert.deepEqual(moodle.ran, ['fake-web-1 verify 1000', 'fake-web-1 verify 1000', 'fake-web-1 verify 500']);
    assert.equal(check.checked, 2500);
    assert.equal(check.found, 1250);
    assert.deepEqual(check.missing.slice(0, 3), [1, 3, 5]);
    assert.deepEqual(await verifyPosts(runtime, []), { checked: 0, found: 0, missing: [] });
    assert.equal(moodle.ran.length, 3, 'no PHP run for no ids');
  });
});
