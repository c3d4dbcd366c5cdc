// `moodle-ha load` against the dev cluster dev.test.ts brought up with the CLI: generator data, a
// short run, posts in the database.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { localRuntime } from '../../../src/local/runtime.ts';
import { fixtureStateFile, verifyPosts, type LoadFixture } from '../../../src/ops/load/fixture.ts';
import type { LoadResult } from '../../../src/ops/load/run.ts';
import { STEPS } from '../../../src/ops/load/stats.ts';
import { readSpec } from '../../../src/spec/read.ts';
import { cli, type CliRun } from '../../support/cli.ts';
import { dir, HTTP, MAIL, NAME, STATS, specFile } from './cluster.ts';

const jsonFile = join(dir, 'load.json');
const USERS = 4;
const SECONDS = 20;

/** The load command's tests, registered in the caller's describe (dev.test.ts). */
export function loadSuite(): void {
  let run: CliRun;
  let result: LoadResult;

  test("load --prepare makes the course with Moodle's generator once, then reuses it", async () => {
    const first = await cli(['load', '--prepare', '--spec', specFile], { timeoutMs: 600_000 });
    assert.equal(first.code, 0, first.stderr.slice(-3000));
    assert.match(first.stdout, /\(made now\)/);
    assert.match(first.stderr, /admin\/tool\/generator/);
    const fixture = JSON.parse(readFileSync(fixtureStateFile(NAME), 'utf8')) as LoadFixture;
    assert.equal(fixture.course.shortname, 'moodleha-load-S');
    assert.equal(fixture.usernames.length, 100);
    assert.equal(fixture.usernames[0], 'tool_generator_000001');
    assert.ok(fixture.discussions.length >= 1 && fixture.discussions.every((d) => d.firstPostId > 0));
    assert.match(fixture.file.path, /^\/pluginfile\.php\/\d+\/mod_resource\/content\/\d+\/.+/);
    const again = await cli(['load', '--prepare', '--spec', specFile], { timeoutMs: 120_000 });
    assert.equal(again.code, 0, again.stderr.slice(-3000));
    assert.match(again.stdout, /\(already there\)/);
    assert.equal((JSON.parse(readFileSync(fixtureStateFile(NAME), 'utf8')) as LoadFixture).course.id, fixture.course.id);
  });

  test(`a ${SECONDS} s run of ${USERS} users finishes and writes its JSON`, async () => {
    run = await cli(['load', '--users', String(USERS), '--duration', `${SECONDS}s`, '--ramp', '4s', '--json', jsonFile, '--spec', specFile], {
      timeoutMs: 300_000,
      echo: true,
    });
    assert.ok(existsSync(jsonFile), `no JSON written; stderr:\n${run.stderr.slice(-3000)}`);
    result = JSON.parse(readFileSync(jsonFile, 'utf8')) as LoadResult;
    assert.match(run.stdout, /^step +method +ok +failed +p50 ms +p95 ms +p99 ms$/m);
    assert.match(run.stdout, /lost sessions: \d+/);
    assert.match(run.stdout, /forum posts acknowledged: \d+/);
    assert.ok((run.stderr.match(/^\[ +\d+s\] users \d\/4/gm) ?? []).length >= 3, 'a live line every 5 s');
  });

  test('every step of the journey succeeded at least once', () => {
    for (const s of result.steps)
      assert.ok(s.ok > 0, `${s.step}: 0 ok (${JSON.stringify(s.failures)}); first failures: ${JSON.stringify(result.failures.slice(0, 3))}`);
  });

  test('a healthy cluster gives no failure and no lost session (exit 0)', () => {
    assert.equal(result.totals.failed, 0, `failures: ${JSON.stringify(result.failures.slice(0, 5))}`);
    assert.equal(result.totals.lostSessions, 0);
    assert.equal(run.code, 0);
  });

  test('replies were acknowledged, and every acknowledged post is in the database', async () => {
    assert.ok(result.posts.acknowledged > 0, 'no post acknowledged');
    assert.equal(result.posts.ids.length, result.posts.acknowledged);
    const runtime = localRuntime(readSpec({ file: specFile }));
    const check = await verifyPosts(runtime, result.posts.ids);
    assert.deepEqual(check, { checked: result.posts.ids.length, found: result.posts.ids.length, missing: [] });
    const absent = await verifyPosts(runtime, [2_000_000_000]);
    assert.deepEqual(absent.missing, [2_000_000_000], 'the check must be able to say "missing"');
  });

  test('the JSON has the documented shape', () => {
    assert.equal(result.schema, 'moodle-ha.load/1');
    assert.equal(result.cluster, NAME);
    assert.equal(result.target, `http://localhost:${HTTP}`);
    assert.deepEqual(result.options, { users: USERS, durationSeconds: SECONDS, rampSeconds: 4, thinkSeconds: 1, maxRequests: 300_000 });
    assert.equal(result.stoppedBy, 'duration');
    assert.ok(result.elapsedSeconds >= SECONDS && result.elapsedSeconds < SECONDS + 35);
    assert.ok(!Number.isNaN(Date.parse(result.startedAt)) && !Number.isNaN(Date.parse(result.finishedAt)));
    assert.deepEqual(
      result.steps.map((s) => [s.step, s.method]),
      STEPS.map((s) => [s.name, s.method]),
    );
    for (const s of result.steps) assert.deepEqual(Object.keys(s).sort(), ['failed', 'failures', 'maxMs', 'method', 'ok', 'p50Ms', 'p95Ms', 'p99Ms', 'step']);
    assert.deepEqual(Object.keys(result.totals).sort(), ['failed', 'failedIdempotent', 'failedNonIdempotent', 'lostSessions', 'maintenance', 'ok', 'slow']);
    assert.ok(result.timeline.length >= SECONDS && result.timeline.length <= SECONDS + 35);
    for (const [i, p] of result.timeline.entries()) assert.deepEqual(Object.keys(p), ['second', 'ok', 'failed', 'requests'], `timeline[${i}]`);
    assert.equal(
      result.timeline.reduce((n, p) => n + p.requests, 0),
      result.requests,
    );
    assert.equal(
      result.timeline.reduce((n, p) => n + p.ok + p.failed, 0),
      result.totals.ok + result.totals.failed,
    );
    assert.ok(Array.isArray(result.failures));
  });

  test('a target that is not loopback, or a run out of bounds, is refused before anything is sent', async () => {
    const remote = join(dir, 'remote.yaml');
    writeFileSync(remote, `name: ${NAME}\nsite:\n  url: http://moodle.example.edu\nports:\n  http: ${HTTP}\n  stats: ${STATS}\n  mail: ${MAIL}\n`);
    const r = await cli(['load', '--users', '1', '--duration', '5s', '--spec', remote]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /refusing http:\/\/moodle\.example\.edu: only loopback targets/);
    const big = await cli(['load', '--users', '201', '--duration', '31m', '--spec', specFile]);
    assert.equal(big.code, 2);
    assert.match(big.stderr, /users must be a whole number from 1 to 200/);
    assert.match(big.stderr, /duration must be from 1s to 30m/);
  });
}
