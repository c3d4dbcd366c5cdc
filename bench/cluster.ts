// The bench cluster: its spec file (name mhbench, ports 28080/28404, in a temp folder), the CLI run
// as a child process (bin/moodle-ha.js, as a user runs it), and `up` timed from a fresh state.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until200 } from './extra.ts';

export const BENCH = { name: 'mhbench', http: 28080, stats: 28404, mail: 28405, fpmWorkers: 8 } as const;
const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'moodle-ha.js');

export function writeBenchSpec(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'moodle-ha-bench-'));
  const file = join(dir, 'moodle-ha.yaml');
  writeFileSync(
    file,
    `name: ${BENCH.name}\nprofile: dev\nweb:\n  nodes: 1\n  fpmWorkers: ${BENCH.fpmWorkers}\nports:\n  http: ${BENCH.http}\n  stats: ${BENCH.stats}\n  mail: ${BENCH.mail}\n`,
  );
  return { dir, file };
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

/** Runs the CLI; its progress (stderr) is passed on, indented, to ours. */
export function cli(args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b));
    child.stderr.on('data', (b: Buffer) => {
      stderr += b;
      process.stderr.write(b.toString().replace(/^(?=.)/gm, '  | '));
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 900_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

export interface UpTiming {
  /** Spawn of `moodle-ha up` → first 200 from /login/index.php through HAProxy (our own poll). */
  readonly toLoginSeconds: number;
  /** Spawn → `up` exited 0. */
  readonly upExitSeconds: number;
  /** The "migrate" step as `up` reported it ("done in N s"). */
  readonly migrateStepSeconds: number;
  /** Inside migrate: "empty database: installing" → "MIGRATE-RESULT installed" (install_database.php). */
  readonly migrateInstallSeconds: number;
  readonly migrateResult: string;
  readonly steps: Record<string, number>;
}

/** Times `up --spec FILE`, polling the login page through HAProxy every 100 ms meanwhile. */
export async function timedUp(specFile: string): Promise<UpTiming> {
  let failed = false;
  const t0 = performance.now();
  const upRun = cli(['up', '--spec', specFile]);
  // Our own poll (up waits for the same page, once a second): stops only if up fails.
  const poll = until200(`http://127.0.0.1:${BENCH.http}/login/index.php`, 900_000, { host: `localhost:${BENCH.http}`, everyMs: 100, stop: () => failed }).then(
    () => (performance.now() - t0) / 1000,
    () => NaN,
  );
  const r = await upRun;
  if (r.code !== 0) {
    failed = true;
    await poll;
    throw new Error(`moodle-ha up failed (exit ${r.code}); its output is above`);
  }
  return { toLoginSeconds: await poll, upExitSeconds: r.seconds, ...parseUpProgress(r.stderr) };
}

/** Step times and migrate's own timestamps from `up`'s progress output. */
export function parseUpProgress(stderr: string): Omit<UpTiming, 'toLoginSeconds' | 'upExitSeconds'> {
  const steps: Record<string, number> = {};
  for (const m of stderr.matchAll(/^\[\d+\] (.+?): done in ([\d.]+) s$/gm)) steps[m[1]!] = Number(m[2]);
  const migrateKey = Object.keys(steps).find((k) => k.startsWith('migrate'));
  const at = (re: RegExp) => Number(re.exec(stderr)?.[1] ?? NaN);
  const begin = at(/migrate\[\s*([\d.]+)s\]: empty database: installing/);
  const done = at(/migrate\[\s*([\d.]+)s\]: MIGRATE-RESULT installed/);
  return {
    migrateStepSeconds: migrateKey ? steps[migrateKey]! : NaN,
    migrateInstallSeconds: done - begin,
    migrateResult: /MIGRATE-RESULT (\w+)/.exec(stderr)?.[1] ?? 'unknown',
    steps,
  };
}
