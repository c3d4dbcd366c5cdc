// The haproxy image with the configuration moodle-ha writes (src/local/haproxy.ts) in front of two
// probe web containers: it starts as its own user, health-checks and balances both nodes, and
// keeps answering when one node stops.
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { SERVICE_UIDS } from '../../src/image/service-images.ts';
import { LB_ADMIN_SOCKET, LB_PORT, LB_REQUEST_LOG, LB_STATS_PORT, renderHaproxyConfig } from '../../src/local/haproxy.ts';
import { http, probeImage, serviceImage, sleep, TestSession, waitForHttp, type StartedContainer } from '../support/containers.ts';

const session = new TestSession();
let webs: StartedContainer[];
let lb: StartedContainer;
let port: number;
let statsPort: number;
const names = ['web1', 'web2'].map((r) => session.name(r));

/** Server name → status (UP, DOWN, …) from the stats page's CSV. */
async function serverStatus(): Promise<Record<string, string>> {
  const r = await http(statsPort, '/stats;csv');
  assert.equal(r.status, 200);
  const rows = r.body
    .toString()
    .split('\n')
    .map((l) => l.split(','));
  const head = rows[0]!.map((h) => h.replace(/^# /, ''));
  const [px, sv, st] = ['pxname', 'svname', 'status'].map((k) => head.indexOf(k));
  return Object.fromEntries(rows.filter((r) => r[px!] === 'web' && names.includes(r[sv!]!)).map((r) => [r[sv!], r[st!]!.split(' ')[0]]));
}

/** The load balancer's request log: its ring, through the runtime API. */
async function requestLog(): Promise<string> {
  const r = await lb.exec(['sh', '-c', `echo "show events ${LB_REQUEST_LOG}" | socat stdio ${LB_ADMIN_SOCKET}`]);
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stdout;
}

async function waitForStatus(want: Record<string, string>, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  let last: Record<string, string> = {};
  while (Date.now() - t0 < timeoutMs) {
    last = await serverStatus();
    if (names.every((n) => last[n] === want[n])) return;
    await sleep(300);
  }
  throw new Error(`HAProxy server status ${JSON.stringify(want)} not reached after ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}

before(
  async () => {
    const [probe, haproxy] = await Promise.all([probeImage(), serviceImage('haproxy')]);
    const network = await session.network();
    webs = await Promise.all(['web1', 'web2'].map((role) => session.start({ image: probe, role, network, env: { MOODLE_WWWROOT: 'http://probe.test' } })));
    lb = await session.start({
      image: haproxy,
      role: 'lb',
      network,
      publish: [LB_PORT, LB_STATS_PORT],
      files: [
        {
          dir: '/etc/haproxy',
          files: [{ path: 'haproxy.cfg', content: renderHaproxyConfig({ servers: names, maxConnPerServer: 16 }), uid: SERVICE_UIDS.haproxy }],
        },
      ],
    });
    port = await lb.hostPort(LB_PORT);
    statsPort = await lb.hostPort(LB_STATS_PORT);
    await waitForHttp(statsPort, '/healthz', { timeoutMs: 30_000 });
  },
  { timeout: 15 * 60_000 },
);

after(() => session.cleanup(), { timeout: 120_000 });

describe('haproxy image with the local cluster configuration', () => {
  test('health-checks both web nodes on /healthz and marks them UP', async () => {
    await waitForStatus({ [names[0]!]: 'UP', [names[1]!]: 'UP' }, 30_000);
  });
  test('routes requests to both nodes', async () => {
    // Four at a time: leastconn then spreads them even while a node's slow start (10 s) ramps up.
    for (let i = 0; i < 5; i++) {
      const rs = await Promise.all([1, 2, 3, 4].map(() => http(port, '/index.php')));
      for (const r of rs) assert.equal(r.status, 200);
    }
    const requests = await requestLog();
    for (const w of webs) assert.match(requests, new RegExp(`web/${w.name} .* 200 .*"GET /index\\.php HTTP/1\\.1"`), `${w.name} served no request`);
  });
  test("every request is in the load balancer's request log (its ring in memory), none on its stdout or stderr nor on the web nodes' (no Docker daemon CPU per request)", async () => {
    const path = `/index.php?log=${session.id}`;
    for (let i = 0; i < 3; i++) assert.equal((await http(port, path)).status, 200);
    const logged = (await requestLog()).split('\n').filter((l) => l.includes(path));
    assert.equal(logged.length, 3, `the request log's lines for ${path}:\n${logged.join('\n')}`);
    for (const c of [lb, ...webs]) {
      const out = await c.logs();
      assert.ok(!(out.stdout + out.stderr).includes(path), `${c.name} logged a successful request`);
    }
  });
  test('reloads under keep-alive traffic (every scale reloads): no request fails', async () => {
    // Browser-like clients: kept-alive connections, idle a few ms between requests, so a reload
    // often finds a connection idle in the old process just as its next request is on its way.
    const agent = new Agent({ keepAlive: true, maxSockets: 24 });
    const get = () =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/index.php', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10 s')));
        req.on('error', reject);
        req.end();
      });
    let stop = false;
    const outcome = { ok: 0, failed: [] as string[] };
    const loops = Array.from({ length: 24 }, async () => {
      while (!stop) {
        try {
          const status = await get();
          if (status === 200) outcome.ok++;
          else outcome.failed.push(`HTTP ${status}`);
        } catch (e) {
          outcome.failed.push((e as Error).message);
        }
        await sleep(Math.random() * 40);
      }
    });
    const RELOADS = 30;
    for (let i = 0; i < RELOADS; i++) {
      await sleep(150 + Math.random() * 150);
      await lb.container.kill({ signal: 'SIGUSR2' }); // as reconfigureLb does
    }
    await sleep(1000);
    stop = true;
    await Promise.all(loops);
    agent.destroy();
    console.log(`haproxy: ${RELOADS} reloads under keep-alive traffic: ${outcome.ok} requests answered, ${outcome.failed.length} failed`);
    assert.deepEqual(outcome.failed, [], `${outcome.failed.length} of ${outcome.ok + outcome.failed.length} requests failed across ${RELOADS} reloads`);
    assert.ok(outcome.ok > 500, `too few requests to judge (${outcome.ok})`);
  });

  test('a stopped node is taken out and requests keep succeeding', async () => {
    await webs[0]!.container.stop({ t: 10 });
    const failures: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await http(port, '/index.php').catch((e: Error) => ({ status: 0, body: Buffer.from(e.message) }));
      if (r.status !== 200) failures.push(`${r.status} ${r.body.toString().slice(0, 80)}`);
    }
    assert.deepEqual(failures, [], 'requests failed while a node was down (retries and redispatch should hide it)');
    await waitForStatus({ [names[0]!]: 'DOWN', [names[1]!]: 'UP' }, 15_000);
  });
  test('a node that stops answering (paused: no refusal, no reply) is out of rotation within 4.5 s', async () => {
    await webs[0]!.container.start();
    await waitForStatus({ [names[0]!]: 'UP', [names[1]!]: 'UP' }, 30_000);
    await webs[0]!.container.pause();
    try {
      const t0 = Date.now();
      await waitForStatus({ [names[0]!]: 'DOWN', [names[1]!]: 'UP' }, 15_000);
      const s = (Date.now() - t0) / 1000;
      // inter 1s + timeout check 1s + fastinter 500ms + fall 2: 1.5-3.5 s (+ this poll's 0.3 s);
      // with inter 2s and no timeout check it took ~7 s.
      assert.ok(s <= 4.5, `marked DOWN after ${s.toFixed(1)} s`);
    } finally {
      await webs[0]!.container.unpause();
    }
  });
  test('a GET in flight on a node that is killed (SIGKILL) is retried on the other node and answered', async () => {
    await waitForStatus({ [names[0]!]: 'UP', [names[1]!]: 'UP' }, 30_000);
    // Pin the request to web1: web2 drains (no new requests) until the request is under way.
    const admin = (cmd: string) => lb.exec(['sh', '-c', `echo "${cmd}" | socat stdio /run/haproxy/admin.sock`]);
    assert.equal((await admin(`set server web/${names[1]} state drain`)).exitCode, 0);
    const t0 = Date.now();
    const inFlight = http(port, '/slow.php?ms=3000', { timeoutMs: 30_000 }).catch((e: Error) => ({ status: 0, body: Buffer.from(e.message), headers: {} }));
    await sleep(800);
    assert.equal((await admin(`set server web/${names[1]} state ready`)).exitCode, 0);
    await webs[0]!.container.kill({ signal: 'SIGKILL' });
    const r = await inFlight;
    const s = (Date.now() - t0) / 1000;
    assert.equal(r.status, 200, `the in-flight GET failed after ${s.toFixed(1)} s: ${r.body.toString().slice(0, 200)}`);
    assert.match(r.body.toString(), /slow done/);
    assert.ok(s > 3.5, `answered after ${s.toFixed(1)} s: the request was not on the killed node`);
    console.log(`haproxy: a 3 s GET in flight on a killed node was answered by the other after ${s.toFixed(1)} s`);
    await webs[0]!.container.start();
  });
  test('runs as the haproxy user, not root', async () => {
    const r = await lb.exec(['id', '-u']);
    assert.equal(r.stdout.trim(), String(SERVICE_UIDS.haproxy));
  });
});
