// Output that survives a closed pipe (`moodle-ha moodle list | head -1`): when the reader goes away
// the CLI stops quietly with 141 (128 + SIGPIPE, as `yes | head -1`), not with an EPIPE stack trace.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { MARKER } from '../../../src/moodle/cache.ts';
import { tempDir } from '../../support/temp.ts';

const BIN = resolve('bin/moodle-ha.js');
const work = tempDir('moodle-ha-pipe-');
after(() => rmSync(work, { recursive: true, force: true }));

/**
 * A Moodle cache with 100 trees imported from long paths: `moodle list` prints 100 lines of 10 KB.
 * 1 MB: the pipe holds 64 KB, and a reader that took one chunk before it closed made room for one
 * more; with 100 lines of 1 KB (100 KB) the CLI sometimes wrote all of it first and exited 0 (CI, 2 cores).
 */
const cache = join(work, 'cache');
for (let i = 0; i < 100; i++) {
  const v = `4.5.${i}`;
  mkdirSync(join(cache, 'moodle', v), { recursive: true });
  writeFileSync(
    join(cache, 'moodle', v, MARKER),
    JSON.stringify({
      version: v,
      release: `${v} (Build: 20250101)`,
      branch: '405',
      source: `import:/srv/moodle-trees/${'x'.repeat(10_000)}/${v}`,
      at: '2025-01-01T00:00:00Z',
    }),
  );
}

/** Spawns the CLI and closes its stdout after the first chunk, as `| head -1` does. */
function readFirstChunk(args: string[]): Promise<{ code: number | null; signal: string | null; first: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env: { PATH: process.env.PATH, HOME: work, NODE_OPTIONS: '', MOODLE_HA_CACHE: cache } });
  let first = '';
  let stderr = '';
  child.stdout.once('data', (b: Buffer) => {
    first = b.toString();
    child.stdout.destroy();
  });
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((done) => child.on('close', (code, signal) => done({ code, signal, first, stderr })));
}

describe('a reader that closes early', () => {
  test('moodle list | head -1: exits 141, nothing on stderr', async () => {
    const r = await readFirstChunk(['moodle', 'list']);
    assert.match(r.first, /^4\.5\.0\t/);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 141);
  });
  test('--help | head -1: nothing on stderr', async () => {
    const r = await readFirstChunk(['--help']);
    assert.match(r.first, /Usage: moodle-ha/);
    assert.equal(r.stderr, '');
    assert.ok(r.code === 0 || r.code === 141, `exit ${r.code}`);
  });
});
