// The ha profile with real Moodle: 2 web nodes, a 3-node Galera cluster behind the writer
// endpoint, Redis primary + replica + 3 Sentinels behind the primary endpoint. Losing the DB
// writer or the Redis primary keeps users logged in and loses no committed write; so does losing
// every Galera node at once (they restore the cluster themselves). A restarted former Redis
// primary is a replica from its first answer (never two primaries). A full down + up of the ha
// profile is drills.test's full-restart (under load, with an inventory before and after).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { stopAutoscalerContainer } from '../../src/local/autoscaler-container.ts';
import { docker } from '../../src/local/engine/docker.ts';
import { exec, sleep, startContainer } from '../../src/local/containers.ts';
import { clusterNames } from '../../src/local/names.ts';
import { localRuntime } from '../../src/local/runtime.ts';
import { lbStats } from '../../src/local/status.ts';
import { secretFile } from '../../src/local/secrets.ts';
import { galeraMember } from '../../src/runtime/galera.ts';
import { CACHES_REDIS, redisPrimary, SESSIONS_REDIS } from '../../src/ops/drills/redis-roles.ts';
import { readSpec } from '../../src/spec/read.ts';
import { cli } from '../support/cli.ts';
import { MoodleClient } from '../support/moodle-client.ts';
import { TEST_CLUSTERS } from '../support/test-clusters.ts';

const NAME = TEST_CLUSTERS.ha;
const HTTP = 19180;
const dir = mkdtempSync(join(tmpdir(), 'moodle-ha-ha-'));
const specFile = join(dir, 'moodle-ha.yaml');
writeFileSync(specFile, `name: ${NAME}\nprofile: ha\nports:\n  http: ${HTTP}\n  stats: 19504\n  mail: 19505\n`);
const base = `http://localhost:${HTTP}`;
const n = clusterNames(NAME);
const sql = (node: string, q: string) => exec(node, ['mariadb', '--protocol=socket', '-N', '-s', '-e', q]);
/** The one Galera check (src/runtime/galera.ts): Synced, in a Primary component, of all 3 members. */
const galeraWhole = (node: string) => galeraMember((argv) => exec(node, argv), 3);
const redisRole = async (node: string) =>
  (await exec(node, ['sh', '-c', 'REDISCLI_AUTH="$(cat /run/redis/secrets/redis-password)" redis-cli info replication'])).output;
const php = (code: string) => exec(n.container('web', 1), ['php', '-r', `define('CLI_SCRIPT', true); require '/var/www/moodle/config.php'; ${code}`]);

/** Polls `probe` until it returns true; returns the seconds it took. */
async function secondsUntil(probe: () => Promise<boolean>, limitS: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < limitS * 1000) {
    if (await probe().catch(() => false)) return (Date.now() - t0) / 1000;
    await sleep(250);
  }
  return Infinity;
}

describe('ha profile with real Moodle', { timeout: 2_400_000 }, () => {
  const user = new MoodleClient(base);
  let password = '';
  let upOutput = '';

  before(async () => {
    await cli(['down', '--volumes', '--spec', specFile]);
    const r = await cli(['up', '--spec', specFile], { echo: true, timeoutMs: 1_200_000 });
    assert.equal(r.code, 0, `up failed:\n${r.stderr.slice(-4000)}`);
    assert.match(r.stdout, /2 web nodes/);
    upOutput = r.stderr;
    password = readFileSync(secretFile(NAME, 'admin-password'), 'utf8').trim();
    assert.ok(MoodleClient.loggedIn(await user.login('admin', password)), 'admin login through HAProxy failed');
  });

  after(async () => {
    if (process.env.MOODLE_HA_KEEP_TEST_CLUSTER !== '1') await cli(['down', '--volumes', '--spec', specFile]);
  });

  test('topology: 3 synced Galera nodes, a Redis replica for sessions and one for caches, 3 Sentinels watching both, 2 web nodes both serving', async () => {
    for (const i of [1, 2, 3]) {
      const m = await galeraWhole(n.container('db', i));
      assert.ok(m.whole, `db-${i}: ${m.seen}`);
    }
    assert.match(await redisRole(n.container('redis', 1)), /role:master[\s\S]*connected_slaves:1/);
    assert.match(await redisRole(n.container('redis', 2)), /role:slave[\s\S]*master_link_status:up/);
    assert.match(await redisRole(n.container('cache', 1)), /role:master[\s\S]*connected_slaves:1/);
    assert.match(await redisRole(n.container('cache', 2)), /role:slave[\s\S]*master_link_status:up/);
    for (const i of [1, 2, 3]) {
      const r = await exec(n.container('sentinel', i), ['redis-cli', '-p', '26379', 'sentinel', 'get-master-addr-by-name', SESSIONS_REDIS.sentinelName]);
      assert.match(r.output, new RegExp(n.container('redis', 1)), `sentinel-${i}: ${r.output}`);
      const c = await exec(n.container('sentinel', i), ['redis-cli', '-p', '26379', 'sentinel', 'get-master-addr-by-name', CACHES_REDIS.sentinelName]);
      assert.match(c.output, new RegExp(n.container('cache', 1)), `sentinel-${i} (cache): ${c.output}`);
    }
    for (let i = 0; i < 20; i++) await user.get('/my/');
    const stats = await lbStats(readSpec({ file: specFile }).spec);
    assert.ok(Array.isArray(stats), String(stats));
    assert.equal(stats.length, 2);
    assert.ok(
      stats.every((s) => s.status === 'UP' && s.totalRequests > 0),
      `both web nodes must serve: ${JSON.stringify(stats)}`,
    );
  });

  test("a site loaded from the install cache is this cluster's own: admin password, site identifier, MNet address; every Galera member holds it", async (t) => {
    const kept = /install cache: loaded the kept install of this code \((\S+)\)/.exec(upOutput)?.[1];
    if (!kept) {
      // Run alone, this file makes the run's first install (nothing to load): the assertions below need a loaded one.
      assert.match(upOutput, /install cache: kept this install|empty database: installing/, upOutput.slice(-2000));
      t.diagnostic('this run installed (no kept install yet): the loaded-site checks did not apply');
      return;
    }
    const dump = gunzipSync(readFileSync(join(kept, 'database.sql.gz'))).toString('utf8');
    const original = /'siteidentifier','([^']+)'/.exec(dump)?.[1];
    assert.ok(original, 'the kept dump has a site identifier');
    const [identifier, mnet] = (
      await sql(
        n.container('db', 1),
        "SELECT (SELECT value FROM moodle.mdl_config WHERE name = 'siteidentifier'), (SELECT h.wwwroot FROM moodle.mdl_mnet_host h JOIN moodle.mdl_config c ON c.name = 'mnet_localhost_id' AND h.id = c.value)",
      )
    ).output
      .trim()
      .split('\t');
    assert.notEqual(identifier, original, 'a new site identifier, not the one of the cluster that made the install');
    assert.equal(mnet, base, "the site's own MNet host has this cluster's address");
    const tables = await Promise.all(
      [1, 2, 3].map(async (i) =>
        (await sql(n.container('db', i), "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'moodle'")).output.trim(),
      ),
    );
    assert.ok(Number(tables[0]) > 400 && tables.every((x) => x === tables[0]), `the load replicated to every member: ${tables.join(', ')}`);
  });

  test('the reader endpoint: logged-in page views send most of their SELECTs to the Galera members the writer does not use', async () => {
    const selects = async () =>
      Promise.all(
        [1, 2, 3].map(async (i) => Number(/Com_select\s+(\d+)/.exec((await sql(n.container('db', i), "SHOW GLOBAL STATUS LIKE 'Com_select'")).output)?.[1])),
      );
    const writer = /server_key=(\S+)/.exec(
      (await exec(n.container('endpoints'), ['sh', '-c', 'echo "show table db" | socat stdio /run/haproxy/admin.sock'])).output,
    )?.[1];
    const w = [1, 2, 3].findIndex((i) => n.container('db', i) === writer);
    assert.ok(w >= 0, `no writer in the endpoints' stick table (${writer})`);
    const pages = ['/my/', '/?redirect=0', '/user/profile.php', '/course/index.php', '/calendar/view.php?view=month'];
    const before = await selects();
    const rounds = 6;
    for (let i = 0; i < rounds; i++) for (const p of pages) assert.equal((await user.get(p)).status, 200, p);
    const after = await selects();
    const views = rounds * pages.length;
    const perPage = after.map((a, i) => (a - before[i]!) / views);
    const readers = perPage.reduce((s, x, i) => (i === w ? s : s + x), 0);
    console.log(
      `[figures] reader: ${views} page views; SELECTs per page: writer (db-${w + 1}) ${perPage[w]!.toFixed(1)}, readers ${perPage
        .map((x, i) => (i === w ? undefined : `db-${i + 1} ${x.toFixed(1)}`))
        .filter(Boolean)
        .join(', ')} (cron runs meanwhile)`,
    );
    assert.ok(readers > perPage[w]!, `the readers answered ${readers.toFixed(1)} SELECTs per page, the writer ${perPage[w]!.toFixed(1)}`);
    assert.ok(readers >= 5, `only ${readers.toFixed(1)} SELECTs per page went to the readers`);
  });

  test('losing the DB writer: committed writes survive, writes resume within 15 s', async () => {
    const marker = `w${Date.now()}`;
    assert.equal((await php(`set_config('moodleha_marker', '${marker}'); echo 'ok';`)).output.trim(), 'ok');
    const writer = await currentWriter();
    await docker().getContainer(writer).kill({ signal: 'SIGKILL' });
    try {
      const seconds = await secondsUntil(
        async () => (await php(`set_config('moodleha_after', '${marker}'); echo get_config('core', 'moodleha_marker');`)).output.trim() === marker,
        30,
      );
      console.log(`writes resumed ${seconds.toFixed(1)} s after the writer (${writer}) was killed`);
      assert.ok(seconds <= 15, `writes resumed only after ${seconds} s`);
      assert.ok(MoodleClient.loggedIn((await user.get('/my/')).body), 'the user was logged out by the DB failover');
    } finally {
      await startContainer(writer); // the controller's healer may have started it already
    }
    const rejoined = await secondsUntil(async () => (await galeraWhole(writer)).whole, 120);
    assert.ok(rejoined < Infinity, `${writer} did not rejoin the cluster`);
    assert.match(
      (await sql(writer, `SELECT value FROM moodle.mdl_config WHERE name = 'moodleha_after'`)).output,
      new RegExp(marker),
      'the rejoined node misses a write made while it was down',
    );
  });

  test('losing the Redis primary: Sentinel promotes the replica, the session survives within 15 s', async () => {
    await docker().getContainer(n.container('redis', 1)).kill({ signal: 'SIGKILL' });
    try {
      const seconds = await secondsUntil(async () => MoodleClient.loggedIn((await user.get('/my/')).body), 30);
      console.log(`sessions served again ${seconds.toFixed(1)} s after the Redis primary was killed`);
      assert.ok(seconds <= 15, `the user was not served logged in within 15 s (${seconds} s)`);
      assert.match(await redisRole(n.container('redis', 2)), /role:master/);
    } finally {
      await startContainer(n.container('redis', 1)); // the controller's healer may have started it already
    }
    const demoted = await secondsUntil(async () => /role:slave/.test(await redisRole(n.container('redis', 1))), 60);
    assert.ok(demoted < Infinity, 'the old primary did not come back as a replica');
  });

  test('a restarted former Redis primary comes back as a replica: from its first answer it never reports master and refuses writes', async (t) => {
    const old = await currentRedisPrimary();
    const next = [1, 2].map((i) => n.container('redis', i)).find((x) => x !== old)!;
    assert.ok(old !== next && old.startsWith(`${NAME}-redis-`), `Sentinel names no known primary: "${old}"`);
    // The controller's healer would start the killed primary itself after its 5 s grace, possibly
    // before Sentinel's failover (then no failover happens at all): this test restarts it, so the
    // healer pauses for it (the healer has its own test, node-crash).
    if (await stopAutoscalerContainer(NAME)) t.after(() => startContainer(n.container('autoscaler'))); // running again for the tests after this one
    // From a steady state: the replica linked, and every Sentinel counting it as a healthy replica
    // (the test before this one restarted it). Otherwise a failed promotion says nothing.
    let unsteady: string[] | undefined; // what was wrong at the start
    let problems: string[] = []; // and at the last look
    const steady = await secondsUntil(async () => {
      problems = await replicaProblems(next);
      unsteady ??= problems;
      return problems.length === 0;
    }, 60);
    assert.ok(steady < Infinity, `before the kill, ${next} is not a healthy replica: ${problems.join('; ')}`);
    await docker().getContainer(old).kill({ signal: 'SIGKILL' });
    let failover = Infinity;
    let view = '';
    try {
      failover = await secondsUntil(async () => (await currentRedisPrimary()) === next && /role:master/.test(await redisRole(next)), 60);
      if (failover === Infinity) view = await sentinelView(next);
    } finally {
      await docker().getContainer(old).start();
    }
    assert.ok(failover < Infinity, `Sentinel did not promote ${next} within 60 s:\n${view}`);
    // In the container, from its first answer on: ROLE and a write, every 100 ms for 15 s.
    const probe = await exec(old, [
      'bash',
      '-c',
      'export REDISCLI_AUTH="$(cat /run/redis/secrets/redis-password)"; end=$((SECONDS + 15)); ' +
        'while [ "$SECONDS" -lt "$end" ]; do r=$(redis-cli role 2>/dev/null | head -n 1); ' +
        'if [ -n "$r" ]; then echo "$(date +%s%3N) $r $(redis-cli set moodleha-split-brain "$(date +%s%N)" 2>&1 | head -n 1)"; fi; sleep 0.1; done',
    ]);
    const answers = probe.output
      .trim()
      .split('\n')
      .filter((l) => /^\d+ /.test(l))
      .map((l) => {
        const [at, role, ...reply] = l.split(' ');
        return { at: Number(at), role: role!, reply: reply.join(' ') };
      });
    assert.ok(answers.length > 0, `${old} never answered within 15 s of its start:\n${probe.output.slice(-1000)}`);
    const masters = answers.filter((a) => a.role === 'master');
    const window = masters.length ? (masters.at(-1)!.at - answers[0]!.at) / 1000 + 0.1 : 0;
    console.log(
      `restarted former primary ${old}: first answer as ${answers[0]!.role}; reported master for ${window.toFixed(1)} s (${masters.length} of ${answers.length} polls); Sentinel had promoted ${next} ${failover.toFixed(1)} s after the kill (before the kill, ${steady.toFixed(1)} s of waiting for it to be a healthy replica: ${unsteady?.join('; ') || 'it was one'})`,
    );
    assert.equal(masters.length, 0, `${old} reported master for ${window.toFixed(1)} s after its restart: two primaries`);
    // LOADING (the dataset not yet read) refuses a write too; anything else (OK) is a split-brain write.
    const accepted = answers.filter((a) => !/^(READONLY|LOADING)/.test(a.reply));
    assert.equal(accepted.length, 0, `${old} took writes: ${JSON.stringify(accepted.slice(0, 3))}`);
    assert.ok(
      answers.some((a) => a.reply.startsWith('READONLY')),
      `${old} never refused a write as a replica: ${JSON.stringify(answers.slice(0, 3))}`,
    );
    const linked = await secondsUntil(async () => /role:slave[\s\S]*master_link_status:up/.test(await redisRole(old)), 60);
    assert.ok(linked < Infinity, `${old} did not link to ${next}`);
  });

  test('every Galera node killed at once (a power loss): they restore the cluster by themselves, no committed write lost', async () => {
    const marker = `p${Date.now()}`;
    const write = () => php(`set_config('moodleha_power', '${marker}'); echo 'ok';`);
    // The Redis test before this one may still be settling (the old primary rejoining).
    assert.ok(
      (await secondsUntil(async () => (await write()).output.trim() === 'ok', 30)) < Infinity,
      `the marker could not be written: ${(await write()).output.slice(-500)}`,
    );
    const nodes = [1, 2, 3].map((i) => n.container('db', i));
    await Promise.all(nodes.map((node) => docker().getContainer(node).kill({ signal: 'SIGKILL' })));
    // As the engine's restart policy starts them after a reboot: all together, none safe to bootstrap.
    await Promise.all(nodes.map((node) => startContainer(node)));
    const synced = async () => {
      for (const node of nodes) if (!(await galeraWhole(node)).whole) return false;
      return true;
    };
    const seconds = await secondsUntil(synced, 240);
    const logs = async () =>
      (
        await Promise.all(
          nodes.map(async (node) => `${node}:\n${(await docker().getContainer(node).logs({ stdout: true, stderr: true, tail: 15 })).toString()}`),
        )
      ).join('\n');
    assert.ok(seconds < Infinity, `the three nodes did not form a Synced cluster of 3 within 240 s:\n${await logs()}`);
    const writes = await secondsUntil(
      async () => (await php(`set_config('moodleha_power_after', '${marker}'); echo get_config('core', 'moodleha_power');`)).output.trim() === marker,
      120,
    );
    console.log(
      `all three Galera nodes killed at once: Synced cluster of 3 again ${seconds.toFixed(1)} s after they were started, Moodle writing again after ${(seconds + writes).toFixed(1)} s`,
    );
    assert.ok(writes < Infinity, 'Moodle did not write again after the cluster was restored');
    for (const node of nodes) {
      assert.match(
        (await sql(node, "SELECT value FROM moodle.mdl_config WHERE name = 'moodleha_power'")).output,
        new RegExp(marker),
        `${node} lost a write committed before the power loss`,
      );
    }
    assert.ok(MoodleClient.loggedIn((await user.get('/my/')).body), 'the user was logged out by the power loss of the database');
  });

  test('the controller re-creates a removed Galera member, Redis replica, Sentinel and load balancer without a person; the user stays logged in', async () => {
    const writer = await currentWriter();
    const db = [1, 2, 3].map((i) => n.container('db', i)).find((x) => x !== writer)!;
    const primary = await currentRedisPrimary();
    const replica = [1, 2].map((i) => n.container('redis', i)).find((x) => x !== primary)!;
    const sentinel = n.container('sentinel', 3);
    const lb = n.container('lb');
    const removed = [db, replica, sentinel, lb];
    // With their anonymous volumes (a Sentinel's /data), which `down --volumes` can no longer find once the container is gone.
    await Promise.all(removed.map((c) => docker().getContainer(c).remove({ force: true, v: true })));
    const state = async () => {
      return {
        [db]: (await galeraWhole(db)).whole,
        [replica]: /role:slave[\s\S]*master_link_status:up/.test(await redisRole(replica)),
        [sentinel]: /PONG/.test((await exec(sentinel, ['redis-cli', '-p', '26379', 'ping'])).output),
        [lb]: MoodleClient.loggedIn((await user.get('/my/')).body),
      };
    };
    const seconds = await secondsUntil(async () => Object.values(await state()).every(Boolean), 180);
    const logs = (await cli(['logs', 'autoscaler', '--tail', '20', '--spec', specFile])).stdout;
    assert.ok(
      seconds < Infinity,
      `not all back within 180 s: ${JSON.stringify(await state().catch((e: Error) => e.message))}\nthe controller's last lines:\n${logs}`,
    );
    console.log(
      `removed ${removed.join(', ')}: all re-created and serving (Galera member Synced, replica linked, Sentinel answering, the user's page through the new load balancer) ${seconds.toFixed(1)} s after the removal`,
    );
    const events = (
      JSON.parse((await cli(['status', '--json', '--spec', specFile])).stdout) as { events: Array<{ by: string; member?: string; action?: string }> }
    ).events;
    const created = events.filter((e) => e.by === 'healer' && e.action === 'created').map((e) => e.member);
    assert.deepEqual(
      removed.filter((m) => !created.includes(m)),
      [],
      `each removed member has its healer event: ${JSON.stringify(events.slice(-10))}`,
    );
  });
});

/** The sessions' Redis primary, as Sentinel 1 names it (a container name). */
function currentRedisPrimary(): Promise<string> {
  return redisPrimary(localRuntime(readSpec({ file: specFile })), SESSIONS_REDIS);
}

const SENTINELS = [1, 2, 3].map((i) => n.container('sentinel', i));
const sentinel = (s: string, ...args: string[]) => exec(s, ['redis-cli', '-p', '26379', 'sentinel', ...args]);

/** Why `replica` is not yet a replica Sentinel would promote: its link, and each Sentinel's flags for it; [] when it is. */
async function replicaProblems(replica: string): Promise<string[]> {
  const problems: string[] = [];
  const info = await redisRole(replica).catch((e: Error) => e.message);
  if (!/role:slave[\s\S]*master_link_status:up/.test(info)) problems.push(`${replica}: ${/role:\w+/.exec(info)?.[0] ?? 'no answer'}, link not up`);
  for (const s of SENTINELS) {
    const flags = await replicaFlags(s, replica);
    if (flags !== 'slave') problems.push(`${s} flags ${replica} as ${flags ?? 'unknown'}`);
  }
  return problems;
}

/**
 * Sentinel's records in a redis-cli reply (one field per line: key, value, key, value, …; a new
 * record at each `name` key, as SENTINEL REPLICAS prints them).
 */
function sentinelRecords(reply: string): Map<string, string>[] {
  const lines = reply.split('\n').map((l) => l.trim());
  const records: Map<string, string>[] = [];
  for (let i = 0; i + 1 < lines.length; i += 2) {
    if (lines[i] === 'name' || records.length === 0) records.push(new Map());
    records.at(-1)!.set(lines[i]!, lines[i + 1]!);
  }
  return records;
}

/** The flags one Sentinel gives `replica` in the sessions' group (undefined: it does not know it). */
async function replicaFlags(s: string, replica: string): Promise<string | undefined> {
  const records = sentinelRecords((await sentinel(s, 'replicas', SESSIONS_REDIS.sentinelName)).output);
  return records.find((r) => r.get('name')?.startsWith(`${replica}:`))?.get('flags');
}

/** What each Sentinel thinks of the sessions' group, and its last log lines: for a failed failover's message. */
async function sentinelView(replica: string): Promise<string> {
  const parts: string[] = [`${replica}: ${(await redisRole(replica).catch((e: Error) => e.message)).replace(/\s+/g, ' ').slice(0, 400)}`];
  for (const s of SENTINELS) {
    const primary = sentinelRecords((await sentinel(s, 'master', SESSIONS_REDIS.sentinelName)).output)[0]?.get('flags');
    const logs = (await docker().getContainer(s).logs({ stdout: true, stderr: true, tail: 20 })).toString();
    parts.push(`${s}: primary flags ${primary ?? 'unknown'}; ${replica} flags ${(await replicaFlags(s, replica)) ?? 'unknown'}\n${logs}`);
  }
  return parts.join('\n');
}

/** The Galera node the writer endpoint sends connections to (the one holding Moodle's session). */
async function currentWriter(): Promise<string> {
  for (const i of [1, 2, 3]) {
    const r = await sql(n.container('db', i), "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'moodle'");
    if (Number(r.output.trim()) > 0) return n.container('db', i);
  }
  return n.container('db', 1);
}
