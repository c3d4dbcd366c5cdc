// The loopback guard, the bounds, the flags, and whole runs against a fake site on 127.0.0.1.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseLoadFlags } from '../../../src/cli/commands/load.ts';
import type { LoadFixture } from '../../../src/ops/load/fixture.ts';
import { formatTable, progressLine } from '../../../src/ops/load/report.ts';
import { checkBounds, isLoopbackHost, LIMITS, loadTarget, runLoad, type LiveProgress, type LoadOptions } from '../../../src/ops/load/run.ts';
import { STEPS } from '../../../src/ops/load/stats.ts';
import { validateSpec } from '../../../src/spec/read.ts';
import { UserError } from '../../../src/util/errors.ts';
import { FILE_BYTES, startFakeSite, type FakeSite } from './fake-site.ts';

const ok: LoadOptions = { users: 10, durationSeconds: 60, rampSeconds: 10, thinkSeconds: 1 };

describe('loopback guard', () => {
  test('only localhost, 127.0.0.0/8 and ::1', () => {
    for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '127.255.255.255', '[::1]', '::1']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of [
      '10.0.0.1',
      '192.168.1.2',
      '0.0.0.0',
      '128.0.0.1',
      '127.0.0.256',
      '127.0.0',
      'localhost.example.com',
      'example.com',
      '[::]',
      '[::ffff:127.0.0.1]',
      '127.0.0.1.nip.io',
      '',
    ]) {
      assert.equal(isLoopbackHost(h), false, h);
    }
  });
  test("the target is the spec's site URL, connected on the load balancer's loopback port", () => {
    const t = loadTarget(validateSpec({ ports: { http: 29080, stats: 29404 } }));
    assert.deepEqual(t, { baseUrl: 'http://localhost:29080', connectHost: '127.0.0.1', connectPort: 29080, hostHeader: 'localhost:29080' });
    const any = loadTarget(validateSpec({ ports: { http: 8081, bind: '0.0.0.0' }, site: { url: 'http://127.0.0.5:8081/' } }));
    assert.equal(any.connectHost, '127.0.0.1');
    assert.equal(any.baseUrl, 'http://127.0.0.5:8081');
    assert.equal(loadTarget(validateSpec({ ports: { bind: '::1' }, site: { url: 'http://[::1]:8080' } })).connectHost, '::1');
  });
  test('a site that is not loopback is refused, whatever the ports', () => {
    for (const site of [
      { url: 'https://moodle.example.edu' },
      { url: 'http://moodle.example.edu:8080' },
      { url: 'http://10.1.2.3:8080' },
      { url: 'https://localhost:8443' },
    ]) {
      assert.throws(
        () => loadTarget(validateSpec({ site })),
        (e: unknown) => e instanceof UserError && /refusing/.test(e.message),
        site.url,
      );
    }
  });
  test('a load balancer bound to a non-loopback address is refused', () => {
    assert.throws(() => loadTarget(validateSpec({ ports: { bind: '192.168.1.10' } })), /ports\.bind/);
  });
  test('runLoad itself refuses a non-loopback target', async () => {
    await assert.rejects(
      runLoad({
        target: { baseUrl: 'http://example.com', connectHost: '93.184.216.34', connectPort: 80, hostHeader: 'example.com' },
        fixture: fakeFixture(),
        password: 'pw',
        options: { ...ok, users: 1, durationSeconds: 1, rampSeconds: 0 },
      }),
      /not a loopback target/,
    );
  });
});

describe('bounds', () => {
  test('sane options pass', () => {
    assert.deepEqual(checkBounds(ok), []);
    assert.deepEqual(
      checkBounds({ users: LIMITS.maxUsers, durationSeconds: LIMITS.maxDurationSeconds, rampSeconds: 0, thinkSeconds: 0, maxRequests: LIMITS.maxRequests }),
      [],
    );
  });
  test('users, duration, ramp, think time and requests are capped', () => {
    const p = (o: Partial<LoadOptions>) => checkBounds({ ...ok, ...o });
    assert.match(p({ users: 0 })[0]!, /users/);
    assert.match(p({ users: 201 })[0]!, /users.*200/);
    assert.match(p({ users: 2.5 })[0]!, /whole number/);
    assert.match(p({ durationSeconds: 31 * 60 })[0]!, /duration.*30m/);
    assert.match(p({ durationSeconds: 0 })[0]!, /duration/);
    assert.match(p({ rampSeconds: 60 })[0]!, /shorter than the duration/);
    assert.match(p({ thinkSeconds: 61 })[0]!, /think/);
    assert.match(p({ maxRequests: LIMITS.maxRequests + 1 })[0]!, /max requests/);
    assert.equal(p({ users: 0, durationSeconds: 0 }).length, 2, 'every problem is reported');
  });
});

describe('flags', () => {
  test('defaults: 10 users, 60 s, ramp 10 s, think 1 s', () => {
    assert.deepEqual(parseLoadFlags({}), { users: 10, durationSeconds: 60, rampSeconds: 10, thinkSeconds: 1 });
  });
  test('durations are typed; a short run gets a quarter of it as ramp', () => {
    assert.deepEqual(parseLoadFlags({ users: '4', duration: '20s', think: '500ms' }), { users: 4, durationSeconds: 20, rampSeconds: 5, thinkSeconds: 0.5 });
    assert.deepEqual(parseLoadFlags({ duration: '2m', ramp: '30s' }), { users: 10, durationSeconds: 120, rampSeconds: 30, thinkSeconds: 1 });
  });
  test('bad values and out-of-bounds values are user errors listing each problem', () => {
    assert.throws(
      () => parseLoadFlags({ users: 'ten', duration: '60' }),
      (e: unknown) => e instanceof UserError && e.details.length === 2,
    );
    assert.throws(
      () => parseLoadFlags({ users: '500' }),
      (e: unknown) => e instanceof UserError && /200/.test(e.details.join()),
    );
    assert.throws(
      () => parseLoadFlags({ duration: '1h' }),
      (e: unknown) => e instanceof UserError && /30m/.test(e.details.join()),
    );
  });
});

function fakeFixture(users = 5): LoadFixture {
  return {
    cluster: 'fake',
    course: { id: 2, shortname: 'moodleha-load-S', size: 'S' },
    forum: { id: 1, cmid: 64 },
    discussions: [
      { id: 1, firstPostId: 1 },
      { id: 2, firstPostId: 3 },
    ],
    file: { path: '/pluginfile.php/73/mod_resource/content/0/smallfile0.dat', bytes: FILE_BYTES },
    usernames: Array.from({ length: users }, (_, i) => `tool_generator_${String(i + 1).padStart(6, '0')}`),
    created: false,
    preparedAt: new Date(0).toISOString(),
  };
}

describe('runs against a fake site', () => {
  let site: FakeSite;
  before(async () => {
    site = await startFakeSite('pw');
  });
  after(() => site.close());
  const target = () => ({ baseUrl: site.base, connectHost: '127.0.0.1', connectPort: site.port, hostHeader: `localhost:${site.port}` });

  test('every step works, replies are acknowledged and shown, the timeline covers the run', async () => {
    const seen: LiveProgress[] = [];
    const r = await runLoad({
      target: target(),
      fixture: fakeFixture(),
      password: 'pw',
      options: { users: 3, durationSeconds: 2, rampSeconds: 0.3, thinkSeconds: 0.02 },
      onProgress: (p) => seen.push(p),
      progressEveryMs: 500,
    });
    for (const s of r.steps) {
      assert.ok(s.ok > 0, `${s.step}: no success`);
      assert.equal(s.failed, 0, `${s.step}: ${JSON.stringify(r.failures.slice(0, 3))}`);
      assert.ok(s.p50Ms !== null && s.p99Ms! >= s.p50Ms);
    }
    assert.deepEqual(
      r.steps.map((s) => s.step),
      STEPS.map((s) => s.name),
    );
    assert.equal(r.totals.failed, 0);
    assert.equal(r.totals.lostSessions, 0);
    assert.equal(r.stoppedBy, 'duration');
    assert.equal(r.posts.acknowledged, r.steps.find((s) => s.step === 'reply')!.ok);
    assert.deepEqual(
      r.posts.ids,
      [...site.posts.keys()].sort((a, b) => a - b),
      'every acknowledged id was stored, and only those',
    );
    assert.ok([...site.posts.values()].every((p) => /mhload-[0-9a-f]{6}-vu\d-r\d+/.test(p.message)));
    assert.ok(r.timeline.length >= 2 && r.timeline.length <= 4, `timeline of ${r.timeline.length} s`);
    assert.equal(
      r.timeline.reduce((n, p) => n + p.requests, 0),
      r.requests,
    );
    assert.equal(
      r.timeline.reduce((n, p) => n + p.ok, 0),
      r.totals.ok,
    );
    assert.ok(seen.length >= 2 && seen.some((p) => p.activeUsers === 3));
    assert.equal(r.requests, site.requests.count);
    // The pages (logintoken, logged-in checks) and the file (its size) are read decoded: the steps above passed.
    assert.ok(site.requests.bodies > 0);
    assert.equal(site.requests.gzipped, site.requests.bodies, 'the load asks for gzip with every request, as browsers do');
    assert.equal(r.schema, 'moodle-ha.load/1');
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(r)));
    const table = formatTable(r);
    for (const s of STEPS) assert.match(table, new RegExp(`^${s.name} +${s.method} +\\d+ +0 +[\\d.]+ +[\\d.]+ +[\\d.]+$`, 'm'));
    assert.match(table, /lost sessions: 0/);
    assert.equal(r.totals.slow, 0);
    assert.match(table, /steps ok \d+, failed 0 \(idempotent GET 0, non-idempotent POST 0; 0 of them slow: the page came after more than 5 s\)/);
    assert.match(progressLine(seen[0]!, 3), /^\[ +\d+s\] users \d\/3 {2}ok \d+ {2}failed 0/);
  });

  test('the request budget stops the run', async () => {
    const before = site.requests.count;
    const r = await runLoad({
      target: target(),
      fixture: fakeFixture(),
      password: 'pw',
      options: { users: 2, durationSeconds: 30, rampSeconds: 0, thinkSeconds: 0, maxRequests: 25 },
    });
    assert.equal(r.stoppedBy, 'max-requests');
    assert.equal(r.requests, 25);
    assert.equal(site.requests.count - before, 25);
    assert.ok(r.elapsedSeconds < 10);
  });

  test('a lost session is counted, then the user logs in again', async () => {
    const run = runLoad({
      target: target(),
      fixture: fakeFixture(),
      password: 'pw',
      options: { users: 2, durationSeconds: 2.5, rampSeconds: 0, thinkSeconds: 0.05 },
    });
    setTimeout(() => site.dropSessions(), 1000);
    const r = await run;
    assert.ok(r.totals.lostSessions >= 1, 'no lost session counted');
    const kinds = r.steps.flatMap((s) => Object.keys(s.failures));
    assert.deepEqual([...new Set(kinds)], ['lost-session']);
    assert.ok(r.steps.find((s) => s.step === 'login')!.ok >= 3, 'the users did not log in again');
  });

  test('a broken page fails its step as http, the others go on; POST failures are non-idempotent', async () => {
    site.breakPath('/mod/forum/post.php', 502);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 1200);
    const r = await runLoad({
      target: target(),
      fixture: fakeFixture(),
      password: 'pw',
      options: { users: 2, durationSeconds: 20, rampSeconds: 0, thinkSeconds: 0.02 },
      signal: ac.signal,
    });
    site.breakPath('/mod/forum/post.php', undefined);
    assert.equal(r.stoppedBy, 'signal');
    assert.ok(r.elapsedSeconds < 5);
    const form = r.steps.find((s) => s.step === 'reply-form')!;
    assert.ok(form.failed > 0 && form.ok === 0);
    assert.deepEqual(form.failures, { http: form.failed });
    assert.ok(r.steps.find((s) => s.step === 'download')!.ok > 0);
    assert.equal(r.totals.failedIdempotent, r.totals.failed);
    assert.equal(r.posts.acknowledged, 0);
  });

  test("Moodle's maintenance page is a failure of its own kind; a plain 503 is still http", async () => {
    const run = async () => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 800);
      return runLoad({
        target: target(),
        fixture: fakeFixture(),
        password: 'pw',
        options: { users: 2, durationSeconds: 20, rampSeconds: 0, thinkSeconds: 0.02 },
        signal: ac.signal,
      });
    };
    site.maintenance(true);
    const during = await run().finally(() => site.maintenance(false));
    const kinds = new Set(during.steps.flatMap((s) => Object.keys(s.failures)));
    assert.deepEqual([...kinds], ['maintenance']);
    assert.ok(during.totals.maintenance > 0);
    assert.equal(during.totals.maintenance, during.totals.failed, 'every failed step met the maintenance page');
    assert.match(during.failures[0]!.detail, /Moodle's maintenance page \(HTTP 503, Retry-After 30\)/);

    site.breakPath('/', 503);
    const plain = await run().finally(() => site.breakPath('/', undefined));
    assert.ok(plain.totals.failed > 0);
    assert.equal(plain.totals.maintenance, 0, 'a 503 without Retry-After and the maintenance text is not the maintenance page');
    assert.deepEqual([...new Set(plain.steps.flatMap((s) => Object.keys(s.failures)))], ['http']);
  });

  test('a wrong password is a failed login, not a lost session', async () => {
    const r = await runLoad({
      target: target(),
      fixture: fakeFixture(),
      password: 'wrong',
      options: { users: 1, durationSeconds: 1, rampSeconds: 0, thinkSeconds: 0.2 },
    });
    const login = r.steps.find((s) => s.step === 'login')!;
    assert.ok(login.failed >= 1 && login.ok === 0);
    assert.equal(r.totals.lostSessions, 0);
    assert.match(r.failures[0]!.detail, /refused: Invalid login/);
    assert.equal(r.totals.failedNonIdempotent, login.failed);
  });

  test('more users than the course has are refused before anything is sent', async () => {
    const before = site.requests.count;
    await assert.rejects(
      runLoad({ target: target(), fixture: fakeFixture(2), password: 'pw', options: { users: 3, durationSeconds: 1, rampSeconds: 0, thinkSeconds: 0 } }),
      /3 users asked for/,
    );
    assert.equal(site.requests.count, before);
  });
});
