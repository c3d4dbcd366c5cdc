// The real-Moodle tier: a dev cluster brought up with the CLI, then what users and operators see.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Script } from 'node:vm';
import { gunzipSync } from 'node:zlib';
import { exec, inspectContainer as inspect, sleep } from '../../src/local/containers.ts';
import { tryLease } from '../../src/local/heal-lease.ts';
import { docker, imageExists } from '../../src/local/engine/docker.ts';
import { runMigrateContainer } from '../../src/local/migrate.ts';
import { lastMigrateRun, migrateLogDir } from '../../src/local/migrate-log.ts';
import { clusterNames } from '../../src/local/names.ts';
import { readyz } from '../../src/local/readiness.ts';
import { ensureSecrets, secretFile } from '../../src/local/secrets.ts';
import { runtimeContainer } from '../../src/local/services.ts';
import type { MigrateStatus } from '../../src/runtime/cluster.ts';
import { readSpec } from '../../src/spec/read.ts';
import { cli } from '../support/cli.ts';
import { putFiles } from '../support/containers.ts';
import { MoodleClient, type Reply } from '../support/moodle-client.ts';
import { TEST_CLUSTERS } from '../support/test-clusters.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const NAME = TEST_CLUSTERS.cluster;
const HTTP = 18080;
const dir = mkdtempSync(join(tmpdir(), 'moodle-ha-cluster-'));
const specFile = join(dir, 'moodle-ha.yaml');
// Low targets and short cooldowns, so the autoscaler test sees a scale-out and a scale-in quickly.
const SCALING = 'scaling:\n  min: 1\n  max: 2\n  targetRequestsPerNode: 3\n  scaleOutCooldown: 5s\n  scaleInCooldown: 10s\n';
// A config bundle with an nginx fragment: every node, including those `scale` adds, must send its header.
const BUNDLE_HEADER = 'x-moodle-ha-bundle';
mkdirSync(join(dir, 'bundle'));
writeFileSync(join(dir, 'bundle', 'nginx.conf'), `add_header ${BUNDLE_HEADER} cluster-test always;\n`);
// A config.php too, as most sites' bundles have: a restarted node must copy it again over its own
// read-only copy (the restart test below; a node once looped on "Permission denied" there).
writeFileSync(join(dir, 'bundle', 'config.php'), "<?php\n$CFG->moodleha_cluster_test = 'bundle';\n");
/** What a page that should have been the admin's dashboard was instead: status, redirect, cookies set, and its text. */
const answerSummary = (r: Reply) =>
  `HTTP ${r.status}${r.location ? ` to ${r.location}` : ''}; set-cookie ${JSON.stringify(r.headers['set-cookie'] ?? [])}; ${MoodleClient.pageText(r.body).slice(0, 600)}`;
const SPEC = `name: ${NAME}\nports:\n  http: ${HTTP}\n  stats: 18404\n  mail: 18405\nconfigBundle: bundle\n${SCALING}`;
writeFileSync(specFile, SPEC);
const base = `http://localhost:${HTTP}`;
const n = clusterNames(NAME);
const redisCli = (args: string, service: 'redis' | 'cache' = 'redis') =>
  exec(n.container(service), ['sh', '-c', `REDISCLI_AUTH="$(cat /run/redis/secrets/redis-password)" redis-cli ${args}`]);
const php = (container: string, code: string) => exec(container, ['php', '-r', `define('CLI_SCRIPT', true); require '/var/www/moodle/config.php'; ${code}`]);

describe('dev cluster with real Moodle', { timeout: 1_800_000 }, () => {
  let adminPassword = '';
  /** up loaded the run's kept install (scripts/test.ts) instead of installing; the race test below installs for real either way. */
  let fromInstallCache = false;
  const admin = new MoodleClient(base);

  before(async () => {
    await cli(['down', '--volumes', '--spec', specFile]);
    const r = await cli(['up', '--spec', specFile], { echo: true, timeoutMs: 900_000 });
    assert.equal(r.code, 0, `up failed:\n${r.stderr.slice(-4000)}`);
    assert.match(r.stdout, new RegExp(`URL: +${base}`));
    fromInstallCache = /install cache: loaded the kept install/.test(r.stderr);
    // The commands to run next name the spec this run was given.
    for (const next of ['status', 'logs web', 'down'])
      assert.ok(r.stdout.includes(`moodle-ha ${next} -f ${specFile}\n`), `"${next}" hint without -f:\n${r.stdout}`);
    adminPassword = readFileSync(secretFile(NAME, 'admin-password'), 'utf8').trim();
  });

  after(async () => {
    if (process.env.MOODLE_HA_KEEP_TEST_CLUSTER !== '1') await cli(['down', '--volumes', '--spec', specFile]);
  });

  test('the admin password is generated and stored 0600', () => {
    assert.equal(statSync(secretFile(NAME, 'admin-password')).mode & 0o777, 0o600);
    assert.ok(adminPassword.length >= 24);
    assert.notEqual(adminPassword, 'admin');
  });

  test('the admin logs in through HAProxy with the logintoken flow', async () => {
    const page = await admin.login('admin', adminPassword);
    assert.ok(MoodleClient.loggedIn(page), 'the dashboard shows no logout link: not logged in');
  });

  test("the admin's settings pages load every class of the admin tree (a class left undeclared by a precompiled script shows here)", async () => {
    // With lib/adminlib.php compiled by opcache_compile_file() (the warm-up, or the image's baked
    // cache), these pages failed: 'Class "admin_setting_configselect_autocomplete" not found'.
    for (const path of ['/admin/search.php?query=redis', '/admin/settings.php?section=optionalsubsystems', '/admin/category.php?category=appearance']) {
      const r = await admin.get(path);
      const error = /Exception - [^<]{0,200}/.exec(r.body)?.[0];
      assert.equal(r.status, 200, `GET ${path}: HTTP ${r.status}${error ? `: ${error}` : ''}`);
      assert.ok(!error, `GET ${path}: ${error}`);
      assert.ok(MoodleClient.loggedIn(r.body), `GET ${path}: not the admin's page`);
    }
  });

  test("the theme's CSS and JS (slash arguments) are served", async () => {
    const page = (await admin.get('/my/')).body;
    const css = /href="(http[^"]+\/theme\/styles\.php\/[^"]+)"/.exec(page)?.[1];
    const js =
      /src="(http[^"]+\/lib\/javascript\.php\/[^"]+)"/.exec(page)?.[1] ?? /"(http[^"]+\/lib\/requirejs\.php\/[^"]+)"/.exec(page)?.[1]?.replace(/\\\//g, '/');
    assert.ok(css, 'no theme stylesheet link on the dashboard');
    const r = await admin.get(css.replace(base, ''));
    assert.equal(r.status, 200, `GET ${css}`);
    assert.ok(r.body.length > 10_000, `the stylesheet is only ${r.body.length} bytes`);
    if (js) assert.equal((await admin.get(js.replace(base, ''))).status, 200, `GET ${js}`);
  });

  test('MathJax comes from the node, not from a CDN: the filter names /moodle-ha/mathjax/, and the node serves it, its config and its fonts', async () => {
    const page = (await admin.get('/my/')).body;
    assert.ok(!page.includes('cdn.jsdelivr.net'), 'a page still loads MathJax from the CDN');
    const src = /<script src="([^"]+\/moodle-ha\/mathjax\/MathJax\.js[^"]*)"/.exec(page)?.[1]?.replace(/&amp;/g, '&');
    assert.ok(src?.startsWith(`${base}/moodle-ha/mathjax/MathJax.js?`) && src, `no MathJax script from the node on the dashboard: ${src}`);
    for (const [path, size] of [
      [src.replace(base, ''), 50_000],
      ['/moodle-ha/mathjax/config/Accessible.js', 200_000], // the filter's default config asks for it
      ['/moodle-ha/mathjax/jax/output/HTML-CSS/fonts/TeX/fontdata.js', 10_000],
      ['/moodle-ha/mathjax/fonts/HTML-CSS/TeX/woff/MathJax_Main-Regular.woff', 10_000],
    ] as const) {
      const r = await admin.get(path);
      assert.equal(r.status, 200, `GET ${path}`);
      assert.ok(r.bytes.length > size, `GET ${path}: only ${r.bytes.length} bytes`);
      assert.match(String(r.headers['cache-control']), /public/, `GET ${path}: not cacheable`);
    }
  });

  test('with a JavaScript module without define() in the tree, the JavaScript a node builds is what a browser decodes', async () => {
    // requirejs.php prints a line about such a module while it builds the file; PHP's own gzip then
    // began after that line, and browsers got plain text followed by gzip data
    // (ERR_CONTENT_DECODING_FAILED), from every node's first build. nginx now compresses, not PHP.
    const web = n.container('web', 1);
    await putFiles(docker().getContainer(web), '/var/www/moodle/lib/amd/build', [{ path: 'mhnodefine.min.js', content: 'var mhNoDefine = 1;\n' }]);
    const cleared = await exec(web, ['sh', '-c', 'rm -rf /var/cache/moodle/localcache/requirejs']);
    assert.equal(cleared.code, 0, cleared.output);
    const browser = new MoodleClient(base, { headers: { 'accept-encoding': 'gzip' } });
    const rev = /"jsrev":"(\d+)"/.exec((await new MoodleClient(base).get('/login/index.php')).body)?.[1];
    assert.ok(rev, 'no jsrev on the login page');
    for (const round of ['built now', 'from the cache']) {
      const r = await browser.get(`/lib/requirejs.php/${rev}/core/first.js`);
      assert.equal(r.status, 200, round);
      assert.equal(r.headers['content-encoding'], 'gzip', `${round}: sent compressed`);
      const js = gunzipSync(r.bytes).toString();
      assert.ok(js.length > 100_000, `${round}: only ${js.length} bytes`);
      assert.doesNotThrow(() => new Script(js), `${round}: not JavaScript a browser can run`);
      if (round === 'built now') assert.match(js, /^\/\/ JS module 'core\/mhnodefine' cannot be loaded/m, 'the build saw the module');
    }
  });

  test('the session lives in Redis, not in dataroot', async () => {
    const sid = admin.session!;
    const r = await redisCli(`EXISTS mdl_sess_session_${sid}`);
    assert.match(r.output.trim(), /^1$/, `no Redis key for session ${sid}: ${r.output}`);
    const ls = await exec(n.container('web', 1), ['sh', '-c', 'ls /var/www/moodledata/sessions 2>/dev/null | wc -l']);
    assert.equal(ls.output.trim(), '0');
  });

  test("a logged-in page refreshes the expiry of the session's and the user's keys (held back, then sent with the next command)", async () => {
    const keys = [`mdl_sess_session_${admin.session!}`, 'mdl_sess_user_2'];
    for (const key of keys) assert.match((await redisCli(`EXPIRE ${key} 1000`)).output.trim(), /^1$/, `no key ${key}`);
    const r = await admin.get('/my/');
    assert.ok(r.status === 200 && MoodleClient.loggedIn(r.body), answerSummary(r));
    for (const key of keys) {
      const ttl = Number((await redisCli(`TTL ${key}`)).output.trim());
      assert.ok(ttl > 28_000, `${key}: ${ttl} s to live, not the session's 8 h`);
    }
  });

  /**
   * Every command a Redis server (its container) runs from web node 1 while the admin loads `pages`
   * pages, the paths in turn (MONITOR: commands and keys, no session data asked for), and the
   * client port of each.
   */
  async function commandsFromWeb(
    container: string,
    pages: number,
    paths: readonly string[] = ['/my/'],
  ): Promise<{ lines: string[]; port: (line: string) => string | undefined }> {
    const web = await inspect(n.container('web', 1));
    const ip = Object.values(web!.NetworkSettings.Networks)[0]!.IPAddress;
    const monitor = spawn('docker', ['exec', container, 'sh', '-c', 'REDISCLI_AUTH="$(cat /run/redis/secrets/redis-password)" exec redis-cli monitor']);
    let seen = '';
    monitor.stdout.on('data', (b: Buffer) => (seen += b.toString()));
    try {
      for (let i = 0; i < 50 && !/^OK/m.test(seen); i++) await sleep(100);
      assert.match(seen, /^OK/m, 'redis-cli monitor did not start');
      for (let i = 0; i < pages; i++) {
        const path = paths[i % paths.length]!;
        const r = await admin.get(path);
        assert.ok(r.status === 200 && MoodleClient.loggedIn(r.body), `page ${i + 1} (${path}): ${answerSummary(r)}`);
      }
      await sleep(500);
    } finally {
      monitor.kill();
    }
    const lines = seen.split('\n').filter((l) => l.includes(` ${ip}:`));
    assert.ok(
      lines.length > 0,
      `no command from ${ip} seen on ${container}:\n${seen
        .split('\n')
        .slice(0, 30)
        .map((l) => l.slice(0, 90))
        .join('\n')}`,
    );
    return { lines, port: (l) => new RegExp(` ${ip.replace(/\./g, '\\.')}:(\\d+)\\]`).exec(l)?.[1] };
  }

  test("each PHP worker keeps its connection to the sessions' Redis: pages open no connection of their own and ask no INFO", async () => {
    const PAGES = 60;
    const { lines, port } = await commandsFromWeb(n.container('redis'), PAGES);
    const sessionConnections = new Set(lines.filter((l) => /"HMGET"/i.test(l)).map(port));
    const infos = lines.filter((l) => /"INFO"/i.test(l)).length;
    console.log(
      `${PAGES} logged-in pages: the web node read sessions on ${sessionConnections.size} connection(s) and asked INFO ${infos} time(s) (8 workers; Moodle's own handler: a connection and two INFO per page)`,
    );
    assert.ok(
      lines.some((l) => /"HMGET"/i.test(l)),
      'no session read from the web node seen',
    );
    assert.ok(sessionConnections.size <= 8, `sessions read on ${sessionConnections.size} connections for ${PAGES} pages: not kept per worker`);
    assert.ok(infos <= 2, `INFO asked ${infos} times for ${PAGES} pages`);
  });

  test("each page records its session lock in the locks' index with the lock's SET and takes it out with its release: the janitor reads the index, not the keyspace", async () => {
    const PAGES = 5;
    const lockKey = `mdl_sess_session_${admin.session!}.lock`;
    const { lines, port } = await commandsFromWeb(n.container('redis'), PAGES);
    const mine = lines.filter((l) => l.includes(`"${lockKey}"`));
    const sets = mine.filter((l) => /"SET" "[^"]+"/i.test(l));
    const adds = mine.filter((l) => /"ZADD" "mdl_sess_moodleha_locks" "\d+"/i.test(l));
    const removes = mine.filter((l) => /"ZREM" "mdl_sess_moodleha_locks"/i.test(l));
    assert.ok(sets.length >= PAGES, `${sets.length} SETs of ${lockKey} for ${PAGES} pages:\n${mine.join('\n')}`);
    assert.equal(adds.length, sets.length, `each try of the lock is recorded:\n${mine.join('\n')}`);
    assert.equal(removes.length, sets.length, `each release takes it out:\n${mine.join('\n')}`);
    for (const set of sets) {
      const before = lines.slice(0, lines.indexOf(set)).filter((l) => port(l) === port(set));
      assert.match(before.at(-1) ?? '', /"ZADD"/i, `the ZADD goes just before its SET, on the same connection: ${set}`);
    }
    assert.equal((await redisCli('ZCARD mdl_sess_moodleha_locks')).output.trim(), '0', 'no page in flight: the index names no lock');
  });

  test("each page reads its session's record once, in the pipeline of the lock's SET, where Moodle reads it twice after the lock", async () => {
    const PAGES = 5;
    const key = `mdl_sess_session_${admin.session!}`;
    const { lines, port } = await commandsFromWeb(n.container('redis'), PAGES);
    const mine = lines.filter((l) => l.includes(`"${key}"`) || l.includes(`"${key}.lock"`));
    const sets = mine.filter((l) => /"SET" "[^"]+\.lock"/i.test(l));
    // The record's reads: the whole record (the session manager's), or the user and data (read()'s).
    // A page that changed its session also reads three fields after its write (Moodle's write()).
    const reads = mine.filter((l) => /"HMGET" "[^"]+" ("id" "state" "sid"|"userid" "sessdata"\s*$)/i.test(l));
    assert.ok(sets.length >= PAGES, `${sets.length} lock SETs for ${PAGES} pages:\n${mine.join('\n')}`);
    assert.equal(reads.length, sets.length, `one read of the record per lock taken:\n${mine.join('\n')}`);
    for (const set of sets) {
      const next = mine.slice(mine.indexOf(set) + 1).find((l) => port(l) === port(set));
      assert.match(
        next ?? '',
        /"HMGET" "[^"]+" "id" "state" "sid" "userid" "sessdata"/i,
        `the record's read goes just after its SET, on the same connection: ${set}`,
      );
    }
  });

  test("session caches live in the user's session: the pages send the caches' server none of their commands", async () => {
    const PAGES = 6;
    // The dashboard, and a course page, on which core/courseeditorstate (a session cache) is made.
    const made = await php(
      n.container('web', 1),
      "require_once($CFG->dirroot . '/course/lib.php'); $c = $DB->get_record('course', ['shortname' => 'mh-sessioncache']) ?: create_course((object) ['fullname' => 'Session caches', 'shortname' => 'mh-sessioncache', 'category' => 1]); echo $c->id;",
    );
    assert.match(made.output.trim(), /^\d+$/, `course not made: ${made.output}`);
    const { lines } = await commandsFromWeb(n.container('cache'), PAGES, ['/my/', `/course/view.php?id=${made.output.trim()}`]);
    // Moodle keys a session cache's entries by user and session (u<id>_<sid>); in Redis they were a round trip each.
    const mine = `u2_${admin.session!}`;
    const sessionCache = lines.filter((l) => l.includes(mine));
    assert.deepEqual(sessionCache, [], `${sessionCache.length} command(s) of the admin's session caches reached the caches' server`);
    assert.ok(lines.length > 0, "no command from the web node seen on the caches' server: the check saw nothing");
    // They are in the session's record instead (cachestore_session keeps them in $SESSION), in the sessions' Redis.
    // (igbinary: the names are in it as they are.)
    const key = `mdl_sess_session_${admin.session!}`;
    const data = (await redisCli(`HGET ${key} sessdata`)).output;
    const bytes = (await redisCli(`HSTRLEN ${key} sessdata`)).output.trim();
    console.log(
      `${PAGES} logged-in pages: ${lines.length} command(s) to the caches' server, none of a session cache; the admin's session data is ${bytes} bytes`,
    );
    assert.match(data, /cachestore_session.*courseeditorstate/s, "the session's record holds no session cache");
  });

  test("each PHP worker keeps its connection to the caches' Redis: pages open no connection of their own", async () => {
    const PAGES = 60;
    const { lines, port } = await commandsFromWeb(n.container('cache'), PAGES);
    // One connection per worker and request (the factory's store instances share it); Moodle's own store opened one per page.
    const connections = new Set(lines.map(port));
    // A read: the store's own (HGET, HMGET, GET), or the local copies' one EVAL of HGETs that reads their
    // versions (cache-local-copies.php): on warm pages it is often the only command a page sends, since
    // the session caches stopped coming here (12460a5).
    const reads = lines.filter((l) => /"(HGET|HMGET|GET)"|"EVAL" "[^"]*redis\.call\('HGET'/i.test(l)).length;
    console.log(
      `${PAGES} logged-in pages: the web node sent the caches' server ${lines.length} command(s), ${reads} of them reads, on ${connections.size} connection(s) (8 workers; Moodle's own store: a connection per page)`,
    );
    assert.ok(reads > 0, "no cache read from the web node seen: the caches' store is not in use");
    assert.ok(connections.size <= 8, `caches read on ${connections.size} connections for ${PAGES} pages: not kept per worker`);
  });

  test("MUC maps the application caches to the Redis store on the caches' own server (never the sessions'), the session caches to the session", async () => {
    const r = await exec(n.container('web', 1), [
      'php',
      '-r',
      "define('MOODLE_INTERNAL', true); include '/var/www/moodledata/muc/config.php'; echo json_encode(['stores' => array_map(fn($s) => $s['plugin'], $configuration['stores']), 'server' => $configuration['stores']['moodleha_redis']['configuration']['server'] ?? null, 'modes' => $configuration['modemappings']]);",
    ]);
    const muc = JSON.parse(r.output) as { stores: Record<string, string>; server: string; modes: Array<{ mode: number; store: string }> };
    assert.equal(muc.stores.moodleha_redis, 'redis');
    assert.equal(muc.server, `${n.cachePrimary}:6379`);
    const policy = await exec(n.container('cache'), [
      'sh',
      '-c',
      'REDISCLI_AUTH="$(cat /run/redis/secrets/redis-password)" redis-cli config get maxmemory-policy',
    ]);
    assert.match(policy.output, /allkeys-lru/);
    assert.match((await redisCli('config get maxmemory-policy')).output, /noeviction/, "the sessions' server must never evict");
    const storeFor = (mode: number) => muc.modes.filter((m) => m.mode === mode).map((m) => m.store);
    assert.deepEqual(storeFor(1), ['moodleha_redis'], 'application cache');
    assert.deepEqual(storeFor(2), ['default_session'], 'session cache: in the session, which is in Redis already');
    assert.ok(!storeFor(4).includes('moodleha_redis'), 'the request cache must stay in memory');
  });

  test('a file uploaded through Moodle is in the shared volume', async () => {
    const page = (await admin.get('/user/files.php')).body;
    const sesskey = MoodleClient.sesskey(page);
    assert.ok(sesskey, 'no sesskey on the private files page');
    const itemid = /"itemid":(\d+)/.exec(page)?.[1] ?? /name="files_filemanager" value="(\d+)"/.exec(page)?.[1];
    assert.ok(itemid, 'no draft item id on the private files page');
    const repo = await php(
      n.container('web', 1),
      'echo $DB->get_field_sql("SELECT i.id FROM {repository_instances} i JOIN {repository} r ON r.id = i.typeid WHERE r.type = \'upload\'");',
    );
    const content = Buffer.from(`moodle-ha upload ${Date.now()} ${Math.random()}\n`);
    const up = await admin.postMultipart(
      `/repository/repository_ajax.php?action=upload`,
      {
        sesskey: sesskey!,
        repo_id: repo.output.trim(),
        itemid: itemid!,
        ctx_id: '1',
        savepath: '/',
        title: 'probe.txt',
        author: 'test',
        license: 'allrightsreserved',
      },
      { field: 'repo_upload_file', name: 'probe.txt', content },
    );
    assert.equal(up.status, 200, up.body.slice(0, 300));
    assert.match(up.body, /probe\.txt/, `upload answer: ${up.body.slice(0, 300)}`);
    const { createHash } = await import('node:crypto');
    const sha1 = createHash('sha1').update(content).digest('hex');
    // Read it from the cron container: another container on the same shared volume.
    const r = await exec(n.container('cron'), ['cat', `/var/www/moodledata/filedir/${sha1.slice(0, 2)}/${sha1.slice(2, 4)}/${sha1}`]);
    assert.equal(r.code, 0, `file ${sha1} not in the shared volume: ${r.output}`);
    assert.equal(r.output, content.toString());
  });

  test("cron's scheduled tasks ran, in the cron container only", async () => {
    let ran = 0;
    for (let i = 0; i < 60 && ran === 0; i++) {
      const r = await php(n.container('web', 1), "echo $DB->count_records_select('task_scheduled', 'lastruntime > 0');");
      ran = Number(r.output.trim());
      if (ran === 0) await sleep(3000);
    }
    assert.ok(ran > 0, 'no scheduled task has a last run time after 180 s');
    const procs = await exec(n.container('web', 1), ['sh', '-c', 'ps -eo args | grep -c "[c]ron.php" || true']);
    assert.equal(procs.output.trim(), '0', 'cron must not run in a web container');
  });

  test("the admin's cron check is OK for the cron container's rhythm (a process every keep-alive), and still warns when cron is late", async () => {
    const web = n.container('web', 1);
    // Moodle's own check (Notifications, System status), as a cron process starting every 300 s + 10 s pause leaves it.
    const check = (sinceStart: number, interval: number) =>
      php(
        web,
        `set_config('lastcronstart', time() - ${sinceStart}, 'tool_task'); set_config('lastcroninterval', ${interval}, 'tool_task'); ` +
          "echo $CFG->expectedcronfrequency, ' ', (new \\tool_task\\check\\cronrunning())->get_result()->get_status();",
      ).then((r) => r.output.trim().split('\n').pop());
    const saved = await php(web, "echo get_config('tool_task', 'lastcronstart'), ' ', get_config('tool_task', 'lastcroninterval');");
    try {
      assert.equal(await check(305, 312), '360 ok', 'a healthy keep-alive cron must not warn');
      assert.equal(await check(30, 700), '360 warning', 'cron processes 700 s apart must warn');
      assert.equal(await check(500, 312), '360 warning', 'no cron start for 500 s must warn');
    } finally {
      const [start, interval] = saved.output.trim().split(' ');
      await php(web, `set_config('lastcronstart', ${Number(start) || 0}, 'tool_task'); set_config('lastcroninterval', ${Number(interval) || 0}, 'tool_task');`);
    }
  });

  test("Moodle's own checks (admin/cli/checks.php): no error or warning for what the cluster owns; anything else not OK is a known exception", async () => {
    // The checks this cluster owns, by type (Moodle 4.5's refs): cron and scheduled tasks (tool_task),
    // the environment and the code's upgrade state, what nginx serves and how PHP is configured.
    const OWNED: Record<string, readonly string[]> = {
      status: [
        'core_environment',
        'core_upgradecheck',
        'tool_task_cronrunning',
        'tool_task_maxfaildelay',
        'tool_task_adhocqueue',
        'tool_task_longrunningtasks',
      ],
      security: ['core_publicpaths', 'core_displayerrors', 'core_preventexecpath', 'core_unsecuredataroot', 'core_configrw', 'core_webcron'],
      performance: ['core_designermode', 'core_cachejs', 'core_debugging'],
    };
    // Not the cluster's: each may warn or fail here, with the reason.
    const NOT_OURS: Record<string, string> = {
      core_cookiesecure: 'the local cluster serves http (on AWS the site is https and cookies are secure)',
      core_riskbackup: "Moodle's default roles may back up user data: a site's role policy",
      core_dbschema: "the site's own local/corechanges plugin adds columns to mdl_user",
    };
    const web = n.container('web', 1);
    const problems: string[] = [];
    const outputs: string[] = [];
    for (const [type, owned] of Object.entries(OWNED)) {
      // -v lists every check, one "STATUS | Name (ref)" row each (colours stripped).
      const run = await exec(web, ['php', '/var/www/moodle/admin/cli/checks.php', `--type=${type}`, '-v']);
      const text = run.output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
      outputs.push(`checks.php --type=${type} -v (exit ${run.code}):\n${text}`);
      const statuses = new Map([...text.matchAll(/^\s*([A-Z]+)\s*\|\s*.+?\(([a-z0-9_]+)\)\s*$/gm)].map((m) => [m[2]!, m[1]!.toLowerCase()]));
      for (const ref of owned) {
        const status = statuses.get(ref);
        if (status === undefined) problems.push(`${type}: ${ref} is not among Moodle's checks`);
        else if (!['ok', 'info', 'na'].includes(status)) problems.push(`${type}: ${ref} is ${status}`);
      }
      for (const [ref, status] of statuses)
        if (!['ok', 'info', 'na'].includes(status) && !(ref in NOT_OURS) && !owned.includes(ref))
          problems.push(`${type}: ${ref} is ${status}, and it is not a known exception`);
    }
    assert.deepEqual(problems, [], outputs.join('\n'));
  });

  test('/readyz is 503 while Redis or the database is stopped; /healthz stays 200', async () => {
    const web = n.container('web', 1);
    assert.equal((await readyz(web)).ready, true);
    for (const service of ['redis', 'cache', 'db'] as const) {
      // Held like an operator's change: the controller's healer would start it again meanwhile.
      const held = tryLease(NAME, `test: ${service} stopped`);
      assert.ok(held, 'nothing else changes the cluster now');
      await docker().getContainer(n.container(service)).stop({ t: 5 });
      try {
        const r = await readyz(web);
        assert.equal(r.ready, false, `${service} stopped but /readyz says ready`);
        assert.match(r.answer, /503/);
        assert.match(r.answer, { db: /"database":"unreachable/, redis: /"redis":"unreachable/, cache: /"cache":"unreachable/ }[service]);
        const health = await fetch(`${base}/healthz`);
        assert.equal(health.status, 200, `/healthz through HAProxy with ${service} stopped`);
      } finally {
        await docker().getContainer(n.container(service)).start();
        held.release();
      }
      for (let i = 0; i < 60 && !(await readyz(web)).ready; i++) await sleep(1000);
      assert.equal((await readyz(web)).ready, true, `not ready again after ${service} came back`);
    }
  });

  test('restarting the web container keeps the user logged in; the node warms its caches from the hot list', async () => {
    const web = n.container('web', 1);
    // The cluster's hot list: the scripts this node's users ran (each node publishes it every 5 min).
    const published = await exec(web, ['php', '/opt/moodle-ha/php/warm-node.php', 'publish']);
    assert.equal(published.code, 0, published.output);
    const listed = Number((await exec(web, ['sh', '-c', 'wc -l < /var/www/moodledata/moodle-ha/hot-scripts.txt'])).output.trim());
    assert.ok(listed > 500, `the hot list has ${listed} scripts`);
    const since = Math.floor(Date.now() / 1000);
    await docker().getContainer(web).restart({ t: 30 });
    let page = '';
    for (let i = 0; i < 60; i++) {
      const r = await admin.get('/my/');
      if (r.status === 200) {
        page = r.body;
        break;
      }
      await sleep(1000);
    }
    assert.ok(MoodleClient.loggedIn(page), 'logged out after the web container restarted');
    const again = await inspect(web);
    assert.equal(again?.RestartCount, 0, `${web} restarted by its policy after docker restart (its log: "moodle-ha logs web")`);
    assert.equal((await php(web, 'echo $CFG->moodleha_cluster_test;')).output.trim(), 'bundle', "the bundle's config.php after the restart");
    // HAProxy may still send a request in the second before its check sees the 503: the warm-up
    // line comes when the warm-up ends (its budget: MOODLE_WARM_SECONDS).
    let log = '';
    for (let i = 0; i < 60 && !/moodle-ha\[warm\]: (warm in|warm-up stopped|ERROR)/.test(log); i++) {
      if (i > 0) await sleep(500);
      log = (await docker().getContainer(web).logs({ stdout: true, stderr: true, since })).toString();
    }
    const warm =
      /moodle-ha\[warm\]: warm in ([\d.]+) s: OPcache (\d+) scripts \((\d+) of the hot list's (\d+) compiled now, (\d+) missing\), (\d+) string sets; login page [\d.]+ s; CSS and JavaScript (\d+) files/.exec(
        log,
      );
    assert.ok(warm, `no warm-up line in the restarted node's log:\n${log.slice(-3000)}`);
    const [secs, cached, compiled, hot, missing, strings, files] = warm.slice(1).map(Number) as [number, number, number, number, number, number, number];
    console.log(
      `restarted node warm in ${secs} s: ${cached} scripts in OPcache (${compiled} compiled from a hot list of ${hot}), ${strings} string sets, ${files} CSS and JS files`,
    );
    // Class files are left to compile on first use (warm.php says why), so OPcache need not hold the whole list.
    assert.ok(hot >= listed && cached >= compiled, `OPcache holds ${cached} scripts, the hot list ${hot}`);
    assert.ok(compiled > 0 && missing === 0, `${compiled} compiled, ${missing} missing`);
    assert.ok(strings > 100 && files >= 3, `${strings} string sets, ${files} CSS and JS files`);
    assert.doesNotMatch(log, /moodle-ha\[warm\]: (ERROR|warm-up stopped)/);
  });

  test('two migrates at once on an empty database: exactly one installs, both exit 0', async () => {
    const { spec } = readSpec({ file: specFile });
    const tags = { runtime: (await docker().getContainer(n.container('web', 1)).inspect()).Config.Image, mariadb: '', redis: '', haproxy: '', mail: '' };
    const secrets = ensureSecrets(NAME);
    const second = (i: number) => {
      const c = runtimeContainer(spec, tags, secrets, 'migrate');
      return {
        ...c,
        name: `${NAME}-migrate-race-${i}`,
        env: { ...c.env, MOODLE_DB_PREFIX: 'race_', MOODLE_REDIS_PREFIX: 'race', MOODLE_DATAROOT: '/var/www/moodledata/race' },
      };
    };
    const runs = await Promise.all([runMigrateContainer(second(1)), runMigrateContainer(second(2))]);
    // Each run's own lines (not the installer's), so a failure shows what each one did.
    const said = runs
      .map(
        (r, i) =>
          `migrate ${i + 1}: exit ${r.exitCode}, ${r.result}\n${r.log
            .split('\n')
            .filter((l) => /^migrate\[/.test(l))
            .join('\n')}`,
      )
      .join('\n');
    assert.deepEqual(
      runs.map((r) => r.exitCode),
      [0, 0],
      `${said}\n${runs.map((r) => r.log.slice(-1500)).join('\n----\n')}`,
    );
    assert.deepEqual(runs.map((r) => r.result).sort(), ['installed', 'unchanged'], said);
    assert.ok(
      runs.some((r) => /another migrate holds the lock; waiting/.test(r.log)),
      `the second migrate did not wait for the lock:\n${said}`,
    );
  });

  test("migrate status: nothing pending, the database at the code's release and version, the lock free", async () => {
    const r = await cli(['migrate', 'status', '--json', '--spec', specFile]);
    assert.equal(r.code, 0, r.stderr);
    const st = JSON.parse(r.stdout) as MigrateStatus;
    assert.equal(st.pending, 'none', r.stdout);
    assert.ok(st.database, r.stdout);
    assert.deepEqual(
      [st.database.release, Number(st.database.version), st.database.codehash],
      [st.code.release, Number(st.code.version), st.code.codehash],
      'the database has what the code is (release, version, code hash)',
    );
    assert.match(st.database.release, /^4\.5\.\d+/);
    const code = JSON.parse((await cli(['status', '--json', '--spec', specFile])).stdout) as { moodle: { release: string; version: string } };
    assert.deepEqual([st.code.release, Number(st.code.version)], [code.moodle.release, Number(code.moodle.version)], "the image's recorded code");
    assert.equal(st.lockHeld, false);
    assert.equal(st.running, null);
    // After a load from the install cache, up's migrate found the site installed.
    assert.deepEqual([st.lastRun?.result, st.lastRun?.exitCode], [fromInstallCache ? 'unchanged' : 'installed', 0], "up's migrate is the last run kept");
    const text = await cli(['migrate', 'status', '--spec', specFile]);
    assert.match(text.stdout, /^pending: +nothing: the database matches the code$/m, text.stdout);
  });

  test("migrate: unchanged, and no cache purged; migrate log and logs migrate then show that run's whole log", async () => {
    // A purge would make every node empty its localcachedir under its users' requests (a 500 when it
    // races one: configure.php), and bump every course's cache revision.
    const purgeMarks = () =>
      php(n.container('web', 1), "echo get_config('core', 'localcachedirpurged'), ' ', $DB->get_field_sql('SELECT SUM(cacherev) FROM {course}');").then((x) =>
        x.output.trim(),
      );
    const marksBefore = await purgeMarks();
    const r = await cli(['migrate', '--spec', specFile], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.match(r.stdout, /^migrate: unchanged \(exit 0, [\d.]+ s\)/);
    assert.match(r.stderr, /migrate\[ *[\d.]+s\]: MIGRATE-RESULT unchanged/, 'its progress lines, as up prints them');
    assert.match(r.stderr, /recorded code hash \w+: unchanged, no cache purged/);
    assert.match(marksBefore, /^\d+ \d+$/);
    assert.equal(await purgeMarks(), marksBefore, "localcachedirpurged and the courses' cacherev, before and after the migrate");
    const last = lastMigrateRun(NAME);
    assert.equal(last?.result, 'unchanged');
    const log = await cli(['migrate', 'log', '--spec', specFile]);
    assert.equal(log.code, 0, log.stderr);
    assert.equal(log.stdout, last!.log);
    assert.match(log.stdout, /holding the migrate lock[\s\S]*MIGRATE-RESULT unchanged[\s\S]*lock released/);
    assert.match(log.stderr, /^# migrate run of .* UTC to .* UTC: unchanged, exit 0$/m);
    const logs = await cli(['logs', 'migrate', '--spec', specFile]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, log.stdout);
    for (const f of readdirSync(migrateLogDir(NAME))) assert.equal(statSync(join(migrateLogDir(NAME), f)).mode & 0o777, 0o600, f);
  });

  test('a second migrate while one runs attaches to it and waits; the first is never removed and ends with exit 0', async () => {
    const before = new Set(readdirSync(migrateLogDir(NAME)));
    // Hold migrate's own database lock, so the first migrate container runs (waiting for the lock)
    // until the second command has found it running and attached; then let it go. (A fixed hold
    // of 40 s cost the test 30 s of waiting.) SLEEP(300) is only the bound if the release never comes.
    const HOLD = 'SELECT SLEEP(300)';
    const lock = exec(n.container('db'), ['mariadb', '--protocol=socket', '-N', '-s', '-e', `SELECT GET_LOCK('moodle-ha:migrate:moodle:mdl_', 0); ${HOLD};`]);
    let released: Promise<unknown> | undefined;
    const release = () =>
      exec(n.container('db'), [
        'sh',
        '-c',
        `for id in $(mariadb --protocol=socket -N -s -e "SELECT id FROM information_schema.processlist WHERE info = '${HOLD}'"); do mariadb --protocol=socket -e "KILL $id"; done`,
      ]);
    await sleep(1000);
    const first = cli(['migrate', '--spec', specFile], { timeoutMs: 300_000 });
    let startedAt = '';
    for (let i = 0; i < 60 && !startedAt; i++) {
      const c = await docker()
        .getContainer(n.container('migrate'))
        .inspect()
        .catch(() => undefined);
      if (c?.State.Running) startedAt = c.State.StartedAt;
      else await sleep(500);
    }
    assert.ok(startedAt, 'the first migrate container did not start within 30 s');
    const second = await cli(['migrate', '--spec', specFile], {
      timeoutMs: 400_000,
      // Attached, and showing the first one's log from its start (its wait for the lock): release it.
      onStderr: (said) => {
        if (!released && /is running; waiting for it/.test(said) && /another migrate holds the lock; waiting/.test(said)) released = release();
      },
    });
    const one = await first;
    await released;
    await lock;
    assert.ok(released, `the second migrate never said it attached to the first:\n${second.stderr.slice(-3000)}`);
    assert.equal(one.code, 0, `the first migrate did not end well (killed?):\n${one.stderr.slice(-3000)}`);
    assert.match(one.stdout, /^migrate: unchanged \(exit 0/);
    assert.match(one.stderr, /another migrate holds the lock; waiting/);
    assert.equal(second.code, 0, second.stderr.slice(-3000));
    assert.match(second.stderr, new RegExp(`a migrate started at ${startedAt.replace('T', ' ').slice(0, 19)} UTC is running; waiting for it`), second.stderr);
    assert.match(second.stderr, /another migrate holds the lock; waiting/, "the second shows the first one's log from its start");
    assert.match(second.stdout, /^the migrate that was running ended: unchanged \(exit 0/);
    const added = readdirSync(migrateLogDir(NAME)).filter((f) => !before.has(f) && f.endsWith('.json'));
    assert.equal(added.length, 1, `one run, kept once: ${added.join(', ')}`);
    assert.equal(lastMigrateRun(NAME)?.startedAt, startedAt);
  });

  // The upgrade itself (a newer plugin version under users, the step run once, maintenance mode,
  // the early node not ready, pruning) is upgrade.test's; here, a plugin added to a running site.
  test('a plugin added to a running site: up builds a new image and migrate upgrades; the previous image is kept', async () => {
    const pluginDir = join(dir, 'probe-2026010100');
    cpSync(join(FIXTURES, 'plugins', 'moodlehaprobe'), pluginDir, { recursive: true });
    writeFileSync(specFile, `${SPEC}plugins:\n  - component: local_moodlehaprobe\n    source: ${pluginDir}\n    version: 2026010100\n`);
    const imageOfWeb1 = async () => (await docker().getContainer(n.container('web', 1)).inspect()).Image;
    const first = await imageOfWeb1();
    const r = await cli(['up', '--spec', specFile], { timeoutMs: 900_000 });
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.match(r.stdout, /migrate: upgraded/, 'adding a plugin is an upgrade');
    const config = JSON.parse((await php(n.container('web', 1), "echo json_encode(get_config('local_moodlehaprobe'));")).output) as Record<string, string>;
    assert.equal(config.version, '2026010100');
    assert.notEqual(await imageOfWeb1(), first, 'a new plugin makes a new runtime image');
    assert.ok(await imageExists(first), 'the image the cluster ran before this up is kept');
  });

  test('status shows every service and the web node ready', async () => {
    const r = await cli(['status', '--json', '--spec', specFile]);
    assert.equal(r.code, 0, r.stderr);
    const st = JSON.parse(r.stdout) as {
      cluster: string;
      url: string;
      profile: string;
      moodle: { release: string; version: string; source: string };
      image: { tag: string; id: string };
      services: Array<{ service: string; state: string; health: string }>;
      lb: Array<{ status: string }>;
      redis: Array<{
        member: string;
        holds: string;
        role: string;
        usedBytes: number;
        maxBytes: number;
        policy: string;
        sessions?: { count: number; meanBytes: number };
      }>;
    };
    assert.deepEqual([st.cluster, st.url, st.profile], [NAME, base, 'dev']);
    assert.match(st.moodle.release, /^4\.5\.\d+ /, JSON.stringify(st.moodle));
    assert.match(st.moodle.version, /^20\d{8}\.\d+$/);
    const web1 = await docker().getContainer(n.container('web', 1)).inspect();
    assert.deepEqual(st.image, { tag: web1.Config.Image, id: web1.Image });
    assert.match(st.image.tag, /^moodle-ha\/runtime:4\.5\.\d+-[0-9a-f]{16}$/);
    // autoscaler: the controller container, which heals the cluster, runs whenever the cluster runs.
    assert.deepEqual([...new Set(st.services.map((x) => x.service))].sort(), ['autoscaler', 'cache', 'cron', 'db', 'lb', 'mail', 'redis', 'web']);
    assert.ok(
      st.services.every((x) => x.state === 'running'),
      JSON.stringify(st.services),
    );
    assert.equal(st.services.find((x) => x.service === 'web')?.health, 'ready');
    assert.equal(st.services.find((x) => x.service === 'db')?.health, 'healthy');
    assert.ok(Array.isArray(st.lb) && st.lb.length === 1 && st.lb[0]!.status === 'UP', JSON.stringify(st.lb));
    // Redis: how full each server is; the sessions' primary also counts the sessions (the admin's,
    // logged in above, among them) and measures them: it never evicts, so full means no new logins.
    const [sessions, caches] = [st.redis.find((x) => x.holds === 'sessions'), st.redis.find((x) => x.holds === 'caches')];
    assert.deepEqual([sessions?.member, sessions?.role, sessions?.policy], [n.container('redis'), 'master', 'noeviction'], JSON.stringify(st.redis));
    assert.ok(sessions!.sessions && sessions!.sessions.count >= 1 && sessions!.sessions.meanBytes > 100, JSON.stringify(sessions));
    assert.ok(sessions!.usedBytes > 0 && sessions!.usedBytes < sessions!.maxBytes, JSON.stringify(sessions));
    assert.deepEqual([caches?.member, caches?.policy, caches?.sessions], [n.container('cache'), 'allkeys-lru', undefined], JSON.stringify(caches));
    const text = await cli(['status', '--spec', specFile]);
    const line = /sessions and caches \(Redis\):\n {2}\S+ +sessions +\d.* \d+ sessions, [\d.]+ KiB each \(mean of \d+\): room for about [\d,]+ more\n/.exec(
      text.stdout,
    );
    assert.ok(line, text.stdout);
    console.log(line[0].trim());
  });

  test('scale out to 2 nodes, then in to 1 under load: no request fails', async () => {
    let r = await cli(['scale', '2', '--spec', specFile], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    const spec = readSpec({ file: specFile }).spec;
    const { webServers } = await import('../../src/local/lb-runtime.ts');
    const withoutBundle: number[] = [];
    const loggedOut: string[] = [];
    for (let i = 0; i < 20; i++) {
      const page = await admin.get('/my/');
      if (page.headers[BUNDLE_HEADER] !== 'cluster-test') withoutBundle.push(i);
      if (!MoodleClient.loggedIn(page.body)) loggedOut.push(`request ${i}: ${answerSummary(page)}`);
    }
    assert.deepEqual(withoutBundle, [], "answers without the config bundle's header: the node scale added lacks the bundle");
    assert.deepEqual(loggedOut, [], 'scaling out logged the admin out');
    const two = await webServers(spec);
    assert.deepEqual(
      two.map((s) => s.status),
      ['UP', 'UP'],
      JSON.stringify(two),
    );
    assert.ok(
      two.every((s) => s.totalRequests > 0),
      `both nodes must serve: ${JSON.stringify(two)}`,
    );

    let stop = false;
    const outcomes = { ok: 0, failed: [] as string[] };
    const users = Array.from({ length: 4 }, () => new MoodleClient(base));
    const loops = users.map(async (u) => {
      while (!stop) {
        try {
          const res = await u.get('/login/index.php');
          if (res.status === 200) outcomes.ok++;
          else outcomes.failed.push(`HTTP ${res.status}`);
        } catch (e) {
          outcomes.failed.push((e as Error).message);
        }
      }
    });
    await sleep(2000);
    r = await cli(['scale', '1', '--spec', specFile], { timeoutMs: 300_000 });
    await sleep(2000);
    stop = true;
    await Promise.all(loops);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`${NAME}-web-2 removed .*drained in \\d+ ms`));
    assert.deepEqual(outcomes.failed, [], `${outcomes.failed.length} of ${outcomes.ok + outcomes.failed.length} requests failed during scale-in`);
    assert.ok(outcomes.ok > 20, `too few requests to judge (${outcomes.ok})`);
    assert.deepEqual(
      (await webServers(spec)).map((s) => s.server),
      [n.container('web', 1)],
    );
    const last = await admin.get('/my/');
    assert.ok(MoodleClient.loggedIn(last.body), `scaling in logged the admin out: ${answerSummary(last)}`);
  });

  test('autoscaler: a load step adds a node, an idle period returns to min', async () => {
    const { runAutoscaler } = await import('../../src/ops/autoscaler/loop.ts');
    const { localRuntime } = await import('../../src/local/runtime.ts');
    const abort = new AbortController();
    const seen: Array<{ to: number; at: number; ms: number }> = [];
    const ticks: string[] = [];
    const controller = runAutoscaler(localRuntime(readSpec({ file: specFile })), {
      intervalMs: 2000,
      durationMs: 240_000,
      signal: abort.signal,
      onTick: (l) => ticks.push(l),
      onEvent: (e, ms) => seen.push({ to: e.to, at: Date.now(), ms }),
    });
    let stop = false;
    const loadStart = Date.now();
    const loops = Array.from({ length: 4 }, () => new MoodleClient(base)).map(async (u) => {
      while (!stop && Date.now() - loadStart < 60_000 && !seen.some((e) => e.to === 2)) await u.get('/login/index.php').catch(() => undefined);
    });
    await Promise.all(loops);
    stop = true;
    const out = seen.find((e) => e.to === 2);
    assert.ok(out, `no scale-out under load; last decisions:\n${ticks.slice(-5).join('\n')}`);
    console.log(
      `autoscaler: load step → second node serving in ${((out.at - loadStart) / 1000).toFixed(1)} s (scale-out itself ${(out.ms / 1000).toFixed(1)} s)`,
    );
    const idleStart = Date.now();
    while (!seen.some((e) => e.to === 1) && Date.now() - idleStart < 90_000) await sleep(1000);
    abort.abort();
    await controller;
    const back = seen.find((e) => e.to === 1);
    assert.ok(back, `no scale-in after 90 s idle; last decisions:\n${ticks.slice(-5).join('\n')}`);
    console.log(`autoscaler: idle → back to 1 node in ${((back.at - idleStart) / 1000).toFixed(1)} s`);
  });

  test('up after scale keeps the load balancer (reconfigured in place, never recreated)', async () => {
    const spec = readSpec({ file: specFile }).spec;
    const { webServers } = await import('../../src/local/lb-runtime.ts');
    let r = await cli(['scale', '2', '--spec', specFile], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    const lb = docker().getContainer(n.container('lb'));
    const before = await lb.inspect();
    // As if an older moodle-ha had written it: up must bring the current configuration.
    assert.equal((await exec(n.container('lb'), ['sh', '-c', 'echo "# older template" >> /etc/haproxy/haproxy.cfg'])).code, 0);
    r = await cli(['up', '--spec', specFile], { timeoutMs: 600_000 });
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.match(r.stdout + r.stderr, new RegExp(`${n.container('lb')}: configuration reloaded in place \\(2 web nodes\\)`));
    const after = await lb.inspect();
    assert.equal(after.Id, before.Id, 'the LB container was recreated');
    assert.equal(after.State.StartedAt, before.State.StartedAt, 'the LB container was restarted');
    assert.doesNotMatch((await exec(n.container('lb'), ['cat', '/etc/haproxy/haproxy.cfg'])).output, /older template/);
    assert.deepEqual(
      (await webServers(spec)).map((s) => [s.server, s.status]),
      [
        [n.container('web', 1), 'UP'],
        [n.container('web', 2), 'UP'],
      ],
    );
    r = await cli(['scale', '1', '--spec', specFile], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
  });

  /**
   * Runs `work` while 4 users GET the login page without pause and the load balancer's servers are
   * sampled every 200 ms: the requests that failed, how many succeeded, the fewest UP servers
   * sampled, and the fewest web containers running at any moment (from the engine's start and die
   * events: exact, not sampled).
   */
  async function whilePolled<T>(work: () => Promise<T>): Promise<{ result: T; ok: number; failed: string[]; fewestUp: number; fewestRunning: number }> {
    const spec = readSpec({ file: specFile }).spec;
    const { webServers } = await import('../../src/local/lb-runtime.ts');
    let stop = false;
    const seen = { ok: 0, failed: [] as string[], fewestUp: Number.POSITIVE_INFINITY };
    const users = Array.from({ length: 4 }, () => new MoodleClient(base)).map(async (u) => {
      while (!stop) {
        try {
          const res = await u.get('/login/index.php');
          if (res.status === 200) seen.ok++;
          else seen.failed.push(`HTTP ${res.status}`);
        } catch (e) {
          seen.failed.push((e as Error).message);
        }
      }
    });
    const sampler = (async () => {
      while (!stop) {
        const servers = await webServers(spec).catch(() => undefined); // unreadable for an instant while HAProxy reloads
        if (servers) seen.fewestUp = Math.min(seen.fewestUp, servers.filter((x) => x.status.startsWith('UP')).length);
        await sleep(200);
      }
    })();
    await sleep(2000);
    // The engine's start and die events of the web containers, followed live (its history keeps
    // only the last few hundred events, which health checks' execs fill within seconds).
    const running = new Set(
      (await docker().listContainers({ filters: { label: [`io.moodle-ha.cluster=${NAME}`, 'io.moodle-ha.service=web'] } })).map((c) => c.Id),
    );
    let fewestRunning = running.size;
    const events = (await docker().getEvents({
      filters: { type: ['container'], event: ['start', 'die'], label: [`io.moodle-ha.cluster=${NAME}`, 'io.moodle-ha.service=web'] },
    })) as unknown as NodeJS.ReadableStream & { destroy(): void };
    let pending = '';
    events.on('data', (b: Buffer) => {
      pending += String(b);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines.filter(Boolean)) {
        const e = JSON.parse(line) as { id: string; status?: string; Action?: string };
        const action = e.Action ?? e.status;
        if (action === 'start') running.add(e.id);
        if (action === 'die') running.delete(e.id);
        fewestRunning = Math.min(fewestRunning, running.size);
      }
    });
    try {
      const result = await work();
      await sleep(1000); // the engine's last events
      return { result, ...seen, fewestRunning };
    } finally {
      events.destroy();
      await sleep(2000);
      stop = true;
      await Promise.all([...users, sampler]);
    }
  }

  const webIds = async (count: number) =>
    Promise.all(
      Array.from({ length: count }, (_, i) =>
        docker()
          .getContainer(n.container('web', i + 1))
          .inspect()
          .then((c) => c.Id),
      ),
    );

  // A config-bundle edit replaces every web node; the roll is interrupted in the middle and the next
  // up finishes it. The same edit rolled without a break, under the drills' load, is the
  // config-change drill (a test of its own here cost CI 72 s).
  test('Ctrl-C during a rolling up after a config-bundle edit, then up again: it carries on from there, no request fails, the load balancer never has fewer UP nodes, no extra node is left', async () => {
    const { plannedWebNodes } = await import('../../src/local/scale.ts');
    const count = plannedWebNodes(readSpec({ file: specFile }).spec);
    const before = await webIds(count);
    writeFileSync(join(dir, 'bundle', 'nginx.conf'), `add_header ${BUNDLE_HEADER} cluster-test-interrupted always;\n`);
    const polled = await whilePolled(async () => {
      // Interrupted once web-1 is out of the load balancer: about to be stopped and started again.
      const first = await cli(['up', '--spec', specFile], {
        timeoutMs: 600_000,
        interrupt: { when: new RegExp(`${n.container('web', 1)}: out of the load balancer`) },
      });
      const second = await cli(['up', '--spec', specFile], { timeoutMs: 600_000 });
      return { first, second };
    });
    const { first, second } = polled.result;
    assert.match(first.stderr, new RegExp(`${n.container('web', 1)}: out of the load balancer`), first.stderr.slice(-3000));
    assert.ok(first.code !== 0, `the first up was not interrupted:\n${first.stderr.slice(-2000)}`);
    assert.equal(second.code, 0, second.stderr.slice(-3000));
    assert.match(second.stdout, /migrate: unchanged/);
    assert.deepEqual(
      polled.failed,
      [],
      `${polled.failed.length} of ${polled.ok + polled.failed.length} requests failed across the interrupted up and the next`,
    );
    assert.ok(polled.ok > 20, `too few requests to judge (${polled.ok})`);
    assert.ok(polled.fewestRunning >= count, `${polled.fewestRunning} web containers ran at one point, fewer than the ${count} planned`);
    assert.ok(polled.fewestUp >= count, `the load balancer had ${polled.fewestUp} UP nodes at one point, fewer than the ${count} planned`);
    const after = await webIds(count);
    for (let i = 0; i < count; i++) assert.notEqual(after[i], before[i], `${n.container('web', i + 1)} was not replaced`);
    assert.equal(await inspect(n.container('web', count + 1)), undefined, 'the extra node of the interrupted roll is left behind');
    const headers = await Promise.all(Array.from({ length: 10 }, async () => (await admin.get('/my/')).headers[BUNDLE_HEADER]));
    assert.deepEqual([...new Set(headers)], ['cluster-test-interrupted']);
  });

  test('a new web node that never gets ready stops the roll: up fails naming it with its log, the old nodes keep serving unchanged', async () => {
    const { plannedWebNodes } = await import('../../src/local/scale.ts');
    const { recordedWebBundle } = await import('../../src/local/web-bundle.ts');
    const spec = readSpec({ file: specFile }).spec;
    const count = plannedWebNodes(spec);
    const before = await webIds(count);
    const good = readFileSync(join(dir, 'bundle', 'nginx.conf'), 'utf8');
    writeFileSync(join(dir, 'bundle', 'nginx.conf'), 'this_is_not_an_nginx_directive on;\n');
    try {
      const polled = await whilePolled(() => cli(['up', '--spec', specFile], { timeoutMs: 600_000 }));
      const r = polled.result;
      assert.notEqual(r.code, 0, 'up must fail');
      assert.match(r.stderr, new RegExp(`${n.container('web', count + 1)} .*never (got )?ready`), r.stderr.slice(-3000));
      assert.match(r.stderr, /this_is_not_an_nginx_directive/, 'its last log lines (nginx says why) are quoted');
      assert.match(r.stderr, /old nodes? (keeps?|are|is) serving/, r.stderr.slice(-3000));
      assert.deepEqual(polled.failed, [], `${polled.failed.length} of ${polled.ok + polled.failed.length} requests failed during the failed up`);
      assert.ok(polled.fewestUp >= count, `the load balancer had ${polled.fewestUp} UP nodes at one point`);
      assert.ok(polled.fewestRunning >= count, `${polled.fewestRunning} web containers ran at one point during the failed up`);
      assert.deepEqual(await webIds(count), before, 'the old nodes were replaced or restarted');
      assert.equal(await inspect(n.container('web', count + 1)), undefined, 'the failed new node is left behind');
      assert.ok(
        recordedWebBundle(spec).some((f) => f.content.includes('cluster-test-interrupted')),
        'the recorded bundle (what scale gives a new node) is no longer the one the nodes run',
      );
    } finally {
      writeFileSync(join(dir, 'bundle', 'nginx.conf'), good);
    }
    const r = await cli(['up', '--spec', specFile], { timeoutMs: 600_000 });
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.deepEqual(await webIds(count), before, 'with the bundle the nodes run, up keeps them');
  });

  test('down keeps the data; up brings it back without reinstalling', async () => {
    let r = await cli(['down', '--spec', specFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /data volumes kept/);
    r = await cli(['up', '--spec', specFile], { timeoutMs: 600_000 });
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.match(r.stdout, /migrate: unchanged/);
    const again = new MoodleClient(base);
    assert.ok(MoodleClient.loggedIn(await again.login('admin', adminPassword)), 'the admin cannot log in after down + up');
    assert.ok(MoodleClient.loggedIn((await admin.get('/my/')).body), 'the session did not survive down + up (Redis keeps it on its volume)');
  });
});
