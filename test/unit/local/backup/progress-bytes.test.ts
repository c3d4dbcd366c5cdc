// Progress of long byte streams (src/local/backup/progress-bytes.ts).
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import { ByteCount, byteCounter, mb } from '../../../../src/local/backup/progress-bytes.ts';
import type { Progress } from '../../../../src/util/progress.ts';

const recorder = () => {
  const lines: string[] = [];
  return { lines, progress: { info: (l: string) => lines.push(l) } as unknown as Progress };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mb', () => {
  test('MiB with one decimal', () => {
    assert.deepEqual([mb(0), mb(1048576), mb(1572864), mb(44_040_192)], ['0.0 MB', '1.0 MB', '1.5 MB', '42.0 MB']);
  });
});

describe('ByteCount', () => {
  test('counts what passes and passes it unchanged', async () => {
    const count = new ByteCount();
    const got: Buffer[] = [];
    await pipeline(
      Readable.from([Buffer.from('abc'), Buffer.from('défg')]),
      count,
      new Writable({
        write: (c: Buffer, _e, cb) => {
          got.push(c);
          cb();
        },
      }),
    );
    assert.equal(count.bytes, 3 + Buffer.byteLength('défg'));
    assert.equal(Buffer.concat(got).toString(), 'abcdéfg');
  });
});

describe('byteCounter', () => {
  test('a line every interval while the work runs, with the share of the total; none after', async () => {
    const { lines, progress } = recorder();
    const counter = { bytes: 0 };
    const result = await byteCounter(
      progress,
      'database: sent',
      counter,
      async () => {
        counter.bytes = 1048576;
        await sleep(120);
        return 'done';
      },
      4 * 1048576,
      25,
    );
    assert.equal(result, 'done');
    assert.ok(lines.length >= 1, 'at least one line while it ran');
    assert.equal(lines[0], 'database: sent: 1.0 MB of 4.0 MB (25%)');
    const after = lines.length;
    await sleep(80);
    assert.equal(lines.length, after, 'the timer stops with the work');
  });
  test('without a total: the bytes only; a failed work stops the timer too', async () => {
    const { lines, progress } = recorder();
    await assert.rejects(
      byteCounter(
        progress,
        'archive: written',
        { bytes: 2097152 },
        async () => {
          await sleep(60);
          throw new Error('tar failed');
        },
        undefined,
        25,
      ),
      /tar failed/,
    );
    assert.equal(lines[0], 'archive: written: 2.0 MB');
    const after = lines.length;
    await sleep(80);
    assert.equal(lines.length, after);
  });
});
