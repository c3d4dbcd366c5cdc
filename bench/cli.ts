// `npm run bench -- cli`: wall time of the CLI itself, from spawn to exit, for `moodle-ha --help`
// and `moodle-ha status` against a cluster that does not exist (exit 3 at once: the spec names
// "mhbenchcli-absent"). With --against DIR the same runs time another checkout's bin/moodle-ha.js
// too, in alternating order (A B, B A, …), and the table shows the ratio this/other: a before/after
// comparison in one run. Needs a Docker engine for `status` to get as far as "not running";
// without one it stops earlier (exit 2), which the table says.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeJson } from './report.ts';

const USAGE = `usage: npm run bench -- cli [--runs 15] [--against DIR]
  --runs     timed runs of each command line per checkout (after one untimed warm-up run)
  --against  another checkout of moodle-ha (e.g. the main branch) to time the same way, for ratios
`;
const HERE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const log = (s: string) => process.stderr.write(`bench cli: ${s}\n`);

interface Timed {
  readonly ms: number;
  readonly code: number | null;
}

/** The command lines timed, with the exit code each gives when all goes as meant. `--spec` after the command: older CLIs took it only there. */
function commandLines(spec: string) {
  return [
    { name: '--help', args: ['--help'], expect: 0 },
    { name: 'status (no such cluster)', args: ['status', '--spec', spec], expect: 3 },
  ] as const;
}

/** One run of `node <checkout>/bin/moodle-ha.js ARGS`, output discarded, timed from spawn to exit. */
function timeOnce(checkout: string, args: readonly string[]): Promise<Timed> {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [join(checkout, 'bin', 'moodle-ha.js'), ...args], { cwd: tmpdir(), stdio: 'ignore' });
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => done({ ms: Number(process.hrtime.bigint() - start) / 1e6, code }));
  });
}

function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export async function cliBench(argv: readonly string[]): Promise<number> {
  const options = { runs: { type: 'string', default: '15' }, against: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } as const;
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof options }>>['values'];
  try {
    ({ values } = parseArgs({ args: [...argv], options }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const runs = Number(values.runs);
  const other = values.against === undefined ? undefined : resolve(values.against);
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write(`--runs takes a whole number ≥ 1, got "${values.runs}"\n${USAGE}`);
    return 2;
  }
  if (other && !existsSync(join(other, 'bin', 'moodle-ha.js'))) {
    process.stderr.write(`--against ${other}: no bin/moodle-ha.js there; give the folder of another moodle-ha checkout\n`);
    return 2;
  }
  const checkouts = other ? { this: HERE, other } : { this: HERE };
  const dir = mkdtempSync(join(tmpdir(), 'moodle-ha-bench-cli-'));
  const spec = join(dir, 'moodle-ha.yaml');
  writeFileSync(spec, 'name: mhbenchcli-absent\n');
  const loadBefore = loadavg()[0]!;
  const results: Record<string, Record<string, Timed[]>> = {};
  try {
    for (const line of commandLines(spec)) {
      results[line.name] = {};
      const order = Object.keys(checkouts) as (keyof typeof checkouts)[];
      for (const which of order) {
        await timeOnce(checkouts[which]!, line.args); // warm-up: file system cache, tsx's transform cache
        results[line.name]![which] = [];
      }
      for (let i = 0; i < runs; i++) {
        for (const which of i % 2 === 0 ? order : [...order].reverse()) {
          const t = await timeOnce(checkouts[which]!, line.args);
          results[line.name]![which]!.push(t);
        }
      }
      log(
        `${line.name}: ${order
          .map(
            (w) =>
              `${w} median ${seconds(
                quantile(
                  results[line.name]![w]!.map((t) => t.ms),
                  0.5,
                ),
              )}`,
          )
          .join(', ')}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const loadAfter = loadavg()[0]!;

  const rows = commandLines(spec).map((line) => {
    const stat = (which: string) => {
      const ts = results[line.name]![which];
      if (!ts) return undefined;
      const ms = ts.map((t) => t.ms);
      const codes = [...new Set(ts.map((t) => t.code))];
      return { median: quantile(ms, 0.5), p90: quantile(ms, 0.9), codes, asMeant: codes.length === 1 && codes[0] === line.expect };
    };
    const a = stat('this')!;
    const b = stat('other');
    return { command: `moodle-ha ${line.name}`, expect: line.expect, this: a, other: b, ratio: b ? a.median / b.median : undefined };
  });
  const out = [
    `CLI wall time, spawn to exit, ${runs} runs each${other ? ', alternating' : ''}: this = ${HERE}${other ? `, other = ${other}` : ''}`,
    `${'command'.padEnd(36)}  ${'this median / p90'.padEnd(18)}${other ? `  ${'other median / p90'.padEnd(18)}  this/other` : ''}`,
    ...rows.map((r) => {
      const cell = (s: NonNullable<typeof r.other>) => `${seconds(s.median)} / ${seconds(s.p90)}${s.asMeant ? '' : ` (exit ${s.codes.join(',')})`}`;
      return `${r.command.padEnd(36)}  ${cell(r.this).padEnd(18)}${r.other ? `  ${cell(r.other).padEnd(18)}  ${r.ratio!.toFixed(2)}` : ''}`;
    }),
    `host: ${cpus().length} CPUs, 1-minute load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`,
  ];
  if (rows.some((r) => !r.this.asMeant || (r.other && !r.other.asMeant)))
    out.push(`note: "(exit N)" marks runs that did not exit as meant (status: 3, not running; 2 means no Docker engine answered)`);
  process.stdout.write(`${out.join('\n')}\n`);
  const at = new Date().toISOString();
  log(`results written to ${writeJson('cli', at, { at, runs, checkouts, rows, loadAverage: { before: loadBefore, after: loadAfter } })}`);
  return 0;
}
