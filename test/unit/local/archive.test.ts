// Files put into a container before it starts (src/local/archive.ts, putFiles in containers.ts):
// the tar carries each file's owner and mode, since secrets must be 0400 and owned by the service.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { extract } from 'tar-stream';
import type Docker from 'dockerode';
import { tarOf, type ArchiveFile } from '../../../src/local/archive.ts';
import { putFiles } from '../../../src/local/containers.ts';

interface Entry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  content: string;
}

async function entries(tar: Buffer): Promise<Entry[]> {
  const x = extract();
  const out: Entry[] = [];
  const done = new Promise<void>((resolve, reject) => {
    x.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        out.push({ name: h.name, type: h.type ?? 'file', mode: h.mode ?? -1, uid: h.uid ?? -1, gid: h.gid ?? -1, content: Buffer.concat(chunks).toString() });
        next();
      });
    });
    x.on('finish', resolve);
    x.on('error', reject);
  });
  x.end(tar);
  await done;
  return out;
}

describe('tarOf', () => {
  test('each file with its content, mode and owner', async () => {
    const files: ArchiveFile[] = [
      { name: 'run/moodle-ha/secrets/db-password', content: 's3cret', mode: 0o400, uid: 33, gid: 33 },
      { name: 'etc/haproxy/haproxy.cfg', content: 'global\n    master-worker\n', mode: 0o600, uid: 997, gid: 997 },
    ];
    assert.deepEqual(await entries(await tarOf(files)), [
      { name: 'run/moodle-ha/secrets/db-password', type: 'file', mode: 0o400, uid: 33, gid: 33, content: 's3cret' },
      { name: 'etc/haproxy/haproxy.cfg', type: 'file', mode: 0o600, uid: 997, gid: 997, content: 'global\n    master-worker\n' },
    ]);
  });
  test('without a mode or owner: 0644, root', async () => {
    const [e] = await entries(await tarOf([{ name: 'x', content: 'é\n' }]));
    assert.deepEqual(e, { name: 'x', type: 'file', mode: 0o644, uid: 0, gid: 0, content: 'é\n' });
  });
  test('directories first, with their own mode and owner', async () => {
    const got = await entries(await tarOf([{ name: 'd/f', content: '1' }], [{ name: 'd', mode: 0o700, uid: 33, gid: 33 }]));
    assert.deepEqual(
      got.map((e) => [e.name, e.type, e.mode, e.uid]),
      [
        ['d', 'directory', 0o700, 33],
        ['d/f', 'file', 0o644, 0],
      ],
    );
  });
});

describe('putFiles', () => {
  test('absolute paths go in relative to / of the container, with their modes', async () => {
    let sent: { tar: Buffer; path: string } | undefined;
    const container = {
      putArchive: async (tar: Buffer, opts: { path: string }) => {
        sent = { tar, path: opts.path };
      },
    } as unknown as Docker.Container;
    await putFiles(container, [{ name: '/run/redis/secrets/redis-password', content: 'pw', mode: 0o400, uid: 998, gid: 998 }]);
    assert.equal(sent?.path, '/');
    assert.deepEqual(
      (await entries(sent!.tar)).map((e) => [e.name, e.mode, e.uid, e.content]),
      [['run/redis/secrets/redis-password', 0o400, 998, 'pw']],
    );
  });
});
