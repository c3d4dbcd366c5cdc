// `npm run bench -- failover`: failover seconds for each drill and the autoscaler's reaction time,
// on one ha cluster in the same run. Brings up its own cluster "mhbenchfo" (profile ha, ports
// 28380/28704, spec in a temp folder; with the test probe plugin, so the upgrade drill has a plugin
// to raise), runs every drill of the registry in the order `moodle-ha drill all` runs them (upgrade
// last: it leaves the cluster one plugin version on) with the same code (runDrill; each drill's JSON + HTML go to bench/results/failover-<time>/),
// then measures the autoscaler on the same cluster (bench/failover-autoscaler.ts). One table on
// stdout, progress on stderr, a summary JSON in bench/results/. Exits 1 when a drill missed a bar,
// did not run, or the autoscaler did not react within its limit. Tears the cluster down
// (`down --volumes`) at the end, also on failure or Ctrl-C.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { docker } from '../src/local/engine/docker.ts';
import { runningWebNodes, scaleTo } from '../src/local/scale.ts';
import { localRuntime } from '../src/local/runtime.ts';
import { DRILL_DEFAULTS, parseDrillArgs, type DrillOptions } from '../src/ops/drills/options.ts';
import { DRILL_NAMES, type DrillName } from '../src/ops/drills/registry.ts';
import { writeResultFiles } from '../src/ops/drills/result-files.ts';
import { runDrill } from '../src/ops/drills/runner.ts';
import { readSpec, type LoadedSpec } from '../src/spec/read.ts';
import { isUserError } from '../src/util/errors.ts';
import { HostLoad, otherClusters } from './contention.ts';
import { measureAutoscaler, REACTION_LIMIT_S, scalingYaml } from './failover-autoscaler.ts';
import { drillLine, renderFailover, type DrillLine, type FailoverResults } from './failover-report.ts';
import { bringUp, downVolumes, type BenchCluster } from './journeys-clusters.ts';
import { preflight } from './preflight.ts';
import { writeJson } from './report.ts';
import { onInterrupt, reportFailure } from './interrupt.ts';

export const FAILOVER_CLUSTER = { name: 'mhbenchfo', http: 28380, stats: 28704, mail: 28705, webNodes: 2 } as const;

const USAGE = `usage: npm run bench -- failover [--users ${DRILL_DEFAULTS.users}] [--duration ${DRILL_DEFAULTS.durationSeconds}s] [--fault-at ${DRILL_DEFAULTS.faultAtSeconds}s]
  --users      virtual users of each drill's load (1-50); the autoscaler's load step uses as many, with no think time
  --duration   seconds of load per drill, e.g. 40s (15s-20m; scale-in and full-restart: as long as the fault takes + duration - fault-at)
  --fault-at   when the fault is injected into the load, e.g. 15s (at least 5s, and at least 10s before the end)
`;

const log = (s: string) => process.stderr.write(`bench failover: ${s}\n`);
const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results');
/** The test probe plugin (test/fixtures/plugins): the plugin the upgrade drill raises one version. */
const PROBE_PLUGIN = {
  component: 'local_moodlehaprobe',
  dir: join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'plugins', 'moodlehaprobe'),
};

function writeFailoverSpec(): BenchCluster & { readonly loaded: LoadedSpec } {
  const c = FAILOVER_CLUSTER;
  const dir = mkdtempSync(join(tmpdir(), 'moodle-ha-bench-failover-'));
  const file = join(dir, 'moodle-ha.yaml');
  cpSync(PROBE_PLUGIN.dir, join(dir, 'probe'), { recursive: true });
  writeFileSync(
    file,
    `name: ${c.name}\nprofile: ha\nweb:\n  nodes: ${c.webNodes}\nports:\n  http: ${c.http}\n  stats: ${c.stats}\n  mail: ${c.mail}\n` +
      `plugins:\n  - component: ${PROBE_PLUGIN.component}\n    source: ./probe\n${scalingYaml()}`,
  );
  const loaded = readSpec({ file });
  return { profile: 'ha', dir, file, spec: loaded.spec, loaded, runtime: localRuntime(loaded) };
}

function flags(argv: readonly string[]): { help: boolean; drills: DrillOptions } {
  const { values } = parseArgs({
    args: [...argv],
    options: { users: { type: 'string' }, duration: { type: 'string' }, 'fault-at': { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  // The drill command's own parsing: same bounds, same messages.
  return { help: values.help, drills: parseDrillArgs(['all'], { users: values.users, duration: values.duration, 'fault-at': values['fault-at'] }) };
}

/** The autoscaler's reaction with the contention meanwhile; a measurement that fails becomes a problem. */
async function autoscalerPhase(c: BenchCluster, users: number, signal: AbortSignal, hostLoad: HostLoad): Promise<FailoverResults['autoscaler']> {
  const start = Date.now();
  const before = await otherClusters(c.spec.name);
  try {
    const reaction = await measureAutoscaler(c, users, signal, log);
    return { ...reaction, loadAverage: hostLoad.between(start), otherClusters: [...new Set([...before, ...(await otherClusters(c.spec.name))])].sort() };
  } catch (e) {
    if (signal.aborted) throw e;
    const why = isUserError(e) ? [e.message, ...e.details].join('; ') : ((e as Error).stack ?? String(e));
    log(`autoscaler measurement failed: ${why}`);
    return { problems: [`the measurement failed: ${why}`] };
  }
}

export async function failover(argv: readonly string[]): Promise<number> {
  let f: ReturnType<typeof flags>;
  try {
    f = flags(argv);
  } catch (e) {
    process.stderr.write(`${isUserError(e) ? [e.message, ...e.details].join('\n  ') : (e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (f.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const o = f.drills;
  const t0 = Date.now();
  const at = new Date(t0).toISOString();
  const resultsDir = join(RESULTS, `failover-${at.replace(/[:.]/g, '-')}`);
  const c = writeFailoverSpec();
  const runtime = localRuntime(c.loaded);
  const abort = new AbortController();
  let current: DrillName | 'autoscaler' | undefined;
  let teardown: Promise<void> | undefined;
  const tearDownAll = () =>
    (teardown ??= (async () => {
      log(`tearing down ${c.spec.name} (down --volumes)`);
      await downVolumes(c, log);
      // full-restart runs `up` in this process: a Ctrl-C during it may leave containers the first down missed.
      if (current === 'full-restart' && abort.signal.aborted) await downVolumes(c, log);
      rmSync(c.dir, { recursive: true, force: true });
    })());
  const missing = await preflight(c.spec.moodle.version);
  if (missing) {
    process.stderr.write(`${missing}\n`);
    rmSync(c.dir, { recursive: true, force: true });
    return 2;
  }
  onInterrupt(log, 'interrupted: tearing down', abort, tearDownAll);
  const hostLoad = new HostLoad();
  hostLoad.start();

  try {
    log(`cluster ${c.spec.name}: profile ha, http ${c.spec.ports.http}, stats ${c.spec.ports.stats}, spec ${c.file}; fresh state: down --volumes`);
    await downVolumes(c, log);
    log(`up ${c.spec.name} (profile ha)`);
    const upSeconds = await bringUp(c);
    // A capacity remembered from an earlier run (scale, autoscaler) would start another count.
    const nodes = (await runningWebNodes(c.spec)).length;
    if (nodes !== FAILOVER_CLUSTER.webNodes) {
      log(`${nodes} web nodes run; scaling to ${FAILOVER_CLUSTER.webNodes}`);
      await scaleTo(c.spec, FAILOVER_CLUSTER.webNodes);
    }
    mkdirSync(resultsDir, { recursive: true });

    const drills: DrillLine[] = [];
    let bug: string | undefined;
    const td = Date.now();
    for (const drill of DRILL_NAMES) {
      if (bug) {
        drills.push({
          drill,
          status: 'did not run',
          reason: `not started: ${bug}`,
          wallSeconds: 0,
          loadAverage: { mean: NaN, max: NaN, samples: 0 },
          otherClusters: [],
        });
        continue;
      }
      if (abort.signal.aborted) throw new Error('interrupted');
      current = drill;
      const start = Date.now();
      const before = await otherClusters(c.spec.name);
      const contention = async () => ({
        wallSeconds: Math.round((Date.now() - start) / 1000),
        loadAverage: hostLoad.between(start),
        otherClusters: [...new Set([...before, ...(await otherClusters(c.spec.name))])].sort(),
      });
      log(`drill ${drill} (${DRILL_NAMES.indexOf(drill) + 1} of ${DRILL_NAMES.length})`);
      try {
        // No signal: on Ctrl-C the bench tears the whole cluster down instead (onInterrupt).
        const r = await runDrill(drill, runtime, o, (line) => process.stderr.write(`  ${line}\n`));
        const files = writeResultFiles(r, resultsDir);
        drills.push(drillLine(r, { ...(await contention()), files }));
        log(
          `drill ${drill}: ${
            r.passed
              ? 'every bar met'
              : `MISSED ${r.bars
                  .filter((b) => !b.met)
                  .map((b) => b.name)
                  .join(', ')}`
          }; ${files.json}`,
        );
      } catch (e) {
        if (abort.signal.aborted) throw e;
        // As with "drill all": a drill that cannot run is reported and the next one runs. Anything
        // else is a bug: it is reported with its stack, and nothing more runs on this cluster.
        const reason = isUserError(e) ? [e.message, ...e.details].join('; ') : ((e as Error).stack ?? String(e));
        log(`drill ${drill} did not run: ${reason}`);
        drills.push({ drill, status: 'did not run', reason, ...(await contention()) });
        if (!isUserError(e)) bug = `drill ${drill} failed with an error`;
      }
    }
    const drillsSeconds = Math.round((Date.now() - td) / 1000);

    current = 'autoscaler';
    const ta = Date.now();
    const autoscaler: FailoverResults['autoscaler'] = bug ? { problems: [`not measured: ${bug}`] } : await autoscalerPhase(c, o.users, abort.signal, hostLoad);
    const autoscalerSeconds = Math.round((Date.now() - ta) / 1000);

    const problems = [
      ...drills
        .filter((d) => d.status !== 'met')
        .map((d) =>
          d.status === 'missed'
            ? `drill ${d.drill} missed ${d.missedBars!.map((b) => `"${b.name}" (${b.measured}, limit ${b.limit})`).join(', ')}`
            : `drill ${d.drill} did not run: ${d.reason?.split('\n')[0]}`,
        ),
      ...autoscaler.problems.map((p) => `autoscaler: ${p}`),
    ];
    const results: FailoverResults = {
      schema: 'moodle-ha.bench-failover/1',
      at,
      host: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), docker: (await docker().version()).Version, node: process.versions.node },
      cluster: {
        name: c.spec.name,
        profile: 'ha',
        http: c.spec.ports.http,
        stats: c.spec.ports.stats,
        webNodes: FAILOVER_CLUSTER.webNodes,
        upSeconds: Math.round(upSeconds),
      },
      drillOptions: { users: o.users, durationSeconds: o.durationSeconds, faultAtSeconds: o.faultAtSeconds, thinkSeconds: o.thinkSeconds },
      drills,
      autoscaler,
      timings: { drillsSeconds, autoscalerSeconds, totalSeconds: Math.round((Date.now() - t0) / 1000) },
      resultsDir,
      problems,
    };
    process.stdout.write(renderFailover(results));
    log(`results written to ${writeJson('failover', at, results)}`);
    if (problems.length) {
      process.stderr.write(
        `bench failover: FAILED (${problems.length}): ${problems.map((p) => p.split('\n')[0]).join('; ')}${autoscaler.problems.length ? ` (the autoscaler's limit is ${REACTION_LIMIT_S} s per reaction)` : ''}\n`,
      );
      return 1;
    }
    return 0;
  } catch (e) {
    return reportFailure('failover', e, abort);
  } finally {
    hostLoad.stop();
    await tearDownAll();
  }
}
