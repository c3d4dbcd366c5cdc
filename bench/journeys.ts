// `npm run bench -- journeys`: throughput and p95 of the journey mix (the project's load
// generator, src/ops/load) on the ha profile at 1, 2 and 3 web nodes and on the dev profile, in
// the same run. On 2 cores more nodes cannot add CPU: the figures to watch are the ratio of the
// HA path to dev and that nothing collapses. Table on stdout, progress on stderr, JSON in
// bench/results/. Tears both clusters down at the end, also on failure or Ctrl-C.
//
// Both clusters are brought up one after the other (never two `up`s at once) and then both stay
// up, so that the measurements can alternate dev, ha-1, ha-2, ha-3 and back within every round:
// on a shared machine whose load changes over minutes (other clusters, drills, builds) that is
// fairer than measuring one cluster, tearing it down and measuring the other minutes later. The
// price is the idle cluster's background work (health checks, Galera and Sentinel heartbeats,
// cron paused), which is measured during every run and printed ("idle cluster CPU"). Memory is
// not the limit: both clusters fit in a few GiB.
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { docker } from '../src/local/engine/docker.ts';
import { inspectContainer, sleep } from '../src/local/containers.ts';
import { clusterNames } from '../src/local/names.ts';
import { scaleTo } from '../src/local/scale.ts';
import { prepareFixture, type LoadFixture } from '../src/ops/load/fixture.ts';
import { LIMITS } from '../src/ops/load/run.ts';
import { bringUp, deleteReplies, downVolumes, setCronPaused, tearDown, writeClusterSpec, type BenchCluster, type Profile } from './journeys-clusters.ts';
import { CONFIGS, journeyLoad, measure, SLOWSTART_MS, type Config, type JourneyOptions, type JourneyRun, type MeasureArgs } from './journeys-measure.ts';
import { renderJourneys, summarize, type ClusterFacts, type JourneysResults } from './journeys-report.ts';
import { preflight } from './preflight.ts';
import { writeJson } from './report.ts';
import { onInterrupt, reportFailure } from './interrupt.ts';

const USAGE = `usage: npm run bench -- journeys [--users 16] [--duration 20] [--warmup 15] [--rounds 3] [--think 0] [--max-requests 100000] [--with-cron]
  --users         virtual users, each logged in as its own generated user (1-100)
  --duration      seconds per measurement (5-600)
  --warmup        seconds of the journey mix before each measurement (0-300); after a scale-out
                  the measurement also waits for HAProxy's slow start (${SLOWSTART_MS / 1000} s) to end
  --rounds        rounds of dev → ha-1 → ha-2 → ha-3, alternating direction (ABBA); medians (1-10)
  --think         mean think time between pages, seconds (0-10; 0 = as fast as the site answers)
  --max-requests  upper bound on HTTP requests per measurement (1-${LIMITS.maxRequests})
  --with-cron     leave both clusters' cron running while measuring (default: paused)
`;

const log = (s: string) => process.stderr.write(`bench journeys: ${s}\n`);

function flags(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      users: { type: 'string', default: '16' },
      duration: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '15' },
      rounds: { type: 'string', default: '3' },
      think: { type: 'string', default: '0' },
      'max-requests': { type: 'string', default: '100000' },
      'with-cron': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const num = (k: 'users' | 'duration' | 'warmup' | 'rounds' | 'think' | 'max-requests', min: number, max: number, whole = false) => {
    const v = Number(values[k]);
    if (!Number.isFinite(v) || v < min || v > max || (whole && !Number.isInteger(v)))
      throw new Error(`--${k} must be a ${whole ? 'whole ' : ''}number from ${min} to ${max}, got "${values[k]}"`);
    return v;
  };
  return {
    help: values.help,
    users: num('users', 1, 100, true),
    durationSeconds: num('duration', 5, 600),
    warmupSeconds: num('warmup', 0, 300),
    rounds: num('rounds', 1, 10, true),
    thinkSeconds: num('think', 0, 10),
    maxRequests: num('max-requests', 1, LIMITS.maxRequests, true),
    withCron: values['with-cron'],
  };
}

/** The measurement order: dev, ha-1, ha-2, ha-3 in odd rounds, the reverse in even ones. */
export function roundOrder(rounds: number): Array<{ round: number; config: Config }> {
  return Array.from({ length: rounds }, (_, i) => (i % 2 === 0 ? CONFIGS : [...CONFIGS].reverse()).map((config) => ({ round: i + 1, config }))).flat();
}

export async function journeys(argv: readonly string[]): Promise<number> {
  let f: ReturnType<typeof flags>;
  try {
    f = flags(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (f.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const t0 = performance.now();
  const clusters: Record<Profile, BenchCluster> = { dev: writeClusterSpec('dev'), ha: writeClusterSpec('ha') };
  const missing = await preflight(clusters.dev.spec.moodle.version);
  const abort = new AbortController();
  let teardown: Promise<void> | undefined;
  const tearDownAll = () =>
    (teardown ??= (async () => {
      log(`tearing down ${clusters.dev.spec.name} and ${clusters.ha.spec.name} (down --volumes)`);
      for (const c of Object.values(clusters)) await tearDown(c, log);
    })());
  if (missing) {
    process.stderr.write(`${missing}\n`);
    await tearDownAll();
    return 2;
  }
  onInterrupt(log, 'interrupted: stopping the load and tearing down', abort, tearDownAll);

  try {
    for (const c of Object.values(clusters)) {
      log(`cluster ${c.spec.name}: profile ${c.profile}, http ${c.spec.ports.http}, stats ${c.spec.ports.stats}, spec ${c.file}; fresh state: down --volumes`);
      await downVolumes(c, log);
    }
    const facts: Partial<Record<Profile, ClusterFacts>> = {};
    const data: Partial<Record<Profile, { fixture: LoadFixture; password: string }>> = {};
    // One after the other: the second `up` starts when the first cluster is serving.
    for (const c of Object.values(clusters)) {
      log(`up ${c.spec.name} (profile ${c.profile})`);
      const upSeconds = await bringUp(c);
      if (abort.signal.aborted) throw new Error('interrupted');
      if (!f.withCron) await setCronPaused(c, true);
      log(`test data on ${c.spec.name} (Moodle's generator, course size for ${f.users} users)`);
      const tf = performance.now();
      const d = await prepareFixture(c.runtime, { users: f.users, log: (s) => log(`  ${s}`) });
      data[c.profile] = d;
      const fx = d.fixture;
      facts[c.profile] = {
        name: c.spec.name,
        profile: c.profile,
        runtimeImage: (await inspectContainer(clusterNames(c.spec.name).container('web', 1)))?.Config.Image ?? '',
        upSeconds: Math.round(upSeconds),
        fixtureSeconds: Math.round((performance.now() - tf) / 1000),
        fixture: { course: fx.course, forum: fx.forum, file: fx.file, discussions: fx.discussions.length, users: fx.usernames.length },
      };
    }
    log(`cron ${f.withCron ? 'left running' : 'paused on both clusters'}`);

    const options: JourneyOptions = { users: f.users, durationSeconds: f.durationSeconds, thinkSeconds: f.thinkSeconds, maxRequests: f.maxRequests };
    const runs: JourneyRun[] = [];
    const warmups: JourneysResults['warmups'][number][] = [];
    const scaling: JourneysResults['scaling'][number][] = [];
    const tm = performance.now();
    for (const { round, config } of roundOrder(f.rounds)) {
      if (abort.signal.aborted) throw new Error('interrupted');
      const active = clusters[config.profile];
      const idle = clusters[config.profile === 'dev' ? 'ha' : 'dev'];
      let joinedAt = 0;
      if (config.profile === 'ha') {
        for (const s of await scaleTo(active.spec, config.nodes, (s) => log(`scale: ${s.node} ${s.action} in ${s.ms} ms (${s.detail})`))) {
          scaling.push({ node: s.node, action: s.action, ms: s.ms });
          if (s.action === 'added') joinedAt = performance.now();
        }
      }
      const { fixture, password } = data[config.profile]!;
      const a: MeasureArgs = { config, round, active, idle, fixture, password, options, signal: abort.signal, log };
      await deleteReplies(active, fixture.forum.id);
      if (f.warmupSeconds > 0) {
        const w = await journeyLoad(a, f.warmupSeconds, `${config.name} round ${round} warm-up`);
        const stepsPerSecond = Math.round((w.totals.ok / w.elapsedSeconds) * 10) / 10;
        warmups.push({ config: config.name, round, stepsPerSecond, failed: w.totals.failed, failures: w.failures.slice(0, 3) });
        log(`${config.name} round ${round} warm-up: ${stepsPerSecond} steps/s, ${w.totals.failed} failed`);
        for (const x of w.failures.slice(0, 3)) log(`  warm-up failure at ${(x.atMs / 1000).toFixed(1)} s ${x.step} ${x.kind}: ${x.detail}`);
      }
      const deleted = await deleteReplies(active, fixture.forum.id);
      // A node that just joined gets a growing share of the traffic during HAProxy's slow start.
      const wait = joinedAt ? joinedAt + SLOWSTART_MS + 500 - performance.now() : 0;
      if (wait > 0) {
        log(`waiting ${(wait / 1000).toFixed(1)} s for HAProxy's slow start of the new node`);
        await sleep(wait);
      }
      if (abort.signal.aborted) throw new Error('interrupted');
      const r = await measure(a);
      runs.push(r);
      const pctOf = (x: number) => `${(x * 100).toFixed(0)}%`;
      log(
        `${config.name} round ${round}: ${r.stepsPerSecond} steps/s, p95 ${r.p95Ms} ms, ${r.cpuMsPerStep} CPU ms/step, ${r.failed} failed (${r.lostSessions} lost sessions), ${r.posts} replies (${deleted} earlier ones deleted before), other work ${pctOf(r.otherShare)}, idle cluster ${pctOf(r.idleClusterShare)}, load generator ${pctOf(r.loadGeneratorShare)} of the CPUs`,
      );
      for (const x of r.failures.slice(0, 3)) log(`  failure at ${(x.atMs / 1000).toFixed(1)} s ${x.step} ${x.kind}: ${x.detail}`);
    }
    const measureSeconds = Math.round((performance.now() - tm) / 1000);

    const { summary, ratios } = summarize(CONFIGS, runs);
    const dev = facts.dev!;
    const ha = facts.ha!;
    const notes = [
      'both clusters run the same FPM workers and web memory, no CPU limit; the load generator runs on the same machine and shares its CPUs',
      'ha-1/dev is the cost of the HA data path alone (Galera writer through the endpoints proxy, Redis through the primary endpoint with a replica and Sentinels); ha-2 and ha-3 add web nodes on the same 2 cores',
    ];
    if (dev.runtimeImage !== ha.runtimeImage)
      notes.push(
        `the clusters run different runtime images (${dev.runtimeImage} vs ${ha.runtimeImage}): the image's build context changed between the two ups`,
      );
    const results: JourneysResults = {
      schema: 'moodle-ha.bench-journeys/1',
      at: new Date().toISOString(),
      host: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), docker: (await docker().version()).Version, node: process.versions.node },
      options: {
        users: f.users,
        durationSeconds: f.durationSeconds,
        warmupSeconds: f.warmupSeconds,
        thinkSeconds: f.thinkSeconds,
        rounds: f.rounds,
        maxRequests: f.maxRequests,
        cronPaused: !f.withCron,
      },
      clusters: { dev, ha },
      timings: { measureSeconds, totalSeconds: Math.round((performance.now() - t0) / 1000) },
      order: roundOrder(f.rounds).map((x) => x.config.name),
      summary,
      ratios,
      runs,
      warmups,
      scaling,
      notes,
    };
    process.stdout.write(renderJourneys(results));
    log(`results written to ${writeJson('journeys', results.at, results)}`);
    return 0;
  } catch (e) {
    return reportFailure('journeys', e, abort);
  } finally {
    await tearDownAll();
  }
}
