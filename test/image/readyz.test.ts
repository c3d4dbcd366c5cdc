// The two health endpoints of a web container whose database and Redis do not exist: the deep
// /readyz says 503 and names both as unreachable (its secret read from a _FILE, as the local
// cluster passes it), while the shallow /healthz the load balancer uses stays 200.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RUNTIME_IMAGE } from '../../src/contract/image.ts';
import { checkEnvironment } from '../../src/contract/env.ts';
import { http, probeImage, TestSession, waitForHttp, type StartedContainer } from '../support/containers.ts';

const session = new TestSession();
let web: StartedContainer;
let port: number;
const DB_HOST = `no-such-db-${session.id}`;
const REDIS_HOST = `no-such-redis-${session.id}`;
const env = {
  MOODLE_WWWROOT: 'http://probe.test',
  MOODLE_DB_HOST: DB_HOST,
  MOODLE_REDIS_HOST: REDIS_HOST,
  MOODLE_DB_PASSWORD_FILE: `${RUNTIME_IMAGE.secretsDir}/db-password`,
};

interface Ready {
  ready: boolean;
  checks: Record<string, string>;
  code: string | null;
}

before(
  async () => {
    assert.deepEqual(checkEnvironment('web', env), [], 'the test environment must keep the contract');
    const image = await probeImage();
    const network = await session.network();
    web = await session.start({
      image,
      role: 'readyz',
      network,
      publish: [RUNTIME_IMAGE.port],
      env,
      files: [{ dir: RUNTIME_IMAGE.secretsDir, files: [{ path: 'db-password', content: `pw-${session.id}\n`, mode: 0o400, uid: RUNTIME_IMAGE.uid }] }],
    });
    port = await web.hostPort(RUNTIME_IMAGE.port);
    await waitForHttp(port, RUNTIME_IMAGE.healthPath, { timeoutMs: 30_000 });
  },
  { timeout: 15 * 60_000 },
);

after(() => session.cleanup(), { timeout: 120_000 });

describe('health endpoints when the database and Redis are unreachable', () => {
  test('/readyz is 503 with a JSON body naming the database and Redis as unreachable', async () => {
    const t0 = Date.now();
    const r = await http(port, RUNTIME_IMAGE.readyPath, { timeoutMs: 15_000 });
    const took = Date.now() - t0;
    assert.equal(r.status, 503, r.body.toString());
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.match(String(r.headers['cache-control']), /no-store/);
    const body = JSON.parse(r.body.toString()) as Ready;
    assert.equal(body.ready, false);
    assert.match(body.checks.database ?? '(none)', /^unreachable: .*no-such-db/);
    assert.match(body.checks.redis ?? '(none)', /^unreachable: .*no-such-redis/);
    assert.equal(body.checks.dataroot, 'ok', 'the dataroot check is independent of the others');
    assert.equal(body.code, '4.5 (probe)', 'the code version recorded at build');
    assert.ok(took < 10_000, `readiness took ${took} ms: it must answer within the load balancer's timeout`);
  });
  test('the database password came from the _FILE secret, and never appears in the answer or the log', async () => {
    const read = await web.exec(['php', '-r', 'require "/opt/moodle-ha/php/env.php"; echo json_encode(mh_settings()["dbpass"]);']);
    assert.equal(read.exitCode, 0, read.stderr);
    assert.equal(JSON.parse(read.stdout), `pw-${session.id}`, 'the file content, without its trailing newline');
    const r = await http(port, RUNTIME_IMAGE.readyPath, { timeoutMs: 15_000 });
    assert.ok(!r.body.toString().includes(`pw-${session.id}`));
    const logs = await web.logs();
    assert.ok(!(logs.stdout + logs.stderr).includes(`pw-${session.id}`));
    assert.doesNotMatch(logs.stderr, /secret MOODLE_DB_PASSWORD is required/);
  });
  test('/healthz stays 200 (a database blip must not take every node out of the load balancer)', async () => {
    const r = await http(port, RUNTIME_IMAGE.healthPath);
    assert.equal(r.status, 200);
    assert.equal(r.body.toString().trim(), 'ok');
  });
  test('a starting node holds itself out while it warms (/healthz and /readyz 503); a warm-up that cannot run is logged and keeps no one out', async () => {
    // Here Moodle cannot start (no database): the warm-up gave up, said why, and removed its flag.
    const log = await web.waitForLog(/moodle-ha\[warm\]: warm-up stopped after [\d.]+ s \(.+\); the node serves without it/, 15_000);
    assert.doesNotMatch(log, new RegExp(`pw-${session.id}`));
    assert.equal((await http(port, RUNTIME_IMAGE.healthPath)).status, 200);
    assert.equal((JSON.parse((await http(port, RUNTIME_IMAGE.readyPath, { timeoutMs: 15_000 })).body.toString()) as Ready).checks.warm, 'ok');
    // While the flag is there (as from the start until warm-node.php ends), the load balancer's check fails.
    const touch = await web.exec(['touch', '/run/moodle-ha/warming']);
    assert.equal(touch.exitCode, 0, touch.stderr);
    const held = await http(port, RUNTIME_IMAGE.healthPath);
    assert.equal(held.status, 503);
    assert.match(held.body.toString(), /warming up/);
    const ready = JSON.parse((await http(port, RUNTIME_IMAGE.readyPath, { timeoutMs: 15_000 })).body.toString()) as Ready;
    assert.match(ready.checks.warm ?? '(none)', /^warming up its caches \(for \d+ s\)$/);
    await web.exec(['rm', '/run/moodle-ha/warming']);
    assert.equal((await http(port, RUNTIME_IMAGE.healthPath)).status, 200);
  });
  test('the warm-up endpoint answers on the loopback address only', async () => {
    const inside = await web.exec(['php', '-r', '$c = @fsockopen("127.0.0.1", 8081); echo $c ? "open" : "closed";']);
    assert.equal(inside.stdout, 'open');
    const ip = await web.exec(['sh', '-c', 'hostname -i | cut -d" " -f1']);
    const outside = await web.exec(['php', '-r', `$c = @fsockopen(${JSON.stringify(ip.stdout.trim())}, 8081, $e, $s, 2); echo $c ? "open" : "closed";`]);
    assert.equal(outside.stdout, 'closed', 'port 8081 must not listen on the container network');
  });
  test('without the secret, /readyz says 503 and the log names what to set', async () => {
    const image = await probeImage();
    const { MOODLE_DB_PASSWORD_FILE: _f, ...rest } = env;
    const bare = await session.start({ image, role: 'nosecret', publish: [RUNTIME_IMAGE.port], env: rest });
    const p = await bare.hostPort(RUNTIME_IMAGE.port);
    await waitForHttp(p, RUNTIME_IMAGE.healthPath, { timeoutMs: 30_000 });
    const r = await http(p, RUNTIME_IMAGE.readyPath);
    assert.equal(r.status, 503);
    assert.ok(!r.body.toString().includes('MOODLE_DB_PASSWORD'), 'configuration details stay in the log, not the answer');
    await bare.waitForLog(/secret MOODLE_DB_PASSWORD is required: set MOODLE_DB_PASSWORD or MOODLE_DB_PASSWORD_FILE/, 5000);
  });
});
