// The sessions' and caches' kept Redis connections (images/runtime/.../kept-redis.php) and the data roll's
// planned failover for them (src/local/redis-paused-failover.ts), against real Redis servers, a
// real Sentinel and the endpoints' HAProxy: a write paused on the old primary and cut is sent once
// more and lands; a demoted server's READONLY is tried once more, then reported; a stalled server is
// not asked twice; the failover, under a client writing through the endpoint, loses no write and
// fails none, and resumes the writes when it cannot go on.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { RUNTIME_IMAGE } from '../../src/contract/image.ts';
import { SERVICE_UIDS } from '../../src/image/service-images.ts';
import { ENDPOINTS_ADMIN_SOCKET, ENDPOINTS_SECRETS, renderEndpointsConfig } from '../../src/local/endpoints.ts';
import { PLANNED_FAILOVER_SH, pausedMs, plannedFailoverTimes } from '../../src/local/redis-paused-failover.ts';
import { probeImage, serviceImage, sleep, TestSession, type StartedContainer } from '../support/containers.ts';

const session = new TestSession();
const PASSWORD = randomBytes(18).toString('base64url');
const PREFIX = 'kept_';
let r1: StartedContainer;
let r2: StartedContainer;
let r3: StartedContainer;
let ep: StartedContainer;
let web: StartedContainer;

const redisSecret = { dir: '/run/secrets', files: [{ path: 'redis-password', content: `${PASSWORD}\n`, mode: 0o400, uid: SERVICE_UIDS.redis }] };
const endpointFiles = [
  {
    dir: '/etc/haproxy',
    files: [
      {
        path: 'haproxy.cfg',
        content: renderEndpointsConfig({ dbNodes: [], redisNodes: ['r1', 'r2'], cacheNodes: [], redisPassword: PASSWORD }),
        mode: 0o600,
        uid: SERVICE_UIDS.haproxy,
      },
    ],
  },
  { dir: ENDPOINTS_SECRETS, files: [{ path: 'redis-password', content: `${PASSWORD}\n`, mode: 0o400, uid: SERVICE_UIDS.haproxy }] },
];
const runtimeSecret = { dir: RUNTIME_IMAGE.secretsDir, files: [{ path: 'redis-password', content: `${PASSWORD}\n`, mode: 0o400, uid: RUNTIME_IMAGE.uid }] };

async function cli(node: StartedContainer, ...args: string[]): Promise<string> {
  const r = await node.exec(['env', `REDISCLI_AUTH=${PASSWORD}`, 'redis-cli', ...args]);
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stdout.trim();
}

/** The server's reads so far (its round trips: each command or pipeline a client sent), INFO's total_reads_processed. */
async function readsOf(node: StartedContainer): Promise<number> {
  return Number(/total_reads_processed:(\d+)/.exec(await cli(node, 'info', 'stats'))?.[1]);
}

interface Sent {
  readonly result?: unknown;
  readonly error?: string;
  readonly followed: number;
  readonly ms: number;
}

/**
 * One command sent as the session handler sends it: a kept connection (2 s timeouts, AUTH in the
 * connect, a key prefix). With `gated`, it connects, then waits for /tmp/go before the command
 * (gate() opens it). `failoverWait`: the object's failover wait (the image sets 8 s).
 */
async function send(host: string, command: 'set' | 'setnx' | 'get', key: string, value = '', gated = false, failoverWait = 0): Promise<Sent> {
  const php = `require '/opt/moodle-ha/php/kept-redis.php';
    $r = new moodleha\\redis\\kept();
    $r->failoverwait = ${failoverWait};
    $r->pconnect('${host}', 6379, 2, 'test', 0, 2, ['auth' => trim(file_get_contents(getenv('MOODLE_REDIS_PASSWORD_FILE')))]);
    $r->setOption(Redis::OPT_PREFIX, '${PREFIX}');
    $r->ping();
    if (${gated ? 'true' : 'false'}) { touch('/tmp/ready'); while (!file_exists('/tmp/go')) usleep(20000); }
    $t = microtime(true); $out = [];
    try { $out['result'] = ${command === 'get' ? `$r->get('${key}')` : `$r->${command}('${key}', '${value}')`}; }
    catch (RedisException $e) { $out['error'] = $e->getMessage(); }
    $out['ms'] = (int) round(1000 * (microtime(true) - $t)); $out['followed'] = $r->followed;
    echo json_encode($out);`;
  const r = await web.exec(['php', '-r', php], { timeoutMs: 30_000 });
  assert.equal(r.exitCode, 0, r.stderr);
  return JSON.parse(r.stdout) as Sent;
}

/**
 * Waits until a client's write (`command`) is blocked by the pause, so the cut meets a command in
 * flight. Not just any blocked client: the pause also holds the Sentinel's hello PUBLISH, which
 * counted in blocked_clients before the test's own client had connected (CI: the cut came first,
 * the SET ran after the unpause, followed 0).
 */
async function untilBlocked(node: StartedContainer, command = 'set'): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (new RegExp(` flags=b .* cmd=${command} `, 'm').test(await cli(node, 'client', 'list'))) return;
    await sleep(50);
  }
  assert.fail(`no ${command.toUpperCase()} got blocked by the pause`);
}

interface Piped extends Sent {
  /** A GET of a known key right after: the connection's next reply is its own. */
  readonly next: unknown;
  /** 'lock': the record's HMGET after the lock, and how many HMGETs the lock's pipeline answered. */
  readonly record?: unknown;
  readonly hits?: number;
}

/**
 * A pipeline as the session handler sends it (a kept connection, held-back EXPIREs, the locks'
 * index), gated like send(): 'lock' is the lock's SET NX with an EXPIRE and the index's ZADD before
 * it and the record's HMGET after it; 'release' the lock's UNLINK with the index's ZREM. `retries`:
 * phpredis's own reconnect put back (OPT_MAX_RETRIES 10), as on a connection this class did not open.
 */
async function pipelined(what: 'lock' | 'release', retries = false): Promise<{ go: () => Promise<void>; sent: Promise<Piped> }> {
  await web.exec(['rm', '-f', '/tmp/ready', '/tmp/go']);
  const php = `require '/opt/moodle-ha/php/kept-redis.php';
    $r = new moodleha\\redis\\kept();
    $r->pconnect('r1', 6379, 2, 'piped', 0, 2, ['auth' => trim(file_get_contents(getenv('MOODLE_REDIS_PASSWORD_FILE')))]);
    $r->setOption(Redis::OPT_PREFIX, '${PREFIX}');
    if (${retries ? 'true' : 'false'}) $r->setOption(Redis::OPT_MAX_RETRIES, 10);
    $r->deferexpire = true; $r->nxindex = '${PREFIX}locks';
    $r->set('known', 'K'); $r->hset('rec', 'a', 'A');
    touch('/tmp/ready'); while (!file_exists('/tmp/go')) usleep(20000);
    $t = microtime(true); $out = [];
    try {
      if ('${what}' === 'lock') {
        $r->expire('known', 600); $r->nxprefetch = ['rec', ['a', 'b']];
        $out['result'] = $r->set('lk', 'me', ['nx', 'ex' => 30]);
        $out['record'] = $r->hmget('rec', ['a', 'b']); $out['hits'] = $r->prefetchhits;
      }
      else { $r->defer_raw('ZREM', '${PREFIX}locks', '${PREFIX}lk'); $out['result'] = $r->unlink('lk'); }
    } catch (RedisException $e) { $out['error'] = $e->getMessage(); }
    $out['ms'] = (int) round(1000 * (microtime(true) - $t)); $out['followed'] = $r->followed;
    try { $out['next'] = $r->get('known'); } catch (RedisException $e) { $out['next'] = $e->getMessage(); }
    echo json_encode($out);`;
  const sent = web.exec(['php', '-r', php], { timeoutMs: 30_000 }).then((r) => {
    assert.equal(r.exitCode, 0, r.stderr);
    return JSON.parse(r.stdout) as Piped;
  });
  for (let i = 0; i < 200 && (await web.exec(['test', '-f', '/tmp/ready'])).exitCode !== 0; i++) await sleep(50);
  return { sent, go: async () => void (await web.exec(['touch', '/tmp/go'])) };
}

/** A command on the endpoint's admin socket. */
async function admin(command: string): Promise<string> {
  const r = await ep.exec(['sh', '-c', `echo "${command}" | socat stdio ${ENDPOINTS_ADMIN_SOCKET}`]);
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stdout;
}

/** A server's status in the endpoint's redis backend (show stat's CSV). */
function endpointServer(stat: string, server: string): string | undefined {
  return stat
    .split('\n')
    .find((l) => l.startsWith(`redis,${server},`))
    ?.split(',')[17];
}

interface Written {
  readonly acked: number;
  readonly errors: string[];
  readonly followed: number;
  readonly maxMs: number;
}

/**
 * A client writing through the endpoint as the session handler does (a kept connection, the image's
 * 8 s failover wait): SET w<i> every 10 ms until /tmp/stop, counting what was acknowledged. Resolves
 * once it has written; `done` gives the figures.
 */
async function writer(): Promise<{ done: Promise<Written> }> {
  await web.exec(['rm', '-f', '/tmp/writing', '/tmp/stop']);
  const php = `require '/opt/moodle-ha/php/kept-redis.php';
    $r = new moodleha\\redis\\kept();
    $r->failoverwait = 8;
    $r->pconnect('ep', 6379, 2, 'writer', 0, 2, ['auth' => trim(file_get_contents(getenv('MOODLE_REDIS_PASSWORD_FILE')))]);
    $r->setOption(Redis::OPT_PREFIX, '${PREFIX}');
    $out = ['acked' => 0, 'errors' => [], 'maxMs' => 0]; $end = microtime(true) + 25;
    for ($i = 0; !file_exists('/tmp/stop') && microtime(true) < $end; $i++) {
      $t = microtime(true);
      try { if ($r->set("w$i", "$i") === true) $out['acked']++; else $out['errors'][] = "w$i: not acknowledged"; }
      catch (RedisException $e) { $out['errors'][] = "w$i: " . $e->getMessage(); }
      $out['maxMs'] = max($out['maxMs'], (int) round(1000 * (microtime(true) - $t)));
      if ($i === 0) touch('/tmp/writing');
      usleep(10000);
    }
    $out['followed'] = $r->followed;
    echo json_encode($out);`;
  const done = web.exec(['php', '-r', php], { timeoutMs: 40_000 }).then((r) => {
    assert.equal(r.exitCode, 0, r.stderr);
    return JSON.parse(r.stdout) as Written;
  });
  for (let i = 0; i < 200 && (await web.exec(['test', '-f', '/tmp/writing'])).exitCode !== 0; i++) await sleep(50);
  return { done };
}

/** Sends a gated command (see send) and returns once it has connected, with a function that lets it go on. */
async function gated(host: string, key: string, failoverWait: number): Promise<{ go: () => Promise<void>; sent: Promise<Sent> }> {
  await web.exec(['rm', '-f', '/tmp/ready', '/tmp/go']);
  const sent = send(host, 'set', key, 'v', true, failoverWait);
  for (let i = 0; i < 200 && (await web.exec(['test', '-f', '/tmp/ready'])).exitCode !== 0; i++) await sleep(50);
  return { sent, go: async () => void (await web.exec(['touch', '/tmp/go'])) };
}

/** A SETNX of `key` to `value` (a cache lock's owner id) paused on r1 and cut in flight: sent once more. */
async function cutSetnx(key: string, value: string): Promise<Sent> {
  assert.equal(await cli(r1, 'client', 'pause', '8000', 'write'), 'OK');
  const sent = send('r1', 'setnx', key, value);
  await untilBlocked(r1, 'setnx');
  await cli(r1, 'client', 'kill', 'type', 'normal');
  await cli(r1, 'client', 'unpause');
  return sent;
}

before(
  async () => {
    const [redisImage, haproxyImage, probe] = await Promise.all([serviceImage('redis'), serviceImage('haproxy'), probeImage()]);
    const network = await session.network();
    const env = { REDIS_PASSWORD_FILE: '/run/secrets/redis-password' };
    r1 = await session.start({ image: redisImage, role: 'r1', network, aliases: ['r1'], env, files: [redisSecret] });
    r2 = await session.start({ image: redisImage, role: 'r2', network, aliases: ['r2'], env: { ...env, REDIS_REPLICAOF: 'r1' }, files: [redisSecret] });
    r3 = await session.start({ image: redisImage, role: 'r3', network, aliases: ['r3'], env, files: [redisSecret] });
    await session.start({
      image: redisImage,
      role: 's1',
      network,
      aliases: ['s1'],
      // down-after 30 s: the stall test's pause of r1 must not start a failover of its own.
      env: { ...env, REDIS_SENTINEL_MONITOR: 'r1', REDIS_SENTINEL_QUORUM: '1', REDIS_SENTINEL_DOWN_AFTER_MS: '30000' },
      files: [redisSecret],
    });
    // The sessions' primary endpoint over r1 and r2, as in the ha cluster (endpoints.ts).
    ep = await session.start({
      image: haproxyImage,
      role: 'ep',
      network,
      aliases: ['ep'],
      env: { REDIS_PASSWORD_FILE: `${ENDPOINTS_SECRETS}/redis-password` },
      files: endpointFiles,
    });
    web = await session.start({
      image: probe,
      role: 'web',
      network,
      env: {
        MOODLE_WWWROOT: 'http://probe.test',
        MOODLE_DB_HOST: 'no-db',
        MOODLE_REDIS_HOST: 'r1',
        MOODLE_REDIS_PASSWORD_FILE: `${RUNTIME_IMAGE.secretsDir}/redis-password`,
      },
      files: [runtimeSecret],
    });
    await Promise.all([r1.waitForHealthy(60_000), r2.waitForHealthy(60_000), r3.waitForHealthy(60_000)]);
    for (let i = 0; i < 100 && !/master_link_status:up/.test(await cli(r2, 'info', 'replication')); i++) await sleep(200);
    assert.match(await cli(r2, 'info', 'replication'), /master_link_status:up/, 'r2 is r1’s replica');
    for (let i = 0; i < 100 && endpointServer(await admin('show stat'), 'r1') !== 'UP'; i++) await sleep(200);
    assert.equal(endpointServer(await admin('show stat'), 'r1'), 'UP', 'the endpoint sends to r1');
  },
  { timeout: 15 * 60_000 },
);

after(() => session.cleanup(), { timeout: 120_000 });

describe('kept Redis connections and the planned failover', () => {
  test('a write paused on the server and cut in flight is sent once more, on a new connection, and lands (with the key prefix)', async () => {
    assert.equal(await cli(r1, 'client', 'pause', '8000', 'write'), 'OK');
    const sent = send('r1', 'set', 'cut', 'v1');
    await untilBlocked(r1);
    await cli(r1, 'client', 'kill', 'type', 'normal');
    await cli(r1, 'client', 'unpause');
    const s = await sent;
    assert.equal(s.error, undefined);
    assert.equal(s.result, true);
    assert.equal(s.followed, 1, 'sent again exactly once');
    assert.ok(s.ms < 1_900, `answered in ${s.ms} ms: after the cut, not after the 2 s read timeout`);
    assert.equal(await cli(r1, 'get', `${PREFIX}cut`), 'v1', 'the second connection kept the prefix');
    console.log(`cut in flight: the write landed ${s.ms} ms after it was sent (paused, then cut), sent once more`);
  });

  test("a cache lock's SETNX cut in flight is sent again: taken when the key is free or holds the caller's own id, not when another's", async () => {
    const free = await cutSetnx('lock-free', 'owner-1');
    assert.deepEqual([free.error, free.result, free.followed], [undefined, true, 1], JSON.stringify(free));
    assert.equal(await cli(r1, 'get', `${PREFIX}lock-free`), 'owner-1');
    // The key already holds the caller's id: what a first SETNX that ran, and whose answer the cut lost, leaves.
    await cli(r1, 'set', `${PREFIX}lock-mine`, 'owner-2');
    const mine = await cutSetnx('lock-mine', 'owner-2');
    assert.deepEqual([mine.error, mine.result, mine.followed], [undefined, true, 1], 'its own lock, written by the first send, is taken');
    await cli(r1, 'set', `${PREFIX}lock-theirs`, 'owner-3');
    const theirs = await cutSetnx('lock-theirs', 'owner-4');
    assert.deepEqual([theirs.error, theirs.result, theirs.followed], [undefined, false, 1], "another holder's lock is not taken");
    assert.equal(await cli(r1, 'get', `${PREFIX}lock-theirs`), 'owner-3');
  });

  /**
   * `pairs` times two EXPIREs (a session's and its user's refresh) and an HSET on one connection, the
   * EXPIREs held back (`deferExpire`) or sent as they come; then the held-back rest sent alone, as the
   * session handler's close() does. The server's reads (round trips) it took, less what else came meanwhile (a
   * health check: at most 2 in the time).
   */
  async function refreshPairs(host: string, pairs: number, deferExpire: boolean): Promise<{ reads: number; ttls: number[] }> {
    const php = `require '/opt/moodle-ha/php/kept-redis.php';
      $r = new moodleha\\redis\\kept();
      $r->pconnect('${host}', 6379, 2, 'pairs', 0, 2, ['auth' => trim(file_get_contents(getenv('MOODLE_REDIS_PASSWORD_FILE')))]);
      $r->setOption(Redis::OPT_PREFIX, '${PREFIX}');
      $r->ping();
      $r->deferexpire = ${deferExpire};
      for ($i = 0; $i < ${pairs}; $i++) { $r->expire("s$i", 500 + $i); $r->expire("u$i", 500 + $i); $r->hset("s$i", 'sessdata', "d$i"); }
      $r->expire('last', 700);
      $r->send_deferred();
      echo 'ok';`;
    // The keys exist, without an expiry (what a session and its user are before the refresh).
    const made = await r3.exec([
      'sh',
      '-c',
      `{ for i in $(seq 0 ${pairs - 1}); do echo "DEL ${PREFIX}s$i ${PREFIX}u$i"; echo "HSET ${PREFIX}s$i sessdata old"; echo "HSET ${PREFIX}u$i sid x"; done; echo "SET ${PREFIX}last x"; } | REDISCLI_AUTH=${PASSWORD} redis-cli >/dev/null`,
    ]);
    assert.equal(made.exitCode, 0, made.stderr);
    const before = await readsOf(r3);
    const r = await web.exec(['php', '-r', php], { timeoutMs: 30_000 });
    const reads = (await readsOf(r3)) - before - 2; // less redis-cli's AUTH and INFO
    assert.equal(r.stdout, 'ok', r.stderr);
    const ttls: number[] = [];
    for (const key of [`s0`, `u0`, `s${pairs - 1}`, `u${pairs - 1}`, 'last']) ttls.push(Number(await cli(r3, 'ttl', `${PREFIX}${key}`)));
    return { reads, ttls };
  }

  test("the session's held-back EXPIREs go with the next command, one round trip, and every key gets its expiry", async () => {
    await r3.waitForHealthy(60_000);
    const pairs = 40;
    const expected = [500, 500, 500 + pairs - 1, 500 + pairs - 1, 700];
    // Each TTL as set, or up to 2 s less: read one docker exec after another on a busy machine.
    const asSet = (ttls: number[]) => ttls.every((t, i) => t <= expected[i]! && t >= expected[i]! - 2);
    const held = await refreshPairs('r3', pairs, true);
    const sent = await refreshPairs('r3', pairs, false);
    // Connect (AUTH), PING, then one read per HSET with its EXPIREs, and one for the rest (+ a health check's 2).
    assert.ok(held.reads >= pairs + 3 && held.reads <= pairs + 5, `held back: ${held.reads} round trips for ${pairs} pairs and HSETs`);
    assert.ok(sent.reads >= 3 * pairs + 3, `sent as they come: ${sent.reads} round trips`);
    assert.ok(asSet(held.ttls), `TTLs of the first and last pair and the last EXPIRE, held back: ${held.ttls} (set: ${expected})`);
    assert.ok(asSet(sent.ttls), `the same, sent as they come: ${sent.ttls} (set: ${expected})`);
    console.log(`${pairs} expiry refresh pairs and HSETs: ${held.reads} round trips held back, ${sent.reads} sent as they come`);
  });

  test('a kept connection taken again costs no round trip of its own: its check (AUTH, ECHO) goes with the first command; one out of step is replaced; a wrong password fails at once', async () => {
    await r3.waitForHealthy(60_000);
    // Each class takes a connection it opened before (pooled in the same process), then sends one
    // GET: the server's reads for the two, the least of 3 tries (a health check in the window adds 2).
    const php = `require '/opt/moodle-ha/php/kept-redis.php';
      $pw = trim(file_get_contents(getenv('MOODLE_REDIS_PASSWORD_FILE')));
      $admin = new Redis(); $admin->connect('r3', 6379); $admin->auth($pw);
      $reads = fn() => (int) $admin->info('stats')['total_reads_processed'];
      $take = function (string $class, string $pw = '') {
        $r = new $class(); $r->pconnect('r3', 6379, 2, 'take-' . md5($class . $pw), 0, 2, ['auth' => $pw]); $r->setOption(Redis::OPT_PREFIX, '${PREFIX}'); return $r;
      };
      $out = [];
      foreach (['kept' => 'moodleha\\redis\\kept', 'phpredis' => 'Redis'] as $name => $class) {
        $r = $take($class, $pw); $r->set('taken', $name); unset($r);
        $least = PHP_INT_MAX;
        for ($i = 0; $i < 3; $i++) {
          $a = $reads(); $r = $take($class, $pw); $v = $r->get('taken'); $least = min($least, $reads() - $a - 1); unset($r);
        }
        $out[$name] = [$least, $v];
      }
      // Out of step: a reply nobody read, left on the kept connection (a message to a channel its last user subscribed to).
      $r = $take('moodleha\\redis\\kept', $pw); $r->rawCommand('SUBSCRIBE', 'kept-stale'); unset($r);
      $admin->publish('kept-stale', 'stale'); usleep(100000);
      $r = $take('moodleha\\redis\\kept', $pw); $out['stale'] = [$r->get('taken'), $r->followed]; unset($r);
      $r = $take('moodleha\\redis\\kept', 'not-' . $pw);
      $t = microtime(true);
      try { $out['wrong'] = $r->get('taken'); } catch (RedisException $e) { $out['wrong'] = [$e->getMessage(), $r->followed, (int) round(1000 * (microtime(true) - $t))]; }
      echo json_encode($out);`;
    const r = await web.exec(['php', '-r', php], { timeoutMs: 30_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      kept: [number, string];
      phpredis: [number, string];
      stale: [string, number];
      wrong: [string, number, number] | string;
    };
    assert.deepEqual(out.kept, [1, 'kept'], 'taken again, then a GET: one round trip (the check went with the GET)');
    assert.deepEqual(out.phpredis, [2, 'phpredis'], "phpredis's own take: its AUTH and ECHO, then the GET");
    assert.deepEqual(
      out.stale,
      ['phpredis', 1],
      'the stale reply found by the check: the GET sent again on a new connection, its answer its own (the last value set)',
    );
    assert.ok(Array.isArray(out.wrong), `a wrong password answered: ${JSON.stringify(out.wrong)}`);
    assert.match(out.wrong[0], /WRONGPASS|AUTH failed/, 'the error says the password was refused');
    assert.equal(out.wrong[1], 0, 'a refused password is not sent again');
    console.log(
      `taken again + GET: ${out.kept[0]} round trip (phpredis's own take: ${out.phpredis[0]}); a stale reply found and the GET sent again; a wrong password: ${out.wrong[0]} after ${out.wrong[2]} ms`,
    );
  });

  test("the lock's SET NX reads the session's record in its pipeline: its HMGETs answered from it until a write, never when the lock was not taken", async () => {
    await r3.waitForHealthy(60_000);
    await cli(r3, 'del', `${PREFIX}rec`, `${PREFIX}rec.lock`, `${PREFIX}gone`, `${PREFIX}gone.lock`);
    await cli(r3, 'hset', `${PREFIX}rec`, 'userid', '7', 'sessdata', 'D');
    const hmgets = async () => Number(/cmdstat_hmget:calls=(\d+)/.exec(await cli(r3, 'info', 'commandstats'))?.[1] ?? 0);
    const php = `require '/opt/moodle-ha/php/kept-redis.php';
      $r = new moodleha\\redis\\kept();
      $r->pconnect('r3', 6379, 2, 'prefetch', 0, 2, ['auth' => trim(file_get_contents(getenv('MOODLE_REDIS_PASSWORD_FILE')))]);
      $r->setOption(Redis::OPT_PREFIX, '${PREFIX}');
      $r->deferexpire = true; $r->nxindex = '${PREFIX}locks';
      $out = [];
      $r->nxprefetch = ['rec', ['userid', 'sessdata', 'state']];
      $out['taken'] = $r->set('rec.lock', 'me', ['nx', 'ex' => 30]);
      $r->expire('rec', 600);
      $out['read'] = $r->hmget('rec', ['userid', 'sessdata']);
      $out['all'] = $r->hmget('rec', ['state', 'userid', 'sessdata']);
      $out['other'] = $r->hmget('rec', ['userid', 'firstip']);
      $out['hits'] = $r->prefetchhits;
      $r->hset('rec', 'sessdata', 'E');
      $out['written'] = $r->hmget('rec', ['sessdata']);
      $r->nxprefetch = ['rec', ['userid', 'sessdata']];
      $out['held'] = $r->set('rec.lock', 'another', ['nx', 'ex' => 30]);
      $r->hset('rec', 'sessdata', 'F');
      $out['notheld'] = $r->hmget('rec', ['sessdata']);
      $r->nxprefetch = ['gone', ['userid', 'sessdata']];
      $out['gone'] = [$r->set('gone.lock', 'me', ['nx', 'ex' => 30]), $r->hmget('gone', ['userid', 'sessdata'])];
      $out['hitsAfter'] = $r->prefetchhits;
      $r->send_deferred();
      echo json_encode($out);`;
    const before = await hmgets();
    const r = await web.exec(['php', '-r', php], { timeoutMs: 30_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out, {
      taken: true,
      read: { userid: '7', sessdata: 'D' },
      all: { state: false, userid: '7', sessdata: 'D' },
      other: { userid: '7', firstip: false },
      hits: 2,
      written: { sessdata: 'E' },
      held: false,
      notheld: { sessdata: 'F' },
      gone: [true, { userid: false, sessdata: false }],
      hitsAfter: 3,
    });
    // Three locks' pipelines, and the server asked for a field not read there, after a write, after a lock not taken.
    assert.equal((await hmgets()) - before, 6, 'HMGETs the server ran');
    assert.equal(await cli(r3, 'ttl', `${PREFIX}rec`), '600', 'the held-back EXPIRE went');
  });

  /**
   * A page's session traffic as the session handler sends it (Moodle 4.5's order: the lock with the
   * record's read, read()'s HMGET, update_session()'s HMSET and EXPIREs, write()'s HSET and its HMGET
   * of three fields, then the release), with the writes held back (`deferWrites`) or sent as they
   * come. The server's reads (round trips) less redis-cli's, and what the handler read back.
   */
  async function sessionPage(deferWrites: boolean): Promise<{ reads: number; out: Record<string, unknown> }> {
    await cli(r3, 'del', `${PREFIX}sp`, `${PREFIX}sp.lock`, `${PREFIX}spu`);
    await cli(r3, 'hset', `${PREFIX}sp`, 'userid', '7', 'sessdata', 'D', 'timecreated', '100', 'timemodified', '100');
    const php = `require '/opt/moodle-ha/php/kept-redis.php';
      $r = new moodleha\\redis\\kept();
      $r->pconnect('r3', 6379, 2, 'page-${deferWrites}', 0, 2, ['auth' => trim(file_get_contents(getenv('MOODLE_REDIS_PASSWORD_FILE')))]);
      $r->setOption(Redis::OPT_PREFIX, '${PREFIX}');
      $r->deferexpire = true; $r->deferwrites = ${deferWrites}; $r->nxindex = '${PREFIX}locks';
      $out = [];
      $r->nxprefetch = ['sp', ['userid', 'sessdata', 'timecreated', 'timemodified']];
      $out['taken'] = $r->set('sp.lock', 'me', ['nx', 'ex' => 30]);
      $r->nxprefetch = null;
      $out['read'] = $r->hmget('sp', ['userid', 'sessdata']);
      $out['updated'] = $r->hmset('sp', ['timemodified' => 200, 'userid' => 7]);
      $r->expire('sp', 600); $r->expire('spu', 600);
      $r->hset('sp', 'sessdata', 'E');
      $out['afterwrite'] = $r->hmget('sp', ['userid', 'timecreated', 'timemodified']);
      $out['held'] = $r->held();
      $r->expire('sp', 700);
      $r->defer_raw('ZREM', '${PREFIX}locks', '${PREFIX}sp.lock');
      $out['released'] = $r->unlink('sp.lock');
      $out['heldAfter'] = $r->held();
      echo json_encode($out);`;
    const before = await readsOf(r3);
    const r = await web.exec(['php', '-r', php], { timeoutMs: 30_000 });
    const reads = (await readsOf(r3)) - before - 2; // less redis-cli's AUTH and INFO
    assert.equal(r.exitCode, 0, r.stderr);
    return { reads, out: JSON.parse(r.stdout) as Record<string, unknown> };
  }

  test("a page's session writes held back: two round trips (the lock's, the release's), write()'s read answered from the record as written, every write landed in order", async () => {
    await r3.waitForHealthy(60_000);
    const held = await sessionPage(true);
    const landed = {
      data: await cli(r3, 'hget', `${PREFIX}sp`, 'sessdata'),
      modified: await cli(r3, 'hget', `${PREFIX}sp`, 'timemodified'),
      ttl: Number(await cli(r3, 'ttl', `${PREFIX}sp`)),
      lock: await cli(r3, 'exists', `${PREFIX}sp.lock`),
      indexed: await cli(r3, 'zscore', `${PREFIX}locks`, `${PREFIX}sp.lock`),
    };
    const sent = await sessionPage(false);
    // The server's reads, the least of 3 pages each way (a health check in the window adds 2): the
    // lock's pipeline and the release's, and what a new process's connection adds; sent as they
    // come, the HMSET's, the HSET's and the HMGET's of their own besides.
    const least = async (deferWrites: boolean, first: number) => {
      let n = first;
      for (let i = 0; i < 2; i++) n = Math.min(n, (await sessionPage(deferWrites)).reads);
      return n;
    };
    const heldReads = await least(true, held.reads);
    const sentReads = await least(false, sent.reads);
    assert.ok(heldReads >= 2 && heldReads <= 4, `held back: ${heldReads} round trips for one page`);
    assert.equal(sentReads - heldReads, 3, `sent as they come: ${sentReads} round trips (held back: ${heldReads})`);
    for (const [name, x] of [
      ['held back', held],
      ['sent as they come', sent],
    ] as const) {
      assert.deepEqual(
        { ...x.out, held: undefined },
        {
          taken: true,
          read: { userid: '7', sessdata: 'D' },
          updated: true,
          afterwrite: { userid: '7', timecreated: '100', timemodified: '200' },
          held: undefined,
          released: 1,
          heldAfter: 0,
        },
        `${name}: what the handler read back`,
      );
    }
    assert.equal(held.out.held, 4, 'the HMSET, both EXPIREs and the HSET held until the release');
    assert.deepEqual(landed, { data: 'E', modified: '200', ttl: landed.ttl, lock: '0', indexed: '' }, 'the writes landed, the lock went, its index entry too');
    assert.ok(landed.ttl > 650 && landed.ttl <= 700, `the last EXPIRE held back went last: ${landed.ttl}`);
    console.log(`one page's session traffic: ${heldReads} round trips with its writes held back, ${sentReads} sent as they come`);
  });

  test('EXPIREs held back with a write that is paused and cut in flight are sent again with it, and land', async () => {
    await cli(r1, 'del', `${PREFIX}hs`, `${PREFIX}hu`);
    await cli(r1, 'hset', `${PREFIX}hs`, 'sessdata', 'old');
    await cli(r1, 'hset', `${PREFIX}hu`, 'sid', 'x');
    assert.equal(await cli(r1, 'client', 'pause', '8000', 'write'), 'OK');
    const php = `require '/opt/moodle-ha/php/kept-redis.php';
      $r = new moodleha\\redis\\kept();
      $r->pconnect('r1', 6379, 2, 'cut-held', 0, 2, ['auth' => trim(file_get_contents(getenv('MOODLE_REDIS_PASSWORD_FILE')))]);
      $r->setOption(Redis::OPT_PREFIX, '${PREFIX}');
      $r->deferexpire = true;
      $r->expire('hs', 600); $r->expire('hu', 600);
      $out = ['result' => $r->hset('hs', 'sessdata', 'v'), 'followed' => $r->followed];
      echo json_encode($out);`;
    const sent = web.exec(['php', '-r', php], { timeoutMs: 30_000 });
    await untilBlocked(r1, 'expire');
    await cli(r1, 'client', 'kill', 'type', 'normal');
    await cli(r1, 'client', 'unpause');
    const r = await sent;
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { result: 0, followed: 1 }, 'the HSET answered, after one more send');
    assert.equal(await cli(r1, 'hget', `${PREFIX}hs`, 'sessdata'), 'v');
    assert.equal(await cli(r1, 'ttl', `${PREFIX}hs`), '600');
    assert.equal(await cli(r1, 'ttl', `${PREFIX}hu`), '600');
  });

  test("the session lock's and its release's pipelines, paused and cut in flight, are sent again at once (phpredis's own reconnect waited the 2 s read timeout)", async () => {
    await cli(r1, 'del', `${PREFIX}lk`, `${PREFIX}locks`);
    for (const [what, first] of [
      ['lock', 'expire'],
      ['release', 'zrem'],
    ] as const) {
      const p = await pipelined(what);
      assert.equal(await cli(r1, 'client', 'pause', '8000', 'write'), 'OK');
      await p.go();
      await untilBlocked(r1, first);
      await cli(r1, 'client', 'kill', 'type', 'normal');
      await cli(r1, 'client', 'unpause');
      const s = await p.sent;
      assert.equal(s.error, undefined, `${what}: ${JSON.stringify(s)}`);
      assert.equal(s.result, what === 'lock' ? true : 1, `${what}: ${JSON.stringify(s)}`);
      assert.equal(s.followed, 1, `${what}: sent again once`);
      assert.ok(s.ms < 1_900, `${what}: answered in ${s.ms} ms: after the cut, not after the 2 s read timeout`);
      assert.equal(s.next, 'K', `${what}: the next command's reply is its own`);
      if (what === 'lock') assert.deepEqual([s.record, s.hits], [{ a: 'A', b: false }, 1], 'the record read in the resent pipeline');
      console.log(`${what} pipeline cut in flight: answered ${s.ms} ms after it was sent, sent once more`);
    }
    assert.equal(await cli(r1, 'exists', `${PREFIX}lk`), '0', 'released');
    assert.equal(await cli(r1, 'zcard', `${PREFIX}locks`), '0', 'out of the index');
  });

  test('a pipeline on a kept connection cut while idle goes on a new one, its replies its own; with phpredis’s reconnect back on, the replies it loses are caught', async () => {
    for (const retries of [false, true]) {
      await cli(r1, 'del', `${PREFIX}lk`, `${PREFIX}locks`);
      for (const what of ['lock', 'release'] as const) {
        const p = await pipelined(what, retries);
        await cli(r1, 'client', 'kill', 'type', 'normal');
        await p.go();
        const s = await p.sent;
        const label = `${what}${retries ? ', phpredis reconnecting' : ''}`;
        assert.equal(s.error, undefined, `${label}: ${JSON.stringify(s)}`);
        // The release sent again after a first send that ran (its replies lost) unlinks nothing: 0.
        const expected = what === 'lock' ? [true] : retries ? [0, 1] : [1];
        assert.ok(expected.includes(s.result as never), `${label}: ${JSON.stringify(s)}`);
        assert.equal(s.followed, 1, `${label}: sent again once`);
        assert.equal(s.next, 'K', `${label}: the next command's reply is its own`);
        if (what === 'lock') {
          assert.equal(await cli(r1, 'get', `${PREFIX}lk`), 'me');
          assert.match(await cli(r1, 'zscore', `${PREFIX}locks`, `${PREFIX}lk`), /^\d+$/, `${label}: indexed`);
          assert.deepEqual([s.record, s.hits], [{ a: 'A', b: false }, 1], `${label}: the record read in the resent pipeline`);
        }
      }
      assert.equal(await cli(r1, 'exists', `${PREFIX}lk`), '0', 'released');
    }
  });

  test('a stalled server is not asked twice: the command fails at its read timeout', async () => {
    await web.exec(['rm', '-f', '/tmp/ready', '/tmp/go']);
    const sent = send('r1', 'get', 'cut', '', true);
    for (let i = 0; i < 200 && (await web.exec(['test', '-f', '/tmp/ready'])).exitCode !== 0; i++) await sleep(50);
    await r1.container.pause();
    try {
      await web.exec(['touch', '/tmp/go']);
      const s = await sent;
      assert.match(s.error ?? '', /read error on connection/);
      assert.equal(s.followed, 0);
      assert.ok(s.ms >= 1_900 && s.ms < 3_000, `failed after ${s.ms} ms: one 2 s timeout, not two`);
    } finally {
      await r1.container.unpause();
    }
  });

  test('a server killed under a kept connection: sent once more and reported; with a failover wait, sent until the name answers again', async () => {
    // r3: a server of its own, killed and started again (the endpoint refusing, then following the promoted replica, in the cluster).
    const without = await gated('r3', 'killed-0', 0);
    await r3.container.kill();
    await without.go();
    const s0 = await without.sent;
    assert.ok(s0.error, `with no failover wait the command fails: ${JSON.stringify(s0)}`);
    assert.equal(s0.followed, 1, 'sent once more, as before');
    await r3.container.start();
    await r3.waitForHealthy(60_000);

    const waiting = await gated('r3', 'killed-8', 8);
    await r3.container.kill();
    const killedAt = Date.now();
    await waiting.go();
    await sleep(1_500);
    await r3.container.start();
    const s = await waiting.sent;
    assert.equal(s.error, undefined, JSON.stringify(s));
    assert.equal(s.result, true);
    assert.ok(s.followed >= 2, `sent again ${s.followed} times`);
    assert.ok(s.ms >= 1_000 && s.ms < 8_000 + 2_500, `answered after ${s.ms} ms: once the server was back, within the wait`);
    assert.equal(await cli(r3, 'get', `${PREFIX}killed-8`), 'v', 'the write landed on the restarted server');
    console.log(
      `killed server: the write landed ${s.ms} ms after it was sent (server back ${Date.now() - killedAt} ms after the kill), sent again ${s.followed} times`,
    );
  });

  test('the planned failover under a client writing through the endpoint: no write lost or failed, the replica promoted, the endpoint moved, the old primary demoted', async () => {
    const wrote = await r1.exec(['sh', '-c', `for i in $(seq 0 199); do echo "SET ${PREFIX}before$i $i"; done | REDISCLI_AUTH=${PASSWORD} redis-cli`]);
    assert.equal(wrote.stdout.match(/OK/g)?.length, 200, wrote.stdout + wrote.stderr);
    const w = await writer();
    await sleep(300);
    const args = ['r1', 'r2', 's1', 'primary', 'redis', '8000', '3000', ENDPOINTS_ADMIN_SOCKET];
    const r = await ep.exec(['sh', '-c', PLANNED_FAILOVER_SH, 'sh', ...args], { timeoutMs: 20_000 });
    await sleep(300);
    await web.exec(['touch', '/tmp/stop']);
    const written = await w.done;
    const times = plannedFailoverTimes(r.stdout);
    assert.ok(r.exitCode === 0 && times, `exit ${r.exitCode}: ${r.stdout}${r.stderr}`);
    assert.deepEqual(written.errors, [], 'no write failed');
    assert.ok(written.followed >= 1, `a write paused on r1 was cut and sent again (followed ${written.followed})`);
    assert.match(await cli(r2, 'role'), /^master/);
    assert.match(await cli(r1, 'role'), /^slave/);
    assert.equal(await cli(r2, 'get', `${PREFIX}before199`), '199', 'the last write before the pause is on the new primary');
    const landed = await r2.exec(['sh', '-c', `REDISCLI_AUTH=${PASSWORD} redis-cli --scan --pattern '${PREFIX}w*' | wc -l`]);
    assert.equal(Number(landed.stdout.trim()), written.acked, 'every acknowledged write is on the new primary');
    assert.equal(await cli(r2, 'get', `${PREFIX}w${written.acked - 1}`), String(written.acked - 1));
    const stat = await admin('show stat');
    assert.equal(endpointServer(stat, 'r2'), 'UP', 'the endpoint sends to r2');
    assert.notEqual(endpointServer(stat, 'r1'), 'UP', 'r1 (a replica) is out of the endpoint');
    assert.match((await r1.exec(['env', `REDISCLI_AUTH=${PASSWORD}`, 'redis-cli', 'set', 'x', '1'])).stdout, /READONLY/, 'r1 refuses writes');
    console.log(
      `planned failover: writes paused ${pausedMs(times)} ms (caught up ${times.caughtUpMs}, promoted ${times.promotedMs}, endpoint moved ${times.movedMs}, cut ${times.cutMs}); ` +
        `${written.acked} writes through the endpoint, none failed, ${written.followed} sent again, the slowest ${written.maxMs} ms`,
    );
  });

  test('a failover that cannot go on (no Sentinel answers) resumes the writes, leaves the endpoint, and says why', async () => {
    for (let i = 0; i < 100 && !/master_link_status:up/.test(await cli(r1, 'info', 'replication')); i++) await sleep(200);
    const t = Date.now();
    const args = ['r2', 'r1', 'no-such-sentinel', 'primary', 'redis', '8000', '1000', ENDPOINTS_ADMIN_SOCKET];
    const r = await ep.exec(['sh', '-c', PLANNED_FAILOVER_SH, 'sh', ...args], { timeoutMs: 20_000 });
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stdout, /Sentinel no-such-sentinel did not start the failover of primary/);
    assert.equal(plannedFailoverTimes(r.stdout), undefined);
    const s = await send('ep', 'set', 'after', 'y');
    assert.equal(s.result, true);
    assert.ok(s.ms < 500, `a write took ${s.ms} ms after the failed failover: still paused?`);
    assert.equal(endpointServer(await admin('show stat'), 'r2'), 'UP', 'the endpoint still sends to r2');
    assert.ok(Date.now() - t < 8_000, 'well before the pause’s own limit');
  });
});
