// Waiting for the cluster (src/local/readiness.ts) without Docker: the PHP probe a web node runs
// against its own /readyz, run here with the host's php against a local HTTP server, and the wait
// for an HTTP 200 through the load balancer.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, describe, test } from 'node:test';
import { RUNTIME_IMAGE } from '../../../src/contract/image.ts';
import { readyProbe, waitHttp } from '../../../src/local/readiness.ts';
import { UserError } from '../../../src/util/errors.ts';

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(s.address() as { port: number }).port}`;
}
/** Runs the probe with the host's php (asynchronously: the server answering it is in this process). */
function probe(url: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('php', ['-r', readyProbe(url)], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 20_000 });
    let output = '';
    p.stdout.on('data', (b: Buffer) => (output += b.toString()));
    p.on('error', (e) => reject(new Error(`php must be on this machine (the runtime image runs the same probe with its own): ${e.message}`)));
    p.on('close', (code) => resolve({ code, output }));
  });
}

describe('the readiness probe (PHP, run inside a web node against its own /readyz)', () => {
  test('200: exit 0, the status line then the body', async () => {
    const base = await serve((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ready: db ok, redis ok'));
    const r = await probe(`${base}/readyz`);
    assert.equal(r.code, 0);
    assert.equal(r.output, 'HTTP/1.1 200 OK\nready: db ok, redis ok');
  });
  test('503: exit 1 with the body, which says what is not ready', async () => {
    const base = await serve((_req, res) => res.writeHead(503).end('not ready: database version 2024100700 differs from the code'));
    const r = await probe(`${base}/readyz`);
    assert.equal(r.code, 1);
    assert.equal(r.output, 'HTTP/1.1 503 Service Unavailable\nnot ready: database version 2024100700 differs from the code');
  });
  test('a redirect is not ready (the first answer counts)', async () => {
    const base = await serve((req, res) => (req.url === '/readyz' ? res.writeHead(302, { location: '/elsewhere' }).end() : res.writeHead(200).end('ok')));
    assert.equal((await probe(`${base}/readyz`)).code, 1);
  });
  test('nothing listening: exit 1, "no answer"', async () => {
    const base = await serve(() => undefined);
    servers.pop()!.close();
    await new Promise((r) => setTimeout(r, 50));
    const r = await probe(`${base}/readyz`);
    assert.equal(r.code, 1);
    assert.equal(r.output, 'no answer\n');
  });
  test("in the container it asks nginx's port for the image's readiness path", () => {
    assert.match(readyProbe(`http://127.0.0.1:${RUNTIME_IMAGE.port}${RUNTIME_IMAGE.readyPath}`), /file_get_contents\('http:\/\/127\.0\.0\.1:8080\/readyz'/);
  });
});

describe('waitHttp: until the URL answers 200 through the load balancer', () => {
  test("returns once it answers 200, sending the site's Host header", async () => {
    let calls = 0;
    const hosts: string[] = [];
    const base = await serve((req, res) => {
      hosts.push(req.headers.host ?? '');
      res.writeHead(++calls < 2 ? 503 : 200).end();
    });
    await waitHttp(`${base}/login/index.php`, 10_000, 'moodle.example.edu');
    assert.equal(calls, 2, 'asked again after a 503');
    assert.deepEqual(hosts, ['moodle.example.edu', 'moodle.example.edu']);
  });
  test('fails after the time given, with the last answer', async () => {
    const base = await serve((_req, res) => res.writeHead(502).end());
    await assert.rejects(
      waitHttp(`${base}/login/index.php`, 300),
      (e: unknown) => e instanceof UserError && e.message === `${base}/login/index.php did not answer 200 within 0.3 s (last: HTTP 502)`,
    );
  });
  test('a refused connection is the last answer too', async () => {
    const base = await serve(() => undefined);
    servers.pop()!.close();
    await assert.rejects(
      waitHttp(`${base}/`, 300),
      (e: unknown) => e instanceof UserError && /did not answer 200 within 0\.3 s \(last: .*ECONNREFUSED/.test(e.message),
    );
  });
});
