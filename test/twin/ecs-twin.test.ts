// The ECS twin tier: the production stack's web, cron and migrate task definitions run here as ECS
// would run them (test/support/ecs-twin/), with real Moodle, among stand-ins with AWS's semantics.
// One twin for the whole file: install once, then what users and operators would meet on AWS.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { emfRecord, METRIC_DIMENSIONS, SECONDS_SINCE_SCHEDULED_TASK } from '../../src/contract/metrics.ts';
import { buildAutoscalerImage } from '../../src/local/images/autoscaler-image.ts';
import { buildRuntimeImage } from '../../src/local/images/build.ts';
import { validateSpec } from '../../src/spec/read.ts';
import type { Spec } from '../../src/spec/schema.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { serviceImage, sleep, TestSession } from '../support/containers.ts';
import { resourcesOf, synthesizeMainStack, type SynthesizedStack } from '../support/ecs-twin/stack.ts';
import { containerCreateOptions } from '../support/ecs-twin/task.ts';
import { CACHE_STANDIN_MAXMEMORY, EcsTwin, type TwinTask } from '../support/ecs-twin/twin.ts';
import { MoodleClient } from '../support/moodle-client.ts';
import { cachedMoodleTree } from '../support/preconditions.ts';

const VIEWER = '203.0.113.7'; // TEST-NET-3: stands for a student's address on the internet
const SPOOFED = '198.51.100.99'; // what that student's browser claims in X-Forwarded-For
const BUNDLE_HEADER = 'x-moodle-ha-bundle';

/** A production spec as a university would deploy it: CloudFront + WAF, EC2 capacity, a config bundle. */
function twinSpec(bundle: string, plugin: { dir: string; version: number }): Spec {
  return validateSpec({
    name: 'twin',
    site: { fullName: 'Twin University', shortName: 'twin', adminEmail: 'ops@example.edu' },
    configBundle: bundle,
    plugins: [{ component: 'local_moodlehaprobe', source: plugin.dir, version: plugin.version }],
    aws: {
      profile: 'production',
      region: 'eu-west-1',
      domain: 'moodle.example.edu',
      hostedZone: { id: 'Z0123456789ABC', name: 'example.edu' },
    },
  });
}

/** The test plugin (its upgrade step counts its runs and whether maintenance mode was on) at a version. */
function probePlugin(work: string, version: number): { dir: string; version: number } {
  const dir = join(work, `probe-${version}`);
  cpSync(join(import.meta.dirname, '..', 'fixtures', 'plugins', 'moodlehaprobe'), dir, { recursive: true });
  const file = join(dir, 'version.php');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/\$plugin->version = \d+;/, `$plugin->version = ${version};`));
  return { dir, version };
}

function writeBundle(dir: string, marker: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'nginx.conf'), `add_header ${BUNDLE_HEADER} ${marker} always;\n`);
  writeFileSync(join(dir, 'php.ini'), 'max_input_time = 90\n');
}

describe('ECS twin: the production task definitions, run as ECS runs them', { timeout: 2_400_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'moodle-ha-twin-spec-'));
  const bundleDir = join(work, 'bundle');
  writeBundle(bundleDir, 'first');
  const plugin = probePlugin(work, 2026010100);
  const spec = twinSpec('bundle', plugin);
  const session = new TestSession();
  let stack: SynthesizedStack;
  let twin: EcsTwin;
  let migrate: { exitCode: number; log: string };
  let webEc2: TwinTask;
  let webFargate: TwinTask;
  let cron: TwinTask;
  let admin: MoodleClient;
  let keepAliveProbe: Promise<{ exitCode: number; stdout: string; stderr: string }>;

  const client = (headers: Record<string, string> = {}) =>
    new MoodleClient(`https://${twin.domain}`, {
      connectTo: { host: '127.0.0.1', port: twin.viewerPort },
      ca: twin.ca.amazon.cert,
      headers: { 'x-twin-viewer-ip': VIEWER, ...headers },
    });
  const php = (task: TwinTask, code: string) =>
    task.container.exec(['php', '-r', `define('CLI_SCRIPT', true); require '/var/www/moodle/config.php'; ${code}`], { timeoutMs: 60_000 });
  const sql = async (query: string) => {
    const r = await php(webEc2, `echo json_encode(array_values($DB->get_records_sql(${JSON.stringify(query)})));`);
    assert.equal(r.exitCode, 0, `query failed: ${r.stdout}${r.stderr}`);
    return JSON.parse(r.stdout) as Array<Record<string, string>>;
  };
  const adminPassword = () =>
    twin.world.secretFor(
      twin.world.intrinsics.string(
        resourcesOf(twin.world.template, 'AWS::SecretsManager::Secret')
          .map(([id, r]) => twin.world.standIn(id, r)!.ref!)
          .find((arn) => /AdminPassword/.test(arn))!,
        'admin secret',
      ),
    );

  async function waitReady(task: TwinTask): Promise<void> {
    const t0 = Date.now();
    let last = '';
    while (Date.now() - t0 < 180_000) {
      const r = await task.container
        .exec(
          [
            'php',
            '-r',
            'echo @file_get_contents("http://127.0.0.1:8080/readyz", false, stream_context_create(["http" => ["ignore_errors" => true, "timeout" => 5]]));',
          ],
          { timeoutMs: 20_000 },
        )
        .catch((e: Error) => ({ stdout: e.message, stderr: '', exitCode: -1 }));
      if (/"ready":true/.test(r.stdout)) return;
      last = r.stdout + r.stderr;
      const state = (await task.container.container.inspect()).State;
      if (!state.Running) break;
      await sleep(1000);
    }
    const logs = await task.container.logs();
    throw new Error(`${task.name} not ready after 180 s (last /readyz: ${last.slice(0, 400)}); log tail:\n${(logs.stdout + logs.stderr).slice(-3000)}`);
  }

  before(async () => {
    const tree = cachedMoodleTree();
    if (!tree.found) throw new Error(tree.reason);
    const [runtime, mariadb, redis, haproxy, node] = await Promise.all([
      buildRuntimeImage({ codeDir: tree.dir, spec, baseDir: work }, silentProgress),
      serviceImage('mariadb'),
      serviceImage('redis'),
      serviceImage('haproxy'),
      buildAutoscalerImage(silentProgress),
    ]);
    stack = synthesizeMainStack(spec, work);
    twin = new EcsTwin(stack, session, { runtime, mariadb, redis, haproxy, node }, bundleDir);
    await twin.startStandIns();
    // The migrate task first, as the stack's custom resource runs it: on EC2, as the strictest platform.
    const m = await twin.runTask('migrate', 'ec2', { role: 'migrate' });
    const exitCode = await m.container.waitForExit(1_200_000);
    const logs = await m.container.logs();
    migrate = { exitCode, log: logs.stdout + logs.stderr };
    assert.equal(exitCode, 0, `the migrate task failed (exit ${exitCode}):\n${migrate.log.slice(-4000)}`);
    webEc2 = await twin.runTask('web', 'ec2', { role: 'web-ec2' });
    webFargate = await twin.runTask('web', 'fargate', { role: 'web-fargate' });
    await Promise.all([waitReady(webEc2), waitReady(webFargate)]);
    cron = await twin.runTask('cron', 'ec2', { role: 'cron' });
    await twin.startEntry([webEc2, webFargate]);
    // A connection the ALB keeps to a target, idle for just under the ALB's idle timeout, then reused.
    keepAliveProbe = idleConnectionProbe(webFargate, webEc2.ip, twin.edge.alb.idleTimeoutSeconds - 1);
    admin = client();
  });

  after(async () => {
    if (process.env.MOODLE_HA_KEEP_TWIN === '1') return;
    await session.cleanup();
  });

  test('the Fargate stack (small profile) has task definitions the twin runs the same way: every setting known, every value resolved', () => {
    const small = synthesizeMainStack(
      validateSpec({
        name: 'twin-small',
        configBundle: 'bundle',
        plugins: spec.plugins.map((p) => ({ component: p.component, source: p.source, version: p.version })),
        aws: {
          profile: 'small',
          region: 'eu-west-1',
          domain: 'moodle.example.edu',
          certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/01234567-89ab-cdef-0123-456789abcdef',
          compute: { type: 'fargate' },
          edge: { enabled: false },
        },
      }),
      work,
    );
    const world = new EcsTwin(small, new TestSession(), twin.images, bundleDir);
    for (const mode of ['web', 'cron', 'migrate'] as const) {
      const [, td] = resourcesOf(small.template, 'AWS::ECS::TaskDefinition').find(([, r]) => String(r.Properties!.Family).endsWith(`-${mode}`))!;
      assert.deepEqual(td.Properties!.RequiresCompatibilities, ['FARGATE']);
      const opts = containerCreateOptions({
        world: world.world,
        taskDefinition: td,
        image: 'x',
        name: 'x',
        labels: {},
        platform: { launchType: 'fargate', taskId: 't', credentialsRelativeUri: '/v2/credentials/x' },
        network: { vpc: 'vpc', ip: '10.60.1.99', endpoints: 'md' },
        volumes: { moodledata: 'v' },
      });
      const env = Object.fromEntries((opts.Env ?? []).map((e) => e.split(/=(.*)/s).slice(0, 2)));
      assert.equal(env.AWS_REGION, 'eu-west-1', 'Fargate sets AWS_REGION');
      assert.equal(env.MOODLE_CLIENT_IP_HEADER, mode === 'web' ? 'x-forwarded-for' : undefined);
      assert.ok(env.MOODLE_DB_PASSWORD && env.MOODLE_REDIS_PASSWORD && env.MOODLE_CACHE_REDIS_PASSWORD, `${mode}: a secret did not resolve`);
    }
  });

  test('the migrate task installed Moodle, holding the migrate lock', () => {
    assert.match(migrate.log, /holding the migrate lock/);
    assert.match(migrate.log, /MIGRATE-RESULT installed/);
  });

  test("on EC2 (no AWS_REGION from the agent) the tasks load the config bundle from S3 in the stack's region, with right signatures", async () => {
    assert.match(migrate.log, /config bundle loaded/, 'the migrate task did not load the bundle');
    const s3 = (await twin.awsLog()).filter((e) => e.service === 's3');
    assert.ok(
      s3.some((e) => e.action === 'GetObject' && e.ok === true),
      `no object was read from the S3 stand-in: ${JSON.stringify(s3).slice(0, 600)}`,
    );
    const refused = s3.filter((e) => e.ok !== true);
    assert.deepEqual(refused, [], `S3 refused requests (wrong signature, token or region): ${JSON.stringify(refused).slice(0, 800)}`);
  });

  test("the web tasks on EC2 and on Fargate both serve, with the bundle's settings", async () => {
    for (const task of [webEc2, webFargate]) {
      const r = await task.container.exec(
        [
          'php',
          '-r',
          'foreach (get_headers("http://127.0.0.1:8080/login/index.php", false, stream_context_create(["http" => ["follow_location" => 0]])) as $h) echo $h, "\\n";',
        ],
        { timeoutMs: 30_000 },
      );
      assert.match(r.stdout, new RegExp(`${BUNDLE_HEADER}: first`, 'i'), `${task.name} answers without the bundle's header:\n${r.stdout}${r.stderr}`);
    }
  });

  test('through CloudFront and the ALB: the login page, and the admin logs in to the dashboard (no "New settings" page)', async () => {
    const page = await admin.login('admin', adminPassword());
    assert.ok(MoodleClient.loggedIn(page), `not logged in; page starts:\n${page.slice(0, 500)}`);
    assert.match(page, /id="page-my-index"/, `the first page after the install is not the dashboard; it starts:\n${page.slice(0, 500)}`);
  });

  test('mail goes out through SES: STARTTLS to the SES endpoint, its certificate checked, the derived SMTP credentials, from the no-reply address', async () => {
    const anon = client();
    const form = await anon.get('/login/forgot_password.php');
    const fields = Object.fromEntries(
      [...form.body.matchAll(/<input[^>]*type="hidden"[^>]*>/g)]
        .map((m) => [/name="([^"]+)"/.exec(m[0])?.[1], /value="([^"]*)"/.exec(m[0])?.[1] ?? ''])
        .filter(([k]) => k),
    );
    const asked = await anon.post('/login/forgot_password.php', { ...fields, username: 'admin', submitbuttonusername: 'Search' });
    assert.equal(asked.status, 200);
    let sent: Record<string, any> | undefined;
    for (const t0 = Date.now(); !sent && Date.now() - t0 < 30_000; await sleep(1000)) {
      sent = (await twin.awsLog()).find((e) => e.service === 'ses-smtp' && e.event === 'message');
    }
    const sesLog = (await twin.awsLog()).filter((e) => e.service === 'ses-smtp');
    assert.ok(sent, `SES received no message; its log: ${JSON.stringify(sesLog)}`);
    assert.ok(
      sesLog.some((e) => e.event === 'auth' && e.ok === true && e.tls === true),
      'authenticated over TLS with the derived SMTP password',
    );
    assert.ok(!sesLog.some((e) => e.ok === false), `SES refused something: ${JSON.stringify(sesLog.filter((e) => e.ok === false))}`);
    assert.equal(sent.tls, true);
    assert.equal(sent.from, 'noreply@moodle.example.edu');
    assert.deepEqual(sent.to, ['ops@example.edu']);
    assert.match(String(sent.subject), /password reset/i);
    const body = String(sent.body)
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    assert.match(
      body,
      new RegExp(`https://${twin.domain.replace(/\./g, '\\.')}/login/forgot_password\\.php\\?token=`),
      "the reset link is on the site's public URL",
    );
  });

  test("Moodle records the viewer's address, not CloudFront's or one the browser made up", async () => {
    const viewer = client({ 'x-forwarded-for': SPOOFED });
    const page = await viewer.login('admin', adminPassword());
    assert.ok(MoodleClient.loggedIn(page));
    const [user] = await sql("SELECT id, lastip FROM {user} WHERE username = 'admin'");
    assert.equal(user!.lastip, VIEWER, `Moodle recorded ${user!.lastip} as the admin's last address`);
    const logins = await sql("SELECT id, ip FROM {logstore_standard_log} WHERE eventname = '\\\\core\\\\event\\\\user_loggedin' ORDER BY id DESC");
    assert.equal(logins[0]?.ip, VIEWER, `the login event was logged from ${logins[0]?.ip}`);
  });

  test("the cron task runs Moodle's scheduled tasks", async () => {
    const t0 = Date.now();
    let ran = 0;
    while (Date.now() - t0 < 240_000) {
      ran = Number((await sql('SELECT COUNT(id) AS n FROM {task_scheduled} WHERE lastruntime > 0'))[0]!.n);
      if (ran > 5) break;
      await sleep(5000);
    }
    assert.ok(ran > 5, `only ${ran} scheduled tasks ran in 4 minutes`);
  });

  test('the cron task publishes its health as the CloudWatch EMF line the cron alarm reads', async () => {
    const t0 = Date.now();
    let record: Record<string, any> | undefined;
    while (!record && Date.now() - t0 < 150_000) {
      const { stdout } = await cron.container.logs();
      const line = stdout
        .split('\n')
        .reverse()
        .find((l) => l.includes(SECONDS_SINCE_SCHEDULED_TASK.name));
      if (line) record = JSON.parse(line) as Record<string, any>;
      else await sleep(5000);
    }
    assert.ok(record, "no metric line in the cron task's log after 150 s");
    const value = record[SECONDS_SINCE_SCHEDULED_TASK.name] as number;
    assert.deepEqual(record, emfRecord(SECONDS_SINCE_SCHEDULED_TASK, { [METRIC_DIMENSIONS.cluster]: spec.name }, value, record._aws.Timestamp));
    assert.ok(value >= 0 && value < 600, `${value} s since a scheduled task ran`);
  });

  test('sessions and caches live on separate servers, and filling the caches evicts no session', async () => {
    const sessionHost = twin.environment('web').MOODLE_REDIS_HOST!;
    const stores = await php(
      webEc2,
      `echo json_encode(array_map(fn($s) => $s['configuration']['server'] ?? null, cache_config::instance()->get_all_stores()));`,
    );
    const servers = Object.values(JSON.parse(stores.stdout) as Record<string, string | null>).filter((s): s is string => !!s);
    assert.ok(servers.length > 0, `no Redis cache store configured: ${stores.stdout}`);
    const cacheHost = servers[0]!.split(':')[0]!;
    const user = client();
    assert.ok(MoodleClient.loggedIn(await user.login('admin', adminPassword())));
    const cache = twin.caches.find((c) => c.host === cacheHost);
    assert.ok(cache, `the cache store's server ${cacheHost} is none of the stand-ins`);
    const filled = await fillCache(cache!);
    const again = await user.get('/my/');
    assert.ok(
      MoodleClient.loggedIn(again.body),
      `the user was logged out after the cache server (${cacheHost}, ${cache!.policy}) filled up (${filled}); sessions are on ${sessionHost}`,
    );
    assert.notEqual(cacheHost, sessionHost, 'sessions and caches share one server: cache pressure evicts sessions');
  });

  async function fillCache(cache: (typeof twin.caches)[number]): Promise<string> {
    const limit = parseInt(CACHE_STANDIN_MAXMEMORY, 10) * 1024 * 1024;
    let written = 0;
    for (let i = 0; i < 200 && written < 2 * limit; i++) {
      const r = await twin.redisCli(cache, [
        'EVAL',
        "for i=1,2000 do redis.call('SET', 'twin:junk:'..ARGV[1]..':'..i, string.rep('x', 1024)) end return 1",
        '0',
        String(i),
      ]);
      written += 2000 * 1024;
      if (/OOM/.test(r.stdout + r.stderr)) return `OOM after ${Math.round(written / 1048576)} MiB`;
    }
    const info = await twin.redisCli(cache, ['INFO', 'stats']);
    return `wrote ${Math.round(written / 1048576)} MiB, ${/evicted_keys:(\d+)/.exec(info.stdout)?.[1]} keys evicted`;
  }

  test('a task definition names the exact bundle it runs: a later upload neither changes a new task of it nor leaves the new definition unchanged', async () => {
    const newDir = join(work, 'bundle-2');
    cpSync(bundleDir, newDir, { recursive: true });
    writeBundle(newDir, 'second');
    const next = synthesizeMainStack(twinSpec('bundle-2', plugin), work);
    const nextTwin = new EcsTwin(next, new TestSession(), twin.images, newDir);
    assert.notEqual(
      nextTwin.environment('web').MOODLE_CONFIG_BUNDLE,
      twin.environment('web').MOODLE_CONFIG_BUNDLE,
      'a bundle change leaves the web task definition as it was: no task rolls, old and new nodes differ',
    );
    // The next deploy uploads the new bundle where its BucketDeployment says; a task of the running
    // definition (a scale-out before the roll) must still get the settings it was defined with.
    const [id, deployment] = resourcesOf(next.template, 'Custom::CDKBucketDeployment')[0]!;
    const bucket = nextTwin.world.intrinsics.string(deployment.Properties!.DestinationBucketName, id);
    const prefix = nextTwin.world.intrinsics.string(deployment.Properties!.DestinationBucketKeyPrefix, id).replace(/\/?$/, '/');
    await twin.putObject(bucket, `${prefix}nginx.conf`, `add_header ${BUNDLE_HEADER} second always;\n`);
    const scaledOut = await twin.runTask('web', 'fargate', { role: 'web-scaled-out' });
    await waitReady(scaledOut);
    const r = await scaledOut.container.exec(
      [
        'php',
        '-r',
        'foreach (get_headers("http://127.0.0.1:8080/login/index.php", false, stream_context_create(["http" => ["follow_location" => 0]])) as $h) echo $h, "\\n";',
      ],
      { timeoutMs: 30_000 },
    );
    assert.match(r.stdout, new RegExp(`${BUNDLE_HEADER}: first`, 'i'), `a new task of the running definition loaded other settings:\n${r.stdout}`);
  });

  const connectDb = `try { $DB->get_record('config', ['name' => 'version']); echo 'connected'; } catch (Throwable $e) { echo 'refused: ', $e->getMessage(); }`;

  test('the database is reached only with a certificate of the RDS CA for its endpoint name', async () => {
    const probe = () =>
      webFargate.container.exec(
        [
          'php',
          '-r',
          `define('CLI_SCRIPT', true); try { require '/var/www/moodle/config.php'; ${connectDb} } catch (Throwable $e) { echo 'refused: ', $e->getMessage(); }`,
        ],
        { timeoutMs: 60_000 },
      );
    assert.match((await probe()).stdout, /connected/);
    try {
      await twin.swapDatabaseCertificate(twin.ca.rogue, [twin.dbHost, twin.dbReadHost]);
      const rogue = await probe();
      assert.doesNotMatch(rogue.stdout, /connected/, 'the image talked to a database whose certificate no trusted CA signed');
      await twin.swapDatabaseCertificate(twin.ca.rds, ['some-other-cluster.cluster-x.eu-west-1.rds.amazonaws.com']);
      const wrongName = await probe();
      assert.doesNotMatch(wrongName.stdout, /connected/, 'the image talked to a database whose certificate names another host');
    } finally {
      await twin.swapDatabaseCertificate(twin.ca.rds, [twin.dbHost, twin.dbReadHost]);
    }
    assert.match((await probe()).stdout, /connected/);
  });

  test("web and cron read through Aurora's reader endpoint (TLS for its name); migrate only through the writer", async () => {
    const read = `$DB->get_record('config', ['name' => 'version']); echo json_encode(['reads' => $DB->perf_get_reads_slave(), 'host' => $CFG->dboptions['readonly']['instance'][0]['dbhost'] ?? null]);`;
    for (const task of [webFargate, webEc2]) {
      const r = await php(task, read);
      assert.equal(r.exitCode, 0, `${r.stdout}${r.stderr}`);
      const seen = JSON.parse(r.stdout) as { reads: number; host: string | null };
      assert.equal(seen.host, twin.dbReadHost, `${task.name} is not told the reader endpoint`);
      assert.ok(seen.reads >= 1, `${task.name}: no query went to the reader (it could not connect there): ${r.stdout}`);
    }
    for (const mode of ['cron', 'migrate'] as const) {
      const env = twin.environment(mode);
      assert.equal(env.MOODLE_DB_READ_HOST, mode === 'cron' ? twin.dbReadHost : undefined, mode);
    }
  });

  test('every Redis (sessions and caches) is reached only with a certificate for its endpoint from a trusted CA', async () => {
    // The class the image's cache factory makes the Redis store's instances with (a kept connection: cache-redis-store.php).
    const CACHE_STORE_CLASS = '\\moodleha\\cache\\kept_redis_store';
    const factory = await php(webFargate, `echo get_class(\\core_cache\\factory::instance());`);
    assert.equal(factory.stdout.trim(), 'moodleha\\cache\\factory', `the cache factory: ${factory.stdout}${factory.stderr}`);
    const probe = async (host: string, port: number) => {
      const sessionPath = `$o = $CFG->session_redis_encrypt ?? null; $r = new Redis(); try { $ok = $r->connect('tls://${host}', ${port}, 3, null, 0, 3, ['stream' => is_array($o) ? $o : []]); echo $ok ? 'session:connected ' : 'session:refused '; } catch (Throwable $e) { echo 'session:refused '; }`;
      const cachePath = `foreach (cache_config::instance()->get_all_stores() as $n => $s) { if (($s['plugin'] ?? '') !== 'redis' || strpos($s['configuration']['server'], '${host}') !== 0) continue; $st = new ${CACHE_STORE_CLASS}('probe', $s['configuration']); echo $st->is_ready() ? 'cache:connected ' : 'cache:refused '; }`;
      return (await php(webFargate, `${sessionPath} ${cachePath}`)).stdout;
    };
    let cacheStoreConnected = false;
    for (const cache of twin.caches) {
      const trusted = await probe(cache.host, cache.port);
      assert.doesNotMatch(trusted, /refused/);
      assert.match(trusted, /session:connected/);
      if (trusted.includes('cache:connected')) cacheStoreConnected = true;
      try {
        await twin.swapCacheCertificate(cache, twin.ca.rogue, [cache.host]);
        assert.doesNotMatch(
          await probe(cache.host, cache.port),
          /connected/,
          `${cache.host}: the image talked to a server whose certificate no trusted CA signed`,
        );
        await twin.swapCacheCertificate(cache, twin.ca.amazon, ['another.cache.amazonaws.com']);
        assert.doesNotMatch(
          await probe(cache.host, cache.port),
          /connected/,
          `${cache.host}: the image talked to a server whose certificate names another host`,
        );
      } finally {
        await twin.swapCacheCertificate(cache, twin.ca.amazon, [cache.host]);
      }
    }
    assert.ok(cacheStoreConnected, "the cache store connected to none of the stand-ins: the caches' server is none of them");
  });

  // Late in the file: the probe has waited since before() for just under the ALB's idle timeout, and
  // the tests above fill that wait (as the tenth test it waited 52 s in CI). None of them restarts the two
  // web tasks; the upgrade below does.
  test('a web task keeps an idle connection open longer than the ALB does, so the ALB never reuses a closed one (no sporadic 502)', async () => {
    const r = await keepAliveProbe;
    assert.equal(
      r.exitCode,
      0,
      `after ${twin.edge.alb.idleTimeoutSeconds - 1} s idle (the ALB's idle timeout is ${twin.edge.alb.idleTimeoutSeconds} s) the reused connection failed:\n${r.stdout}${r.stderr}`,
    );
    assert.match(r.stdout, /second: HTTP\/1\.1 200/);
  });

  test('an upgrade: maintenance from migrate until every web task runs the new image; old code never serves the new schema', async () => {
    const user = client();
    assert.ok(MoodleClient.loggedIn(await user.login('admin', adminPassword())));
    const newer = probePlugin(work, 2026010200);
    const tree = cachedMoodleTree();
    const v2 = await buildRuntimeImage({ codeDir: (tree as { dir: string }).dir, spec: twinSpec('bundle', newer), baseDir: work }, silentProgress);
    // The deploy: migrate with the new image (a new task definition revision).
    const m = await twin.runTask('migrate', 'ec2', { role: 'migrate-upgrade', image: v2 });
    assert.equal(await m.container.waitForExit(1_200_000), 0, (await m.container.logs()).stderr.slice(-3000));
    const log = (await m.container.logs()).stderr;
    assert.match(log, /upgrade pending: maintenance mode on/);
    assert.match(log, /MIGRATE-RESULT upgraded; maintenance mode stays on until "migrate finish"/);
    // The old web tasks still run: users get Moodle's maintenance page, never old code on the new schema.
    const during = await user.get('/my/');
    assert.equal(during.status, 503, `while the web tier still runs the old image: HTTP ${during.status}`);
    assert.equal(during.headers['retry-after'], '300');
    // A finish step with the old code refuses: the database is newer than it.
    const early = await twin.runTask('migrate', 'ec2', { role: 'finish-old', command: ['migrate', 'finish'] });
    assert.equal(await early.container.waitForExit(300_000), 70);
    assert.match((await early.container.logs()).stderr, /the database does not match this image's code/);
    assert.equal((await user.get('/my/')).status, 503, 'maintenance must stay on');
    // The web service rolls: each old task replaced by one of the new image, at its address.
    const roll = async (old: TwinTask, role: string) => {
      await twin.stopTask(old);
      const next = await twin.runTask('web', old.launchType, { role, image: v2, ip: old.ip });
      await waitReady(next);
      return next;
    };
    webEc2 = await roll(webEc2, 'web-ec2-v2');
    webFargate = await roll(webFargate, 'web-fargate-v2');
    assert.equal((await user.get('/my/')).status, 503, 'maintenance ends only with the finish step');
    const finish = await twin.runTask('migrate', 'ec2', { role: 'finish', command: ['migrate', 'finish'], image: v2 });
    assert.equal(await finish.container.waitForExit(300_000), 0, (await finish.container.logs()).stderr.slice(-2000));
    assert.match((await finish.container.logs()).stderr, /MIGRATE-RESULT finished; maintenance mode off/);
    const after = await user.get('/my/');
    assert.ok(MoodleClient.loggedIn(after.body), `HTTP ${after.status}: not served, or logged out, after the upgrade`);
    const probe = Object.fromEntries(
      (await sql("SELECT name, value FROM {config_plugins} WHERE plugin = 'local_moodlehaprobe'")).map((r) => [r.name, r.value]),
    );
    assert.equal(probe.version, '2026010200');
    assert.equal(probe.upgraderuns, '1', 'the upgrade step ran once');
    assert.equal(probe.maintenanceseen, '1', 'maintenance mode was on during the upgrade');
  });
});

/** From `from`, one keep-alive connection to `ip`:8080: a request, `idleSeconds` of silence, a second request on it. */
function idleConnectionProbe(from: TwinTask, ip: string, idleSeconds: number) {
  const code = `
$s = fsockopen('${ip}', 8080, $errno, $errstr, 5);
if (!$s) { echo "connect failed: $errstr\\n"; exit(1); }
$ask = function () use ($s) {
  fwrite($s, "GET /healthz HTTP/1.1\\r\\nHost: twin-alb\\r\\nConnection: keep-alive\\r\\n\\r\\n");
  $status = fgets($s); if ($status === false) return false;
  $len = 0; $chunked = false;
  while (($line = fgets($s)) !== false && trim($line) !== '') {
    if (stripos($line, 'content-length:') === 0) $len = (int) trim(substr($line, 15));
    if (stripos($line, 'transfer-encoding:') === 0 && stripos($line, 'chunked') !== false) $chunked = true;
  }
  if ($chunked) {
    while (($size = fgets($s)) !== false) { $n = hexdec(trim($size)); if ($n > 0) fread($s, $n); fgets($s); if ($n === 0) break; }
  } else if ($len > 0) {
    fread($s, $len);
  }
  return trim($status);
};
echo 'first: ', $ask(), "\\n";
sleep(${idleSeconds});
$second = @$ask();
if ($second === false) { echo "second: the connection was closed by the web task during the idle time\\n"; exit(1); }
echo 'second: ', $second, "\\n";`;
  return from.container.exec(['php', '-r', code], { timeoutMs: (idleSeconds + 30) * 1000 });
}
