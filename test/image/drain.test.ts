// Graceful shutdown of a web container: on SIGTERM (docker stop) a request in flight completes,
// no new connection is served, and the container exits 0 well before the kill timeout.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RUNTIME_IMAGE } from '../../src/contract/image.ts';
import { http, probeImage, sleep, TestSession, waitForHttp, withTimeout, type HttpResponse, type StartedContainer } from '../support/containers.ts';

const session = new TestSession();
let web: StartedContainer;
let port: number;

before(
  async () => {
    const image = await probeImage();
    const network = await session.network();
    web = await session.start({ image, role: 'drain', network, publish: [RUNTIME_IMAGE.port], env: { MOODLE_WWWROOT: 'http://probe.test' } });
    port = await web.hostPort(RUNTIME_IMAGE.port);
    await waitForHttp(port, RUNTIME_IMAGE.healthPath, { timeoutMs: 30_000 });
    await waitForHttp(port, '/slow.php?ms=0', { timeoutMs: 10_000 });
  },
  { timeout: 15 * 60_000 },
);

after(() => session.cleanup(), { timeout: 120_000 });

describe('SIGTERM drains the web container', () => {
  test('a slow request completes, a new connection is not served, exit code 0', { timeout: 60_000 }, async () => {
    const t0 = Date.now();
    const slow = http(port, '/slow.php?ms=3000', { timeoutMs: 20_000 });
    const slowSettled = slow.then(
      (r) => ({ r, at: Date.now() - t0 }),
      (e: Error) => ({ e, at: Date.now() - t0 }),
    );
    await sleep(500);
    // docker stop sends SIGTERM and returns once the container has exited (SIGKILL after t s).
    const stopping = web.container.stop({ t: 30 }).then(() => Date.now() - t0);
    await sleep(700);

    // A new connection after SIGTERM, while the slow request is still in flight.
    let fresh: HttpResponse | Error;
    try {
      fresh = await http(port, RUNTIME_IMAGE.healthPath, { timeoutMs: 5000 });
    } catch (e) {
      fresh = e as Error;
    }
    const freshAt = Date.now() - t0;

    const done = await slowSettled;
    assert.ok(!('e' in done), `the in-flight request failed: ${'e' in done ? done.e.message : ''}`);
    assert.equal(done.r.status, 200);
    assert.equal(done.r.body.toString(), 'slow done\n');
    assert.ok(freshAt < done.at, `the new request (${freshAt} ms) must be tried while the slow one (${done.at} ms) is in flight`);
    assert.ok(fresh instanceof Error, `a new request after SIGTERM was served: HTTP ${(fresh as HttpResponse).status}`);

    const stoppedAt = await withTimeout(stopping, 40_000, 'docker stop');
    const state = (await web.container.inspect()).State;
    assert.equal(state.Running, false);
    assert.equal(state.ExitCode, 0, `exit code ${state.ExitCode} (137 would mean SIGKILL after the stop timeout)`);
    assert.equal(state.OOMKilled, false);
    assert.ok(stoppedAt < 15_000, `stopping took ${stoppedAt} ms: the drain should end soon after the last request`);
    assert.ok(stoppedAt >= done.at - 100, 'the container stopped before the in-flight request finished');

    const { stderr } = await web.logs();
    assert.match(stderr, /SIGTERM: draining in-flight requests/);
    assert.match(stderr, /drained; exiting/);
  });
});
