// pingDocker (src/local/engine/docker.ts) against an engine stand-in on a unix socket that
// drops its first connections: a dropped connection is asked again, an absent socket is not.
// The landing CI of stop 20 lost its twin tier to one "write EPIPE" on the ping before it.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Docker from 'dockerode';
import { pingDocker } from '../../../src/local/engine/docker.ts';
import { tempDir } from '../../support/temp.ts';

const dir = tempDir('docker-ping-');
after(() => rmSync(dir, { recursive: true, force: true }));

/** An engine on a unix socket that closes its first `drops` connections, then answers /_ping with OK. */
async function engine(name: string, drops: number): Promise<{ socketPath: string; connections: () => number; server: Server }> {
  const socketPath = join(dir, name);
  let seen = 0;
  const server = createServer((socket) => {
    seen++;
    if (seen <= drops) {
      socket.destroy();
      return;
    }
    socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK'));
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return { socketPath, connections: () => seen, server };
}

describe('pingDocker', () => {
  test('an engine that drops the first two connections answers the third ping', async () => {
    const e = await engine('drops-2.sock', 2);
    try {
      await pingDocker(new Docker({ socketPath: e.socketPath }), 1);
      assert.equal(e.connections(), 3);
    } finally {
      e.server.close();
    }
  });

  test('an engine that keeps dropping fails after 3 attempts, with the error of the last', async () => {
    const e = await engine('drops-all.sock', 99);
    try {
      await assert.rejects(pingDocker(new Docker({ socketPath: e.socketPath }), 1), (err: NodeJS.ErrnoException) => {
        assert.match(err.code ?? '', /^(EPIPE|ECONNRESET)$/);
        return true;
      });
      assert.equal(e.connections(), 3);
    } finally {
      e.server.close();
    }
  });

  test('no socket at all fails at once: nothing to ask again', async () => {
    const t0 = Date.now();
    await assert.rejects(pingDocker(new Docker({ socketPath: join(dir, 'absent.sock') }), 5000), /ENOENT/);
    assert.ok(Date.now() - t0 < 4000, `took ${Date.now() - t0} ms: it waited for a retry`);
  });
});
