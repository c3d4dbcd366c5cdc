// `npm run bench -- warm`: what a new web node's first minute costs its users, with the warm-up
// (warm-node.php: the cluster's hot scripts into OPcache, strings, the login page's CSS and JS,
// while /healthz says 503) and without it (MOODLE_WARM_SECONDS=0), in one run.
//
// Brings up its own cluster "mhbenchwarm" (dev, one web node, ports 28580/28584/28585; spec in a
// temp folder), makes the load course, runs the journey mix through HAProxy so web-1 has compiled
// what users run, and has web-1 publish the hot list. Then, per round, each variant in turn
// (alternating which goes first): a fresh web container of the cluster's own web definition (not
// in the load balancer; its port published on 127.0.0.1), timed from start to /healthz 200, then
// the journey mix straight at it: its first --window seconds (fresh), then the next --window
// seconds (by then warm). Figures: start → ready, p95 and p50 of each window, and the ratio
// fresh/warm p95 (issue 10's target: ≤ 1.5). Torn down (`down --volumes`) at the end, also on
// failure or Ctrl-C.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RUNTIME_IMAGE } from '../src/contract/image.ts';
import { exec, inspectContainer } from '../src/local/containers.ts';
import { clusterNames } from '../src/local/names.ts';
import { localRuntime } from '../src/local/runtime.ts';
import { ensureSecrets } from '../src/local/secrets.ts';
import { runtimeContainer, type ImageTags } from '../src/local/services.ts';
import { prepareFixture, type LoadFixture } from '../src/ops/load/fixture.ts';
import { loadTarget, runLoad } from '../src/ops/load/run.ts';
import { percentile } from '../src/ops/load/stats.ts';
import type { Target } from '../src/ops/load/http.ts';
import { readSpec } from '../src/spec/read.ts';
import { createExtra, publishedPort, removeAllExtras, removeExtra, until200 } from './extra.ts';
import { onInterrupt, reportFailure } from './interrupt.ts';
import { cli } from './cluster.ts';
import { bringUp, downVolumes, type BenchCluster } from './journeys-clusters.ts';
import { preflight } from './preflight.ts';
import { writeJson } from './report.ts';
import { wholeFlag } from './flags.ts';

const CLUSTER = { name: 'mhbenchwarm', http: 28580, stats: 28584, mail: 28585 } as const;
const USAGE = `usage: npm run bench -- warm [--users 4] [--window 60] [--rounds 1]
  --users   virtual users of the journey mix on the fresh node (each its own session)
  --window  seconds of each measured window (fresh, then warm)
  --rounds  rounds; each runs both variants, alternating which goes first
`;
const VARIANTS = { 'warm-up': undefined, 'no warm-up': '0' } as const;
type Variant = keyof typeof VARIANTS;
const log = (s: string) => process.stderr.write(`bench warm: ${s}\n`);

interface Window {
  readonly steps: number;
  readonly failed: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
}
interface Run {
  readonly variant: Variant;
  readonly round: number;
  readonly readySeconds: number;
  readonly fresh: Window;
  readonly warm: Window;
  readonly ratio: number | null;
}

function flags(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      users: { type: 'string', default: '4' },
      window: { type: 'string', default: '60' },
      rounds: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const num = (k: 'users' | 'window' | 'rounds', min: number, max: number) => wholeFlag(values, k, min, max, USAGE);
  return { users: num('users', 1, 50), window: num('window', 10, 600), rounds: num('rounds', 1, 10) };
}

/** The journey mix at `target` for one window; p50 and p95 over every step that got its page. */
async function measureWindow(
  target: Target,
  load: { fixture: LoadFixture; password: string },
  o: ReturnType<typeof flags>,
  signal: AbortSignal,
): Promise<Window> {
  const ms: number[] = [];
  const r = await runLoad({
    target,
    fixture: load.fixture,
    password: load.password,
    options: { users: o.users, durationSeconds: o.window, rampSeconds: 0, thinkSeconds: 1 },
    signal,
    onSample: (s) => {
      if (s.ok || s.kind === 'slow') ms.push(s.ms);
    },
  });
  ms.sort((a, b) => a - b);
  const round = (v: number | null) => (v === null ? null : Math.round(v));
  return { steps: r.totals.ok + r.totals.failed, failed: r.totals.failed, p50Ms: round(percentile(ms, 50)), p95Ms: round(percentile(ms, 95)) };
}

function writeSpec(): BenchCluster {
  const dir = mkdtempSync(join(tmpdir(), 'moodle-ha-bench-warm-'));
  const file = join(dir, 'moodle-ha.yaml');
  writeFileSync(file, `name: ${CLUSTER.name}\nweb:\n  nodes: 1\nports:\n  http: ${CLUSTER.http}\n  stats: ${CLUSTER.stats}\n  mail: ${CLUSTER.mail}\n`);
  const loaded = readSpec({ file });
  return { profile: 'dev', dir, file, spec: loaded.spec, runtime: localRuntime(loaded) };
}

/** A fresh web node of the cluster's definition, published on 127.0.0.1; the journey mix at it for two windows. */
async function measure(
  c: BenchCluster,
  tags: ImageTags,
  variant: Variant,
  round: number,
  o: ReturnType<typeof flags>,
  load: { fixture: LoadFixture; password: string; site: Target },
  signal: AbortSignal,
): Promise<Run> {
  const def = runtimeContainer(c.spec, tags, ensureSecrets(c.spec.name), 'web', 1);
  const name = `${c.spec.name}-benchwarm`;
  const value = VARIANTS[variant];
  const env = value === undefined ? def.env : { ...def.env, MOODLE_WARM_SECONDS: value };
  const node = await createExtra({ ...def, name, service: 'bench-warm', env, ports: [{ container: RUNTIME_IMAGE.port, host: 0, bind: '127.0.0.1' }] });
  try {
    const t0 = performance.now();
    await node.start();
    const port = await publishedPort(node, RUNTIME_IMAGE.port);
    await until200(`http://127.0.0.1:${port}${RUNTIME_IMAGE.healthPath}`, 120_000, { everyMs: 50, stop: () => signal.aborted });
    const readySeconds = (performance.now() - t0) / 1000;
    log(`${variant}, round ${round}: fresh node ready (/healthz 200) ${readySeconds.toFixed(2)} s after start`);
    const target: Target = { ...load.site, connectHost: '127.0.0.1', connectPort: port };
    const fresh = await measureWindow(target, load, o, signal);
    const warm = await measureWindow(target, load, o, signal);
    const ratio = fresh.p95Ms !== null && warm.p95Ms ? Math.round((fresh.p95Ms / warm.p95Ms) * 100) / 100 : null;
    log(`${variant}, round ${round}: p95 first ${o.window} s ${fresh.p95Ms} ms, next ${o.window} s ${warm.p95Ms} ms (×${ratio})`);
    return { variant, round, readySeconds: Math.round(readySeconds * 100) / 100, fresh, warm, ratio };
  } finally {
    await removeExtra(name);
  }
}

export async function warmBench(argv: readonly string[]): Promise<number> {
  const o = flags(argv);
  const c = writeSpec();
  const missing = await preflight(c.spec.moodle.version);
  if (missing) {
    process.stderr.write(`${missing}\n`);
    return 2;
  }
  const abort = new AbortController();
  const tearDown = async () => {
    await removeAllExtras();
    await downVolumes(c, log);
  };
  onInterrupt(log, 'interrupted: stopping the load and tearing the cluster down', abort, tearDown);
  try {
    log(`cluster ${c.spec.name}: http ${CLUSTER.http}; fresh state (down --volumes), then up`);
    await cli(['down', '--volumes', '--spec', c.file]);
    await bringUp(c);
    const n = clusterNames(c.spec.name);
    const image = async (x: string) => (await inspectContainer(x))?.Config.Image ?? '';
    const tags: ImageTags = { runtime: await image(n.container('web', 1)), mariadb: '', redis: '', haproxy: '', mail: '' };
    const { fixture, password } = await prepareFixture(c.runtime, { users: o.users, log });
    const site = loadTarget(c.spec);
    log(`the journey mix through HAProxy for ${o.window} s, so web-1 runs what users run; then web-1 publishes the hot list`);
    await runLoad({
      target: site,
      fixture,
      password,
      options: { users: o.users, durationSeconds: o.window, rampSeconds: 0, thinkSeconds: 1 },
      signal: abort.signal,
    });
    const pub = await exec(n.container('web', 1), ['php', '/opt/moodle-ha/php/warm-node.php', 'publish']);
    if (pub.code !== 0) throw new Error(`web-1 could not publish the hot list: ${pub.output}`);
    const hot = (await exec(n.container('web', 1), ['sh', '-c', 'wc -l < /var/www/moodledata/moodle-ha/hot-scripts.txt'])).output.trim();
    log(`hot list: ${hot} scripts`);

    const runs: Run[] = [];
    const names = Object.keys(VARIANTS) as Variant[];
    for (let round = 1; round <= o.rounds; round++) {
      const order = round % 2 === 1 ? names : [...names].reverse();
      for (const v of order) runs.push(await measure(c, tags, v, round, o, { fixture, password, site }, abort.signal));
    }
    const rows = runs.map(
      (r) =>
        `${r.variant.padEnd(11)} ${String(r.round).padStart(5)} ${r.readySeconds.toFixed(2).padStart(9)} ${String(r.fresh.p50Ms).padStart(9)} ${String(r.fresh.p95Ms).padStart(9)} ${String(r.warm.p50Ms).padStart(8)} ${String(r.warm.p95Ms).padStart(8)} ${String(r.ratio).padStart(6)} ${String(r.fresh.failed + r.warm.failed).padStart(6)}`,
    );
    process.stdout.write(
      [
        `fresh web node, first ${o.window} s of ${o.users} users' journeys against the next ${o.window} s (hot list ${hot} scripts; target: p95 ratio ≤ 1.5)`,
        'variant     round  ready s  fresh p50 fresh p95 warm p50 warm p95  ratio failed',
        ...rows,
        '',
      ].join('\n'),
    );
    const file = writeJson('warm', new Date().toISOString(), { schema: 'moodle-ha.bench-warm/1', options: o, hotScripts: Number(hot), runs });
    log(`results: ${file}`);
    return 0;
  } catch (e) {
    return reportFailure('warm', e, abort);
  } finally {
    await tearDown();
  }
}
