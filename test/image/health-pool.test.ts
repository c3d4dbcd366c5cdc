// The load balancer's check (/healthz) never queues behind users' requests: it has its own PHP-FPM
// pool. Issue 9: while the Redis primary failed over, every user worker of every node waited on
// Redis, /healthz (then FPM's ping in the same pool) timed out on all nodes at once and HAProxy
// answered "no server available". Here every user worker is held busy (and more requests queue),
// and /healthz must answer within HAProxy's check timeout; /readyz (its own pool too) still answers.
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { after, before, test } from 'node:test';
import { RUNTIME_IMAGE } from '../../src/contract/image.ts';
import { IMAGE_TIMEOUTS } from '../../src/contract/timeouts.ts';
import { WEB_CHECK } from '../../src/local/haproxy.ts';
import { http, probeImage, sleep, TestSession, waitForHttp, type StartedContainer } from '../support/containers.ts';

const session = new TestSession();
const WORKERS = 2;
let web: StartedContainer;
let port = 0;

before(
  async () => {
    const image = await probeImage();
    const network = await session.network();
    web = await session.start({
      image,
      role: 'healthpool',
      network,
      publish: [RUNTIME_IMAGE.port],
      env: {
        MOODLE_WWWROOT: 'http://probe.test',
        MOODLE_FPM_WORKERS: String(WORKERS),
        MOODLE_DB_HOST: `no-such-db-${session.id}`,
        MOODLE_REDIS_HOST: `no-such-redis-${session.id}`,
      },
    });
    port = await web.hostPort(RUNTIME_IMAGE.port);
    await waitForHttp(port, RUNTIME_IMAGE.healthPath, { timeoutMs: 30_000 });
  },
  { timeout: 15 * 60_000 },
);

after(() => session.cleanup(), { timeout: 120_000 });

test(`with every user worker busy (${WORKERS} + 4 queued), /healthz answers within HAProxy's ${WEB_CHECK.timeoutS} s check timeout, and /readyz answers`, async () => {
  // Requests that hold a user worker for 12 s each, as a stalled Redis would.
  const held = Array.from({ length: WORKERS + 4 }, () => http(port, '/slow.php?ms=12000', { timeoutMs: 60_000 }).catch((e: Error) => e));
  await sleep(1500);
  // The user pool is full: a quick page now waits for a worker (the proof that the pool is saturated).
  const queued = await http(port, '/slow.php?ms=0', { timeoutMs: 2000 }).then(
    (r) => `HTTP ${r.status}`,
    (e: Error) => e.message,
  );
  assert.match(queued, /no HTTP response/, `a user request should wait while every worker is busy, got ${queued}`);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = Date.now();
    const r = await http(port, RUNTIME_IMAGE.healthPath, { timeoutMs: WEB_CHECK.timeoutS * 1000 });
    times.push(Date.now() - t0);
    assert.equal(r.status, 200);
    assert.equal(r.body.toString().trim(), 'ok');
    await sleep(200);
  }
  assert.ok(Math.max(...times) < WEB_CHECK.timeoutS * 1000, `/healthz took ${times.join(', ')} ms`);
  // Deep readiness has a pool of its own too: it answers (503 here: no database, no Redis) instead of queueing.
  const t0 = Date.now();
  const ready = await http(port, RUNTIME_IMAGE.readyPath, { timeoutMs: 10_000 });
  assert.equal(ready.status, 503, ready.body.toString());
  assert.ok(Date.now() - t0 < 10_000);
  const done = await Promise.all(held);
  assert.ok(
    done.every((r) => !(r instanceof Error) && r.status === 200),
    'the held user requests finish normally',
  );
});

test('the pools as rendered: users, health (ping only), readiness, each with its own socket', async () => {
  const r = await web.exec(['cat', '/etc/moodle-ha/runtime/fpm-pool.conf']);
  const pools = [...r.stdout.matchAll(/^\[(\w+)\]$/gm)].map((m) => m[1]);
  assert.deepEqual(pools, ['moodle', 'health', 'ready']);
  const sockets = [...r.stdout.matchAll(/^listen = (\S+)$/gm)].map((m) => m[1]);
  assert.equal(new Set(sockets).size, 3, r.stdout);
  assert.match(r.stdout, new RegExp(`\\[health\\][\\s\\S]*request_terminate_timeout = ${IMAGE_TIMEOUTS.healthAnswer}s`));
  assert.match(r.stdout, new RegExp(`\\[moodle\\][\\s\\S]*pm.max_children = ${WORKERS}\\n`));
});

test('a page goes out whole, when it is made: a node that dies half-way through a page has sent nothing, so the load balancer retries the request', async () => {
  // The probe prints 64 KiB, then works 1.5 s, then prints the rest. Its first byte must come after the work.
  const t0 = Date.now();
  const firstByte = await new Promise<number>((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/halves.php?ms=1500' }, (res) => {
      resolve(Date.now() - t0);
      res.resume();
    });
    req.on('error', reject);
  });
  assert.ok(firstByte >= 1400, `the page's head went out ${firstByte} ms after the request, before the page was made`);
});
