// Ctrl-C during `up` (sayOnInterrupt): the process says what state it left and what to run next,
// then dies by the signal at once, as without it (upgrade.test asserts SIGINT); once the work is over, Ctrl-C is Node's own again (no handler left).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';

const MODULE = resolve('src/cli/interrupt.ts');

/** Runs `body` (ESM, with sayOnInterrupt imported) in a child Node; `signal` is sent once it prints "ready". */
function child(body: string, signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const script = `import { sayOnInterrupt } from ${JSON.stringify(MODULE)};\n${body}`;
  const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (b: Buffer) => {
    stdout += b.toString();
    if (signal && stdout.includes('ready')) p.kill(signal);
  });
  p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
  return new Promise((done) =>
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    }),
  );
}

const LONG_WORK = `await sayOnInterrupt('x is partly up: run "moodle-ha up" to finish', async () => { console.log('ready'); await new Promise((r) => setTimeout(r, 20000)); console.log('finished'); });`;

describe('an interrupted up says what it left', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} during the work: the notice on stderr, then death by ${signal}, the work not finished`, async () => {
      const r = await child(LONG_WORK, signal);
      assert.equal(r.signal, signal, `exit code ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, /^\ninterrupted: x is partly up: run "moodle-ha up" to finish\n$/);
      assert.doesNotMatch(r.stdout, /finished/);
    });
  }

  test('after the work: no handler is left, the result is returned', async () => {
    const r = await child(
      `const v = await sayOnInterrupt('unused', async () => 42); console.log(v, process.listenerCount('SIGINT'), process.listenerCount('SIGTERM'));`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '42 0 0');
  });

  test('a failing work: its error goes on, no handler is left', async () => {
    const r = await child(
      `try { await sayOnInterrupt('unused', async () => { throw new Error('boom'); }); } catch (e) { console.log(e.message, process.listenerCount('SIGINT')); }`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'boom 0');
  });
});
