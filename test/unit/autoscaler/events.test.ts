// Scaling events: the record, the console line and the webhook POST (a real local HTTP server on
// 127.0.0.1; timeouts, refusals and failures come back as sentences, never as exceptions).
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { eventPayload, formatEvent, formatHealEvent, postWebhook, scalingEvent, type ScalingEvent } from '../../../src/ops/autoscaler/events.ts';
import type { Decision } from '../../../src/ops/autoscaler/policy.ts';

const AT = new Date('2026-06-01T08:00:00.250Z');
const OUT: ScalingEvent = { at: AT, from: 2, to: 4, reason: '62.0 req/s over 2 nodes > target 20/node → 4: scale out 2 → 4', window: 'exam-week' };

interface Received {
  method?: string;
  url?: string;
  type?: string;
  body: string;
}

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, type: req.headers['content-type'], body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${port}/hooks/scaling?token=secret`, received, server };
}

describe('scaling event record and console line', () => {
  test('scalingEvent takes the target and reason from the decision', () => {
    const d: Decision = { desired: 4, action: 'out', reason: 'why', bounds: { min: 2, max: 6, window: 'night' }, window: 'night' };
    assert.deepEqual(scalingEvent(d, 2, AT), { at: AT, from: 2, to: 4, reason: 'why', window: 'night' });
    const base: Decision = { desired: 1, action: 'in', reason: 'why', bounds: { min: 1, max: 4 } };
    assert.equal('window' in scalingEvent(base, 2, AT), false);
  });
  test('scale out with a window', () => {
    assert.equal(formatEvent(OUT), '2026-06-01T08:00:00Z scale out 2 → 4 [window exam-week]: 62.0 req/s over 2 nodes > target 20/node → 4: scale out 2 → 4');
  });
  test('scale in without a window', () => {
    assert.equal(formatEvent({ at: AT, from: 3, to: 2, reason: 'quiet' }), '2026-06-01T08:00:00Z scale in 3 → 2: quiet');
  });
  test('no change', () => {
    assert.equal(formatEvent({ at: AT, from: 3, to: 3, reason: 'r' }), '2026-06-01T08:00:00Z no change at 3: r');
  });
  test('the JSON payload', () => {
    assert.deepEqual(eventPayload(OUT), {
      type: 'moodle-ha.scaling',
      at: '2026-06-01T08:00:00Z',
      from: 2,
      to: 4,
      direction: 'out',
      window: 'exam-week',
      reason: OUT.reason,
    });
    assert.equal(eventPayload({ at: AT, from: 4, to: 3, reason: 'r' }).window, null);
    assert.equal(eventPayload({ at: AT, from: 4, to: 3, reason: 'r' }).direction, 'in');
  });
});

describe('postWebhook', () => {
  test('POSTs the event as JSON and resolves to undefined on 2xx', async () => {
    const { url, received } = await serve((_req, res) => res.writeHead(204).end());
    assert.equal(await postWebhook(url, OUT), undefined);
    assert.equal(received.length, 1);
    assert.equal(received[0]!.method, 'POST');
    assert.equal(received[0]!.url, '/hooks/scaling?token=secret');
    assert.equal(received[0]!.type, 'application/json');
    assert.deepEqual(JSON.parse(received[0]!.body), eventPayload(OUT));
  });
  test('a heal event is POSTed as moodle-ha.healing, with the member, what was done and how long it took', async () => {
    const { url, received } = await serve((_req, res) => res.writeHead(204).end());
    const heal = { at: AT, member: 'x-web-2', service: 'web', action: 'started', reason: 'stopped 2.1 s ago (exit 137)', seconds: 6.2 } as const;
    assert.equal(await postWebhook(url, heal), undefined);
    assert.deepEqual(JSON.parse(received[0]!.body), {
      type: 'moodle-ha.healing',
      at: '2026-06-01T08:00:00Z',
      member: 'x-web-2',
      service: 'web',
      action: 'started',
      reason: 'stopped 2.1 s ago (exit 137)',
      seconds: 6.2,
    });
    assert.equal(formatHealEvent(heal), '2026-06-01T08:00:00Z heal: started x-web-2 in 6.2 s: stopped 2.1 s ago (exit 137)');
  });
  test('a non-2xx answer comes back as a sentence with the status and without the path or token', async () => {
    const { url } = await serve((_req, res) => res.writeHead(500, 'Internal Server Error').end('boom'));
    const error = await postWebhook(url, OUT);
    assert.match(error ?? '', /^webhook http:\/\/127\.0\.0\.1:\d+ answered 500 Internal Server Error$/);
    assert.doesNotMatch(error ?? '', /secret/);
  });
  test('a redirect is not followed', async () => {
    const { url, received } = await serve((_req, res) => res.writeHead(302, { location: 'http://example.invalid/' }).end());
    assert.match((await postWebhook(url, OUT)) ?? '', /answered 302/);
    assert.equal(received.length, 1);
  });
  test('a receiver that never answers times out', async () => {
    const { url } = await serve(() => undefined);
    const started = Date.now();
    const error = await postWebhook(url, OUT, fetch, 200);
    assert.match(error ?? '', /^webhook http:\/\/127\.0\.0\.1:\d+ did not answer within 200 ms$/);
    assert.ok(Date.now() - started < 3000, 'gave up soon after the timeout');
  });
  test('a closed port is reported, not thrown', async () => {
    const { url, server } = await serve((_req, res) => res.end());
    await new Promise<void>((resolve) => server.close(() => resolve()));
    assert.match((await postWebhook(url, OUT)) ?? '', /^webhook http:\/\/127\.0\.0\.1:\d+ failed: fetch failed \(.*ECONNREFUSED/);
  });
  for (const bad of ['file:///etc/passwd', 'ftp://example.com/x', 'javascript:alert(1)']) {
    test(`refuses ${bad.split(':')[0]}: URLs without sending anything`, async () => {
      let called = false;
      const spy = (async () => {
        called = true;
        return new Response(null);
      }) as typeof fetch;
      assert.match((await postWebhook(bad, OUT, spy)) ?? '', /URLs are refused; give an http:\/\/ or https:\/\/ address/);
      assert.equal(called, false);
    });
  }
  test('refuses a string that is not a URL', async () => {
    assert.match((await postWebhook('not a url', OUT)) ?? '', /is not a URL/);
  });
  test('a fetch that throws is reported, not thrown', async () => {
    const broken = (() => {
      throw new Error('no network');
    }) as typeof fetch;
    assert.equal(await postWebhook('https://hooks.example.invalid/x', OUT, broken), 'webhook https://hooks.example.invalid failed: no network');
  });
  test('the default timeout is 5 s', async () => {
    const original = AbortSignal.timeout;
    const asked: number[] = [];
    AbortSignal.timeout = (ms: number) => {
      asked.push(ms);
      return original.call(AbortSignal, ms);
    };
    try {
      const ok = (async () => new Response(null, { status: 200 })) as typeof fetch;
      assert.equal(await postWebhook('https://hooks.example.invalid/x', OUT, ok), undefined);
    } finally {
      AbortSignal.timeout = original;
    }
    assert.deepEqual(asked, [5000]);
  });
});
