// The session-lock janitor of the runtime image (images/runtime/.../session-janitor.php) against a
// real Redis: a web node releases the locks its earlier run left; the watcher removes the locks
// made before a primary change (here: Redis restarted, AOF kept) and the old locks of holders that
// no longer answer, and leaves alone fresh locks, live holders' locks and session data; a janitor
// held up across the change still judges by when it first missed the old primary.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { RUNTIME_IMAGE } from '../../src/contract/image.ts';
import { SERVICE_UIDS } from '../../src/image/service-images.ts';
import { probeImage, serviceImage, sleep, TestSession, type StartedContainer } from '../support/containers.ts';
import { IMAGE_TIMEOUTS } from '../../src/contract/timeouts.ts';

const session = new TestSession();
const PASSWORD = randomBytes(18).toString('base64url');
const LOCK_EXPIRE_S = IMAGE_TIMEOUTS.sessionLockExpire; // MH_SESSION_LOCK_EXPIRE_S in session.php (a unit test checks they agree)
const PREFIX = 'mdl_sess_';
let redis: StartedContainer;
let web: StartedContainer;
let janitor: StartedContainer;
let webHost: string;
let image: string;
let network: string;

const runtimeEnv = {
  MOODLE_WWWROOT: 'http://probe.test',
  MOODLE_DB_HOST: 'no-db',
  MOODLE_REDIS_HOST: 'redis',
  MOODLE_REDIS_PASSWORD_FILE: `${RUNTIME_IMAGE.secretsDir}/redis-password`,
};
const runtimeSecret = { dir: RUNTIME_IMAGE.secretsDir, files: [{ path: 'redis-password', content: `${PASSWORD}\n`, mode: 0o400, uid: RUNTIME_IMAGE.uid }] };

async function cli(...args: string[]): Promise<string> {
  const r = await redis.exec(['env', `REDISCLI_AUTH=${PASSWORD}`, 'redis-cli', ...args]);
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stdout.trim();
}

const INDEX = `${PREFIX}moodleha_locks`; // mh_session_lock_index() in session.php

/**
 * A session lock made `ageS` seconds ago, written as our session handler writes it: phpredis with
 * the igbinary serializer (so the stored value carries igbinary's header) and the key prefix,
 * through the kept connection that records the lock's key in the locks' index (`indexed`), or by
 * plain phpredis, as another handler would (not in the index).
 */
async function lock(sid: string, holder: string, ageS: number, indexed = true): Promise<string> {
  const key = `${PREFIX}session_${sid}.lock`;
  const php = `require '/opt/moodle-ha/php/kept-redis.php'; require '/opt/moodle-ha/php/session.php';
    $r = ${indexed ? 'new moodleha\\redis\\kept()' : 'new Redis()'}; $r->connect('redis', 6379); $r->auth(trim(file_get_contents(getenv('MOODLE_REDIS_PASSWORD_FILE'))));
    $r->setOption(Redis::OPT_SERIALIZER, Redis::SERIALIZER_IGBINARY); $r->setOption(Redis::OPT_PREFIX, '${PREFIX}');
    ${indexed ? `$r->nxindex = mh_session_lock_index('${PREFIX}');` : ''}
    $set = $r->set('session_${sid}.lock', '[pid 4242] ${holder}:/course/view.php?id=2', ['nx', 'px' => ${(LOCK_EXPIRE_S - ageS) * 1000}]);
    echo json_encode([$set, $r->rawCommand('ZSCORE', '${INDEX}', '${key}') !== false]);`;
  const r = await web.exec(['php', '-r', php]);
  // In the index or not as it was just after the SET, on the same connection: a dead holder's lock
  // may be gone by the time another client asks (the janitor sweeps every second).
  assert.deepEqual(
    JSON.parse(r.stdout || 'null'),
    [true, indexed],
    `${indexed ? 'the lock must be in the index' : 'the lock must not be in the index'}: ${r.stdout} ${r.stderr}`,
  );
  return key;
}

/** The raw value starts with igbinary's header, as Moodle's handler stores it. */
async function assertSerialized(key: string): Promise<void> {
  assert.match(await cli('--no-raw', 'get', key), /^"\\x00\\x00\\x00\\x02/, 'stored serialized, as Moodle stores it');
}
const exists = async (key: string) => (await cli('exists', key)) === '1';

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (await probe()) return Date.now() - t0;
    await sleep(250);
  }
  throw new Error(`${what}: not after ${timeoutMs} ms; janitor log:\n${JSON.stringify(await janitor.logs())}`);
}

before(
  async () => {
    const [redisImage, probe] = await Promise.all([serviceImage('redis'), probeImage()]);
    image = probe;
    network = await session.network();
    redis = await session.start({
      image: redisImage,
      role: 'redis',
      network,
      aliases: ['redis'],
      env: { REDIS_PASSWORD_FILE: '/run/secrets/redis-password' },
      files: [{ dir: '/run/secrets', files: [{ path: 'redis-password', content: `${PASSWORD}\n`, mode: 0o400, uid: SERVICE_UIDS.redis }] }],
    });
    await redis.waitForHealthy(60_000);
    web = await session.start({ image: probe, role: 'web', network, env: runtimeEnv, files: [runtimeSecret] });
    await web.waitForLog(/serving on :8080/, 60_000);
    webHost = (await web.exec(['hostname'])).stdout.trim();
  },
  { timeout: 15 * 60_000 },
);

after(() => session.cleanup(), { timeout: 120_000 });

describe('session lock janitor', () => {
  test('a web node at start released its own left-over locks (it logged it), and only those', async () => {
    const text = await web.waitForLog(/session-janitor\]: released \d+ session lock/, 10_000);
    assert.match(text, /released 0 session lock\(s\) left by an earlier run of /, 'nothing was there at the first start');
    // Checked here, before the watcher runs (it may remove a lock as soon as it is written).
    const own = await lock('own1', webHost, 30);
    await assertSerialized(own);
    const ownUnindexed = await lock('own2', webHost, 30, false);
    const other = await lock('other1', 'some-other-node', 30);
    await assertSerialized(other);
    const r = await web.exec(['php', '/opt/moodle-ha/php/session-janitor.php', 'release-host']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /released 2 session lock/);
    assert.match(
      r.stderr,
      new RegExp(`found 1 session lock\\(s\\) not in the locks' index by scanning the keyspace \\(${ownUnindexed.replace('.', '\\.')}\\)`),
    );
    assert.equal(await exists(own), false, "the node's own left-over lock is gone");
    assert.equal(await exists(ownUnindexed), false, "the node's own left-over lock that the index did not name is gone too");
    assert.equal(await cli('zscore', INDEX, own), '', 'and out of the index');
    assert.equal(await exists(other), true, "another node's lock is kept");
    await cli('del', other);
    await cli('zrem', INDEX, other);
  });

  test('the watcher removes locks made before a primary change, and keeps session data and later locks', async () => {
    const data = `${PREFIX}session_keep1`;
    await cli('hset', data, 'userid', '2', 'sessdata', 'x');
    const before = await lock('fo1', webHost, 1);
    janitor = await session.start({
      image,
      role: 'janitor',
      network,
      env: runtimeEnv,
      files: [runtimeSecret],
      cmd: ['php', '/opt/moodle-ha/php/session-janitor.php', 'watch'],
    });
    await janitor.waitForLog(/watching redis:6379/, 20_000);
    await sleep(2_500); // it has seen the primary
    assert.equal(await exists(before), true, "a live holder's young lock is left alone while nothing changed");
    await redis.container.restart({ t: 5 });
    await redis.waitForHealthy(60_000);
    const ms = await waitUntil('the lock made before the change is removed', async () => !(await exists(before)), 15_000);
    // "removed 1": the lock survived the restart (append-only file), as a replicated one survives
    // a failover, and the janitor found and removed it.
    const log = (await janitor.logs()).stderr;
    assert.match(log, /the Redis primary changed \(\S+ -> \S+\); removed 1 session lock\(s\) made before the change/);
    const later = await lock('fo2', webHost, 0);
    await sleep(3_000);
    assert.equal(await exists(later), true, 'a lock made after the change is kept');
    assert.equal(await cli('hget', data, 'userid'), '2', 'session data is never touched');
    console.log(`janitor: stale lock gone ${(ms / 1000).toFixed(1)} s after Redis was healthy again`);
    await cli('del', later);
  });

  test('the watcher removes old locks of holders that no longer answer, and keeps the rest', async () => {
    const dead = await lock('dead1', `gone-${session.id}`, 12);
    // Made to look 3 s younger than new (a longer TTL than Moodle's), so it stays under the janitor's
    // 2 s minimum age for the whole test even on a slow machine.
    const deadYoung = await lock('dead2', `gone-${session.id}`, -3);
    const aliveOld = await lock('alive1', webHost, 60);
    const ms = await waitUntil('the old lock of a holder that does not answer is removed', async () => !(await exists(dead)), 12_000);
    assert.equal(await cli('zscore', INDEX, dead), '', 'the removed lock is out of the index too');
    assert.equal(await exists(deadYoung), true, 'a young lock is kept even if its holder does not answer (it may be starting)');
    assert.equal(await exists(aliveOld), true, 'an old lock of a holder that answers is kept (a long request)');
    assert.match((await janitor.logs()).stderr, new RegExp(`removed a 1\\d s old session lock of gone-${session.id}, which no longer answers on :8080`));
    console.log(`janitor: dead holder's lock removed after ${(ms / 1000).toFixed(1)} s`);
    await cli('del', aliveOld);
  });

  test('the sweep reads the index: it takes out keys that are gone once they were tried 10 s ago, and finds a lock of another handler by its scan at start', async () => {
    const now = Math.floor(Date.now() / 1000);
    await cli('zadd', INDEX, String(now - 60), `${PREFIX}session_gone1.lock`, String(now + 30), `${PREFIX}session_soon1.lock`);
    await waitUntil(
      'a key gone from the keyspace and tried 60 s ago is taken out of the index',
      async () => (await cli('zscore', INDEX, `${PREFIX}session_gone1.lock`)) === '',
      5_000,
    );
    assert.notEqual(await cli('zscore', INDEX, `${PREFIX}session_soon1.lock`), '', 'a key tried just now whose SET has not come yet stays in the index');
    await cli('zrem', INDEX, `${PREFIX}session_soon1.lock`);
    // Each sweep is one script on the index; the keyspace is scanned once a minute (at most once
    // here, where a scan is one SCAN call). Scanning at every sweep, as before, is a SCAN per script.
    await cli('config', 'resetstat');
    await sleep(5_000);
    const stats = await cli('info', 'all');
    const calls = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    assert.ok(calls('evalsha') + calls('eval') >= 3, `a sweep a second (at least 3 in 5 s, on a busy machine), each one script: ${stats}`);
    assert.ok(calls('scan') <= 1, `the keyspace is not scanned at each sweep: ${stats}`);
    // Each poll (two INFO and the sweep's script) is one round trip: the server read from its
    // clients at most once a second, plus this INFO's own read and a scan's (three a second before).
    const reads = Number(/total_reads_processed:(\d+)/.exec(stats)?.[1]);
    console.log(
      `janitor: the server read ${reads} times in 5 s idle (${calls('info')} INFO, ${calls('evalsha') + calls('eval')} scripts, ${calls('scan')} SCAN)`,
    );
    assert.ok(calls('info') >= 7, `two INFO a poll: ${calls('info')} in 5 s`);
    assert.ok(reads <= 11, `the server read ${reads} times in 5 s: more than one round trip a poll`);
    // Not in the index, a dead holder's: the watcher's sweeps read the index, and its first sweep
    // scans the keyspace. Started again so this sweep is the first.
    const stray = await lock('stray1', `gone-${session.id}`, 12, false);
    await janitor.container.restart({ t: 5 });
    await waitUntil("the first sweep's scan removes the lock the index did not name", async () => !(await exists(stray)), 15_000);
    assert.match(
      (await janitor.logs()).stderr,
      new RegExp(`found 1 session lock\\(s\\) not in the locks' index by scanning the keyspace \\(${stray.replace('.', '\\.')}\\)`),
    );
  });

  test('a janitor held up across a restart still removes what the old server took after its last look, and keeps what the new one took', async () => {
    await sleep(2_500); // it has seen the current primary
    await janitor.container.pause(); // a late loop, as under CPU starvation or a slow holder sweep
    let late = '';
    let fresh = '';
    try {
      await sleep(1_500); // more than one poll after its last look
      late = await lock('late1', webHost, 0);
      await sleep(1_500);
      await redis.container.restart({ t: 5 }); // AOF keeps the lock, as a replica keeps it across a failover
      await redis.waitForHealthy(60_000);
      await sleep(1_500);
      fresh = await lock('fresh1', webHost, 0);
    } finally {
      await janitor.container.unpause();
    }
    const ms = await waitUntil('the lock the old server took after the last look is removed', async () => !(await exists(late)), 10_000);
    await sleep(2_000);
    assert.equal(await exists(fresh), true, 'a lock the restarted server took while the janitor was held up is kept');
    console.log(`janitor: late lock of the old server gone ${(ms / 1000).toFixed(1)} s after the janitor resumed`);
    await cli('del', fresh);
  });
});
