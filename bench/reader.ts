// `npm run bench -- reader`: what the database reader takes off the writer (issue 10), in one run.
//
// Brings up its own ha cluster "mhbenchreader" (2 web nodes, ports 28680/28684/28685; spec in a
// temp folder) and makes the load course. Then, per round, each variant in turn (alternating which
// goes first): `up` with `database.reader` on or off (the web nodes and cron are replaced with the
// new environment), the journey mix for a warm-up, then for --window seconds while every Galera
// member's SELECTs and statements are counted (SHOW GLOBAL STATUS before and after). Figures per
// journey step (a page a user asked for): the writer's SELECTs and statements, the other members',
// steps per second and p95. Cron runs meanwhile in both variants, as on a site. Torn down
// (`down --volumes`) at the end, also on failure or Ctrl-C.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exec } from '../src/local/containers.ts';
import { ENDPOINTS_ADMIN_SOCKET } from '../src/local/endpoints.ts';
import { HA_DB_NODES } from '../src/local/data-services.ts';
import { clusterNames } from '../src/local/names.ts';
import { stickServer } from '../src/local/roll-data-docker.ts';
import { localRuntime } from '../src/local/runtime.ts';
import { prepareFixture, type LoadFixture } from '../src/ops/load/fixture.ts';
import { loadTarget, runLoad } from '../src/ops/load/run.ts';
import { percentile } from '../src/ops/load/stats.ts';
import type { Target } from '../src/ops/load/http.ts';
import { readSpec } from '../src/spec/read.ts';
import { BENCH, cli } from './cluster.ts';
import { onInterrupt, reportFailure } from './interrupt.ts';
import { bringUp, downVolumes, type BenchCluster } from './journeys-clusters.ts';
import { preflight } from './preflight.ts';
import { writeJson } from './report.ts';
import { wholeFlag } from './flags.ts';
import { median } from './load.ts';

const CLUSTER = { name: 'mhbenchreader', http: 28680, stats: 28684, mail: 28685 } as const;
const USAGE = `usage: npm run bench -- reader [--users 8] [--window 60] [--warmup 20] [--rounds 2]
  --users   virtual users of the journey mix (each its own session)
  --window  seconds of each measured window
  --warmup  seconds of journeys after each variant's up, not measured
  --rounds  rounds; each runs both variants, alternating which goes first
`;
const VARIANTS = ['reader', 'no reader'] as const;
type Variant = (typeof VARIANTS)[number];
const log = (s: string) => process.stderr.write(`bench reader: ${s}\n`);

interface Counts {
  readonly selects: number;
  readonly statements: number;
}
interface Run {
  readonly variant: Variant;
  readonly round: number;
  readonly writer: string;
  readonly steps: number;
  readonly failed: number;
  readonly stepsPerSecond: number;
  readonly p95Ms: number | null;
  /** Per step: the writer's, and all other members' together. */
  readonly writerSelects: number;
  readonly writerStatements: number;
  readonly readerSelects: number;
  readonly readerStatements: number;
}

function flags(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      users: { type: 'string', default: '8' },
      window: { type: 'string', default: '60' },
      warmup: { type: 'string', default: '20' },
      rounds: { type: 'string', default: '2' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const num = (k: 'users' | 'window' | 'warmup' | 'rounds', min: number, max: number) => wholeFlag(values, k, min, max, USAGE);
  return { users: num('users', 1, 50), window: num('window', 10, 600), warmup: num('warmup', 0, 300), rounds: num('rounds', 1, 10) };
}

function writeSpec(reader: boolean, dir = mkdtempSync(join(tmpdir(), 'moodle-ha-bench-reader-'))): BenchCluster {
  const file = join(dir, 'moodle-ha.yaml');
  writeFileSync(
    file,
    `name: ${CLUSTER.name}\nprofile: ha\nweb:\n  nodes: 2\n  fpmWorkers: ${BENCH.fpmWorkers}\ndatabase:\n  reader: ${reader}\nports:\n  http: ${CLUSTER.http}\n  stats: ${CLUSTER.stats}\n  mail: ${CLUSTER.mail}\n`,
  );
  const loaded = readSpec({ file });
  return { profile: 'ha', dir, file, spec: loaded.spec, runtime: localRuntime(loaded) };
}

const members = () => Array.from({ length: HA_DB_NODES }, (_, i) => clusterNames(CLUSTER.name).container('db', i + 1));

async function counts(): Promise<Map<string, Counts>> {
  const out = new Map<string, Counts>();
  for (const m of members()) {
    const r = await exec(m, ['mariadb', '--protocol=socket', '-N', '-s', '-e', "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_select','Questions')"]);
    const v = (k: string) => Number(new RegExp(`${k}\\s+(\\d+)`).exec(r.output)?.[1] ?? Number.NaN);
    out.set(m, { selects: v('Com_select'), statements: v('Questions') });
  }
  return out;
}

async function writer(): Promise<string> {
  const r = await exec(clusterNames(CLUSTER.name).container('endpoints'), ['sh', '-c', `echo "show table db" | socat stdio ${ENDPOINTS_ADMIN_SOCKET}`]);
  const w = stickServer(r.output);
  if (!w) throw new Error(`the writer endpoint names no member yet: ${r.output.trim()}`);
  return w;
}

async function measure(
  variant: Variant,
  round: number,
  o: ReturnType<typeof flags>,
  load: { fixture: LoadFixture; password: string; site: Target },
  signal: AbortSignal,
): Promise<Run> {
  const run = (seconds: number, onSample?: (s: { ok: boolean; kind?: string; ms: number }) => void) =>
    runLoad({
      target: load.site,
      fixture: load.fixture,
      password: load.password,
      options: { users: o.users, durationSeconds: seconds, rampSeconds: 0, thinkSeconds: 0 },
      signal,
      onSample,
    });
  if (o.warmup > 0) await run(o.warmup);
  const w = await writer();
  const before = await counts();
  const ms: number[] = [];
  const r = await run(o.window, (s) => {
    if (s.ok) ms.push(s.ms);
  });
  const after = await counts();
  if ((await writer()) !== w) throw new Error('the writer moved during the measurement: the figures would mix two members; run again');
  const steps = r.totals.ok + r.totals.failed;
  const per = (pick: (c: Counts) => number, which: (m: string) => boolean) =>
    Math.round(
      (members()
        .filter(which)
        .reduce((sum, m) => sum + pick(after.get(m)!) - pick(before.get(m)!), 0) /
        Math.max(1, steps)) *
        10,
    ) / 10;
  ms.sort((a, b) => a - b);
  const p95 = percentile(ms, 95);
  const result: Run = {
    variant,
    round,
    writer: w,
    steps,
    failed: r.totals.failed,
    stepsPerSecond: Math.round((r.totals.ok / r.elapsedSeconds) * 10) / 10,
    p95Ms: p95 === null ? null : Math.round(p95),
    writerSelects: per(
      (c) => c.selects,
      (m) => m === w,
    ),
    writerStatements: per(
      (c) => c.statements,
      (m) => m === w,
    ),
    readerSelects: per(
      (c) => c.selects,
      (m) => m !== w,
    ),
    readerStatements: per(
      (c) => c.statements,
      (m) => m !== w,
    ),
  };
  log(
    `${variant}, round ${round}: ${steps} steps (${result.stepsPerSecond}/s, p95 ${result.p95Ms} ms); per step the writer ${result.writerSelects} SELECTs / ${result.writerStatements} statements, the others ${result.readerSelects} / ${result.readerStatements}`,
  );
  return result;
}

export async function readerBench(argv: readonly string[]): Promise<number> {
  const o = flags(argv);
  let c = writeSpec(true);
  const missing = await preflight(c.spec.moodle.version);
  if (missing) {
    process.stderr.write(`${missing}\n`);
    return 2;
  }
  const abort = new AbortController();
  const tearDown = () => downVolumes(c, log);
  onInterrupt(log, 'interrupted: stopping the load and tearing the cluster down', abort, tearDown);
  try {
    log(`cluster ${CLUSTER.name} (ha): http ${CLUSTER.http}; fresh state (down --volumes), then up`);
    await cli(['down', '--volumes', '--spec', c.file]);
    await bringUp(c);
    const { fixture, password } = await prepareFixture(c.runtime, { users: o.users, log });
    const site = loadTarget(c.spec);
    const runs: Run[] = [];
    for (let round = 1; round <= o.rounds; round++) {
      for (const v of round % 2 === 1 ? VARIANTS : [...VARIANTS].reverse()) {
        c = writeSpec(v === 'reader', c.dir);
        log(`${v}, round ${round}: up with database.reader ${v === 'reader'} (web nodes and cron replaced one at a time)`);
        await bringUp(c);
        runs.push(await measure(v, round, o, { fixture, password, site }, abort.signal));
      }
    }
    const med = (v: Variant, k: keyof Run) => median(runs.filter((r) => r.variant === v).map((r) => r[k] as number));
    const ratio = (k: keyof Run) => Math.round((med('reader', k) / med('no reader', k)) * 100) / 100;
    const rows = runs.map(
      (r) =>
        `${r.variant.padEnd(10)} ${String(r.round).padStart(5)} ${String(r.steps).padStart(6)} ${r.stepsPerSecond.toFixed(1).padStart(7)} ${String(r.p95Ms).padStart(7)} ${r.writerSelects.toFixed(1).padStart(10)} ${r.writerStatements.toFixed(1).padStart(10)} ${r.readerSelects.toFixed(1).padStart(10)} ${r.readerStatements.toFixed(1).padStart(10)} ${String(r.failed).padStart(6)}`,
    );
    process.stdout.write(
      [
        `database reader on and off, ${o.users} users' journey mix for ${o.window} s per run (ha, 2 web nodes, cron running); figures per journey step`,
        'variant    round  steps steps/s p95 ms  writer SEL writer stm  other SEL  other stm failed',
        ...rows,
        `medians, reader / no reader: the writer's SELECTs ×${ratio('writerSelects')}, its statements ×${ratio('writerStatements')}; steps/s ×${ratio('stepsPerSecond')}; p95 ×${ratio('p95Ms')}`,
        '',
      ].join('\n'),
    );
    const file = writeJson('reader', new Date().toISOString(), { schema: 'moodle-ha.bench-reader/1', options: o, runs });
    log(`results: ${file}`);
    return 0;
  } catch (e) {
    return reportFailure('reader', e, abort);
  } finally {
    await tearDown();
  }
}
