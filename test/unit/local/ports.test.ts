// Host ports (src/local/ports.ts): which ports a cluster publishes, and whether each is free, with
// real listening sockets on this machine.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, describe, test } from 'node:test';
import { mailContainer } from '../../../src/local/mail.ts';
import { portFree, portsInUse, publishedPorts } from '../../../src/local/ports.ts';
import { lbContainer } from '../../../src/local/services.ts';
import { validateSpec } from '../../../src/spec/read.ts';
import { UserError } from '../../../src/util/errors.ts';
import { devSpec, TAGS } from './fixtures.ts';

const servers: Server[] = [];
/** Listens on a free port of `host`; closed after the tests. */
async function hold(host: string): Promise<number> {
  const s = createServer();
  servers.push(s);
  await new Promise<void>((resolve) => s.listen({ port: 0, host }, resolve));
  return (s.address() as { port: number }).port;
}
async function release(port: number): Promise<void> {
  const s = servers.find((x) => (x.address() as { port: number } | null)?.port === port)!;
  await new Promise((resolve) => s.close(resolve));
}
after(async () => {
  await Promise.all(servers.filter((s) => s.listening).map((s) => new Promise((r) => s.close(r))));
});

describe('portFree', () => {
  test('a port something listens on is not free; once closed, it is', async () => {
    const port = await hold('127.0.0.1');
    assert.equal(await portFree(port, '127.0.0.1'), false);
    await release(port);
    assert.equal(await portFree(port, '127.0.0.1'), true);
  });
  test('a port held on every address is in use on 127.0.0.1 too, and the reverse', async () => {
    const any = await hold('0.0.0.0');
    assert.equal(await portFree(any, '127.0.0.1'), false);
    const local = await hold('127.0.0.1');
    assert.equal(await portFree(local, '0.0.0.0'), false);
  });
  test('checking leaves the port free (the probe closes its socket)', async () => {
    const port = await hold('127.0.0.1');
    await release(port);
    assert.equal(await portFree(port, '127.0.0.1'), true);
    assert.equal(await portFree(port, '127.0.0.1'), true);
  });
});

describe('the ports a cluster publishes', () => {
  test('the same ports and addresses the load balancer and the mail catcher are created with', () => {
    const spec = devSpec({ ports: { http: 18080, stats: 18404, mail: 18025, bind: '0.0.0.0' } });
    const fromContainers = [...lbContainer(spec, TAGS, 1, 97).ports!, ...mailContainer(spec, TAGS.mail).ports!].map((p) => `${p.bind}:${p.host}`);
    assert.deepEqual(
      publishedPorts(spec).map((p) => `${p.bind}:${p.port}`),
      fromContainers,
    );
    assert.deepEqual(
      publishedPorts(spec).map((p) => p.key),
      ['ports.http', 'ports.stats', 'ports.mail'],
    );
  });
  test('they must differ from each other (checked when the spec is read)', () => {
    for (const ports of [
      { http: 9000, stats: 9000 },
      { http: 9000, mail: 9000 },
      { stats: 9001, mail: 9001 },
    ]) {
      assert.throws(
        () => validateSpec({ ports }),
        (e: unknown) => e instanceof UserError && e.details.some((d) => /^ports\.(stats|mail): must differ/.test(d)),
        JSON.stringify(ports),
      );
    }
  });
});

describe('portsInUse: refused before anything is created', () => {
  test('a port in use is named with its key, address and the fix', async () => {
    const http = await hold('127.0.0.1');
    const stats = await hold('127.0.0.1');
    const spec = devSpec({ ports: { http, stats, mail: await freePort() } });
    assert.deepEqual(await portsInUse(spec, new Set()), [
      `ports.http: port ${http} on 127.0.0.1 is in use; stop what uses it, or set ports.http in moodle-ha.yaml to a free port`,
      `ports.stats: port ${stats} on 127.0.0.1 is in use; stop what uses it, or set ports.stats in moodle-ha.yaml to a free port`,
    ]);
  });
  test("a port the cluster's own running containers hold is not a conflict (a second up)", async () => {
    const http = await hold('127.0.0.1');
    const spec = devSpec({ ports: { http, stats: await freePort(), mail: await freePort() } });
    assert.deepEqual(await portsInUse(spec, new Set([http])), []);
  });
  test('free ports: nothing to report', async () => {
    const spec = devSpec({ ports: { http: await freePort(), stats: await freePort(), mail: await freePort() } });
    assert.deepEqual(await portsInUse(spec, new Set()), []);
  });
  test('the stats and mail ports are checked on 127.0.0.1, the site on ports.bind', async () => {
    const asked: string[] = [];
    await portsInUse(devSpec({ ports: { bind: '0.0.0.0' } }), new Set(), async (port, host) => {
      asked.push(`${host}:${port}`);
      return true;
    });
    assert.deepEqual(asked, ['0.0.0.0:8080', '127.0.0.1:8404', '127.0.0.1:8025']);
  });
});

/** A port free now: held, then released. */
async function freePort(): Promise<number> {
  const port = await hold('127.0.0.1');
  await release(port);
  return port;
}
