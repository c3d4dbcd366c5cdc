// Docker's multiplexed log frames (what `logs` and the autoscaler container's start-up check read
// from a container without a TTY): each chunk's payload in order, whichever stream it came from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demuxFrames } from '../../src/local/containers.ts';

const frame = (stream: 1 | 2, text: string): Buffer => {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
};

test('frames of stdout and stderr are joined in order, headers dropped', () => {
  const buf = Buffer.concat([frame(1, 'first line\n'), frame(2, 'an error\n'), frame(1, 'last')]);
  assert.equal(demuxFrames(buf).toString(), 'first line\nan error\nlast');
});

test('a torn header at the end is ignored; no frames, no output', () => {
  assert.equal(demuxFrames(Buffer.concat([frame(1, 'ok\n'), Buffer.from([1, 0, 0])])).toString(), 'ok\n');
  assert.equal(demuxFrames(Buffer.alloc(0)).length, 0);
});
