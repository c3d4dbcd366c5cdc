// `npm run bench`: figures for moodle-ha on this machine, printed as a table (stdout) and written
// as JSON to bench/results/. Brings up its own cluster "mhbench" (ports 28080/28404, spec in a
// temp folder) from a fresh state, measures, and tears everything down again, also on failure.
// Progress goes to stderr. See bench/README.md for how each figure is measured.
// `npm run bench -- journeys [flags]` runs the journeys benchmark instead (bench/journeys.ts),
// `npm run bench -- failover [flags]` the drills' failover seconds and the autoscaler's reaction (bench/failover.ts),
// `npm run bench -- cli [flags]` the CLI's own wall time for --help and status, before/after (bench/cli.ts),
// `npm run bench -- image` the runtime image's size with and without the left-out files (bench/image-size.ts),
// `npm run bench -- access-log` the Docker daemon's CPU per request, by web-node access log (bench/access-log.ts),
// `npm run bench -- warm` a fresh web node's first minute with and without the warm-up (bench/warm.ts).
// `npm run bench -- reader` the writer's queries per page with the database reader on and off (bench/reader.ts).
// `npm run bench -- reference` the cluster path against a plain Debian nginx + php8.2-fpm server (bench/reference.ts).
// `npm run bench -- janitor` the session janitor's sweep: scanning the keyspace against reading the locks' index (bench/janitor.ts).
import { rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { LABELS } from '../src/contract/image.ts';
import { exec, inspectContainer } from '../src/local/containers.ts';
import { docker } from '../src/local/engine/docker.ts';
import { clusterNames } from '../src/local/names.ts';
import { ensureSecrets } from '../src/local/secrets.ts';
import type { ImageTags } from '../src/local/services.ts';
import { meterCpu } from './cpu.ts';
import { readSpec } from '../src/spec/read.ts';
import { BENCH, cli, timedUp, writeBenchSpec } from './cluster.ts';
import { sessionFiles, startDirect, type Direct } from './direct.ts';
import { removeAllExtras } from './extra.ts';
import { imageSize } from './image.ts';
import { plainInstall } from './install.ts';
import { preflight } from './preflight.ts';
import { median, runLoad } from './load.ts';
import { renderTable, TARGET_RATIO, writeResults, type BenchResults, type Measured, type PageResult } from './report.ts';
import { webStartSeconds } from './start.ts';

const USAGE = `usage: npm run bench -- [--vus 16] [--duration 20] [--warmup 5] [--rounds 3] [--max-requests 100000] [--start-runs 3] [--with-cron] [--direct-no-redis]
  --vus           virtual users, each with its own cookie jar (own Moodle session)
  --duration      seconds per load measurement
  --warmup        seconds of warm-up per path and page before measuring
  --rounds        measurements per path and page, alternating cluster/direct (ABBA); medians reported
  --max-requests  upper bound on requests per measurement
  --start-runs    fresh web containers timed to /healthz 200 (median reported)
  --with-cron     leave the cluster's cron running while measuring (default: paused)
  --direct-no-redis  the direct path also keeps MUC caches in files (no Redis at all), like a plain one-server site
other benchmarks (one per run, not part of the default one):
  npm run bench -- journeys [--help]   journey mix on the ha profile at 1, 2 and 3 web nodes vs dev (about 11 min)
  npm run bench -- failover [--help]   the six drills' failover seconds and the autoscaler's reaction on one ha cluster (about 10 min)
  npm run bench -- cli [--help]        the CLI's wall time for --help and status, against another checkout for ratios (about 1 min)
  npm run bench -- image               the runtime image's size with and without the left-out files (tests/, source maps) (about 3 min)
  npm run bench -- access-log [--help] the Docker daemon's CPU per request with the web node's access log errors-only vs every request (about 2 min)
  npm run bench -- warm [--help]       a fresh web node's first minute with and without the warm-up, against the next minute (about 10 min)
  npm run bench -- reader [--help]     the writer's queries per page with the database reader on and off (ha; about 8 min)
  npm run bench -- reference [--help]  the cluster path against a plain Debian nginx + php8.2-fpm server: req/s, CPU, Moodle's per-page figures (about 15 min)
  npm run bench -- janitor [--help]    the session janitor's sweep at 20,000 sessions: scanning the keyspace against reading the locks' index (about 1 min)
`;
const PAGES = [
  { page: '/login/index.php', path: '/login/index.php' },
  { page: 'front page /', path: '/' },
];
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const withCpu = <T>(work: () => Promise<T>, everyMs = 0) => meterCpu(BENCH.name, cpus().length, work, everyMs);

function flags() {
  const { values } = parseArgs({
    options: {
      vus: { type: 'string', default: '16' },
      duration: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '3' },
      'max-requests': { type: 'string', default: '100000' },
      'start-runs': { type: 'string', default: '3' },
      'with-cron': { type: 'boolean', default: false },
      'direct-no-redis': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const num = (k: 'vus' | 'duration' | 'warmup' | 'rounds' | 'max-requests' | 'start-runs', min: number) => {
    const v = Number(values[k]);
    if (!Number.isFinite(v) || v < min) throw new Error(`--${k} must be a number ≥ ${min}, got "${values[k]}"\n${USAGE}`);
    return v;
  };
  return {
    vus: Math.floor(num('vus', 1)),
    duration: num('duration', 1),
    warmup: num('warmup', 0),
    rounds: Math.floor(num('rounds', 1)),
    maxRequests: Math.floor(num('max-requests', 1)),
    startRuns: Math.floor(num('start-runs', 1)),
    withCron: values['with-cron'],
    directNoRedis: values['direct-no-redis'],
  };
}

async function measurePage(p: (typeof PAGES)[number], direct: Direct, f: ReturnType<typeof flags>): Promise<PageResult> {
  const targets = {
    cluster: { url: `http://127.0.0.1:${BENCH.http}${p.path}`, host: `localhost:${BENCH.http}` },
    direct: { url: `${direct.base}${p.path}`, host: direct.host },
  };
  const run = (which: 'cluster' | 'direct', seconds: number) =>
    runLoad({ ...targets[which], vus: f.vus, durationMs: seconds * 1000, maxRequests: f.maxRequests });
  const measure = async (which: 'cluster' | 'direct'): Promise<Measured> => {
    const { value, cpu } = await withCpu(() => run(which, f.duration));
    return { ...value, cpu, cpuMsPerRequest: Math.round((cpu.containersSeconds * 1000 * 100) / value.ok) / 100 };
  };
  if (f.warmup > 0) {
    for (const which of ['cluster', 'direct'] as const) {
      const w = await run(which, f.warmup);
      log(`${p.page} warm-up ${which}: ${w.rps} req/s, ${w.errors} errors`);
    }
  }
  const results: Record<'cluster' | 'direct', Measured[]> = { cluster: [], direct: [] };
  for (let i = 0; i < f.rounds; i++) {
    for (const which of i % 2 === 0 ? (['cluster', 'direct'] as const) : (['direct', 'cluster'] as const)) {
      const r = await measure(which);
      results[which].push(r);
      log(
        `${p.page} round ${i + 1} ${which}: ${r.rps} req/s, p95 ${r.p95} ms, ${r.cpuMsPerRequest} CPU ms/req, ${r.errors} errors${r.errors ? ` ${JSON.stringify(r.errorKinds)}` : ''}, ${r.sessions} sessions (${r.sessionsIssued} issued), other work ${(r.cpu.otherShare * 100).toFixed(0)}% of the CPUs`,
      );
    }
  }
  const clusterRps = median(results.cluster.map((r) => r.rps));
  const directRps = median(results.direct.map((r) => r.rps));
  const ratio = clusterRps / directRps;
  const cpuMs = (w: 'cluster' | 'direct') => median(results[w].map((r) => r.cpuMsPerRequest));
  return {
    page: p.page,
    ...results,
    clusterRps,
    directRps,
    clusterCpuMs: cpuMs('cluster'),
    directCpuMs: cpuMs('direct'),
    clusterP95: median(results.cluster.map((r) => r.p95)),
    directP95: median(results.direct.map((r) => r.p95)),
    ratio,
    met: ratio >= TARGET_RATIO,
  };
}

async function main(): Promise<number> {
  let f: ReturnType<typeof flags>;
  try {
    f = flags();
  } catch (e) {
    const msg = (e as Error).message;
    process.stderr.write(`${msg}\n${msg.includes('usage:') ? '' : USAGE}`);
    return 2;
  }
  const { dir, file } = writeBenchSpec();
  const spec = readSpec({ file }).spec;
  const n = clusterNames(spec.name);
  const missing = await preflight(spec.moodle.version);
  if (missing) {
    process.stderr.write(`${missing}\n`);
    rmSync(dir, { recursive: true, force: true });
    return 2;
  }
  let cronPaused = false;
  let tornDown = false;
  const teardown = async () => {
    if (tornDown) return;
    tornDown = true;
    log('tearing down the bench cluster (down --volumes) and the extra containers');
    if (cronPaused)
      await docker()
        .getContainer(n.container('cron'))
        .unpause()
        .catch(() => {});
    await removeAllExtras();
    const d = await cli(['down', '--volumes', '--spec', file]);
    if (d.code !== 0)
      log(`down --volumes failed (exit ${d.code}); remove what is left with: npx moodle-ha down --volumes --spec <a spec with name: ${spec.name}>`);
    rmSync(dir, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void teardown().finally(() => process.exit(130)));

  try {
    log(`cluster ${spec.name}: http ${BENCH.http}, stats ${BENCH.stats}, spec ${file}`);
    log('fresh state: down --volumes');
    await cli(['down', '--volumes', '--spec', file]);
    log('images: build what is missing (not timed)');
    const built = await cli(['build', '--spec', file]);
    if (built.code !== 0) throw new Error(`moodle-ha build failed (exit ${built.code})`);
    const others = (await docker().listContainers()).filter((c) => c.Labels[LABELS.cluster] !== spec.name).length;
    log('timing up from a fresh state (images built)');
    const { value: up, cpu: upCpu } = await withCpu(() => timedUp(file), 1000);
    const image = async (c: string) => (await inspectContainer(c))?.Config.Image ?? '';
    const tags: ImageTags = {
      runtime: await image(n.container('web', 1)),
      mariadb: await image(n.container('db')),
      redis: await image(n.container('redis')),
      haproxy: await image(n.container('lb')),
      mail: await image(n.container('mail')),
    };
    const notes: string[] = [];
    if (Object.keys(up.steps).some((k) => k.startsWith('build ')))
      notes.push('up rebuilt an image (its build context changed after "build"): the up time includes that build');
    const secrets = ensureSecrets(spec.name);
    if (!f.withCron) {
      await docker().getContainer(n.container('cron')).pause();
      cronPaused = true;
      log('cron paused for the measurements (--with-cron to keep it)');
    }

    log('plain install.php for comparison (this copies the code first; only install.php is timed)');
    const { value: plain, cpu: plainCpu } = await withCpu(() => plainInstall(spec, tags, secrets, log), 1000);
    log(`plain install.php: ${plain.seconds.toFixed(1)} s`);
    log(`web container start → /healthz 200, ${f.startRuns} runs`);
    const starts = await webStartSeconds(spec, tags, secrets, f.startRuns, log);
    log('image size: docker save | gzip, streamed and counted');
    const size = await imageSize(tags.runtime);

    log('direct web container (no LB, file sessions)');
    const direct = await startDirect(spec, tags, secrets, f.directNoRedis);
    log(`direct: ${direct.base} (wwwroot ${direct.wwwroot})`);
    const pages: PageResult[] = [];
    for (const p of PAGES) pages.push(await measurePage(p, direct, f));

    const redisSessions = await exec(n.container('redis'), [
      'sh',
      '-c',
      `REDISCLI_AUTH="$(cat /run/redis/secrets/redis-password)" redis-cli --scan --pattern '*_sess_session_*' | wc -l`,
    ]);
    const results: BenchResults = {
      at: new Date().toISOString(),
      host: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), docker: (await docker().version()).Version, node: process.versions.node },
      cluster: spec.name,
      image: size,
      webStart: { runs: starts, median: median(starts) },
      up,
      plainInstall: plain,
      load: { vus: f.vus, durationSeconds: f.duration, warmupSeconds: f.warmup, rounds: f.rounds, cronPaused, directNoRedis: f.directNoRedis, pages },
      otherCpu: { up: upCpu, plainInstall: plainCpu },
      checks: {
        otherContainersAtStart: others,
        redisSessionKeys: Number(redisSessions.output.trim()) || 0,
        directSessionFiles: await sessionFiles(direct.name),
        fpmWorkersBothPaths: spec.web.fpmWorkers,
        webMemoryBothPaths: `${spec.web.memory.bytes} B`,
      },
      notes: [
        ...notes,
        f.directNoRedis
          ? 'direct path: no Redis at all (file sessions; MUC default file stores, config on the container disk)'
          : 'the direct path still uses Redis for the MUC application caches (the MUC config is in the shared dataroot); only PHP sessions differ (--direct-no-redis for none)',
        'the load generator runs on the same machine as the cluster and shares its CPUs',
      ],
    };
    process.stdout.write(renderTable(results));
    log(`results written to ${writeResults(results)}`);
    return 0;
  } catch (e) {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
    return 1;
  } finally {
    await teardown();
  }
}

/** Benchmarks run by name (`npm run bench -- NAME`); without a name, the default one above. */
const NAMED: Record<string, () => Promise<(argv: readonly string[]) => Promise<number>>> = {
  journeys: async () => (await import('./journeys.ts')).journeys,
  failover: async () => (await import('./failover.ts')).failover,
  cli: async () => (await import('./cli.ts')).cliBench,
  image: async () => (await import('./image-size.ts')).imageBench,
  'access-log': async () => (await import('./access-log.ts')).accessLogBench,
  janitor: async () => (await import('./janitor.ts')).janitorBench,
  warm: async () => (await import('./warm.ts')).warmBench,
  reader: async () => (await import('./reader.ts')).readerBench,
  reference: async () => (await import('./reference.ts')).referenceBench,
};
const [first, ...rest] = process.argv.slice(2);
if (first === undefined || first.startsWith('-')) process.exitCode = await main();
else if (NAMED[first]) process.exitCode = await (await NAMED[first]())(rest);
else {
  process.stderr.write(`unknown benchmark "${first}": choose one of ${Object.keys(NAMED).join(', ')}, or none for the default\n${USAGE}`);
  process.exitCode = 2;
}
