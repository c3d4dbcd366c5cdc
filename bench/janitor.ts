// `npm run bench -- janitor`: what the session janitor's sweep (every second, in the cron
// container) costs the sessions' Redis as the sessions grow. One Redis container (the redis service
// image, no persistence) and one container of the runtime image (the probe tree) on a network of
// their own; in it bench/php/janitor-sweeps.php stores the sessions, takes the locks as the session
// handler does, and times the janitor's own two ways of finding them in alternating rounds: scanning
// the keyspace (every sweep before; now at a primary change, a node's start and once a minute) and
// reading the locks' index (every sweep now). Figures per sweep: Redis commands, the server's CPU
// (INFO commandstats) and the wall time, medians over the rounds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { IMAGES_DIR } from '../src/image/runtime-context.ts';
import { createContainer, ensureNetwork, exec, removeContainer } from '../src/local/containers.ts';
import { docker } from '../src/local/engine/docker.ts';
import { buildRuntimeImage, buildServiceImage } from '../src/local/images/build.ts';
import { validateSpec } from '../src/spec/read.ts';
import { consoleProgress } from '../src/util/progress.ts';
import { median } from './load.ts';
import { writeJson } from './report.ts';

const USAGE = `usage: npm run bench -- janitor [--sessions 20000] [--locks 20] [--sweeps 20] [--rounds 4]
  --sessions  sessions stored (a session key and a user key each)
  --locks     session locks held, taken as the session handler takes them
  --sweeps    sweeps per way and round
  --rounds    rounds, alternating which way goes first
`;
const CLUSTER = 'mhbenchjan';
const PROBE_TREE = join(IMAGES_DIR, '..', 'test', 'fixtures', 'probe-tree');
const SCRIPT = join(import.meta.dirname, 'php', 'janitor-sweeps.php');
const log = (s: string) => process.stderr.write(`bench janitor: ${s}\n`);

interface Round {
  readonly way: 'scan' | 'index';
  readonly round: number;
  readonly locksFound: number;
  readonly commands: number;
  readonly serverMs: number;
  readonly wallMs: number;
}
interface Sweeps {
  readonly sessions: number;
  readonly keys: number;
  readonly locks: number;
  readonly sweeps: number;
  readonly rounds: Round[];
}

export async function janitorBench(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      sessions: { type: 'string', default: '20000' },
      locks: { type: 'string', default: '20' },
      sweeps: { type: 'string', default: '20' },
      rounds: { type: 'string', default: '4' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const n = { sessions: Number(values.sessions), locks: Number(values.locks), sweeps: Number(values.sweeps), rounds: Number(values.rounds) };
  if (!Object.values(n).every((v) => Number.isInteger(v) && v >= 1) || n.locks > n.sessions) {
    process.stderr.write(`every figure must be a whole number of at least 1, and --locks at most --sessions\n${USAGE}`);
    return 2;
  }
  const progress = consoleProgress();
  const [probe, redisImage] = await Promise.all([
    buildRuntimeImage({ codeDir: PROBE_TREE, spec: validateSpec({}), baseDir: PROBE_TREE, noPlugins: true, repository: 'moodle-ha/probe' }, progress),
    buildServiceImage('redis', progress),
  ]);
  const network = `${CLUSTER}-net`;
  const redis = `${CLUSTER}-redis`;
  const php = `${CLUSTER}-php`;
  try {
    await ensureNetwork(network, CLUSTER);
    for (const name of [redis, php]) await removeContainer(name);
    const r = await createContainer({
      name: redis,
      cluster: CLUSTER,
      service: 'redis',
      image: redisImage,
      network,
      // Its own network, nothing else on it: no password, no persistence.
      entrypoint: ['redis-server', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
      restart: 'no',
    });
    await r.start();
    const p = await createContainer({
      name: php,
      cluster: CLUSTER,
      service: 'php',
      image: probe,
      network,
      entrypoint: ['sleep', 'infinity'],
      files: [{ name: '/tmp/janitor-sweeps.php', content: readFileSync(SCRIPT, 'utf8'), mode: 0o644 }],
      restart: 'no',
    });
    await p.start();
    log(`${n.sessions} sessions, ${n.locks} locks; ${n.rounds} rounds of ${n.sweeps} sweeps each way`);
    const run = await exec(php, [
      'env',
      `REDIS_HOST=${redis}`,
      `SESSIONS=${n.sessions}`,
      `LOCKS=${n.locks}`,
      `SWEEPS=${n.sweeps}`,
      `ROUNDS=${n.rounds}`,
      'php',
      '/tmp/janitor-sweeps.php',
    ]);
    const line = run.output.trim().split('\n').at(-1) ?? '';
    if (run.code !== 0 || !line.startsWith('{')) throw new Error(`janitor-sweeps.php failed (exit ${run.code}):\n${run.output}`);
    const s = JSON.parse(line) as Sweeps;
    const of = (way: Round['way'], k: 'locksFound' | 'commands' | 'serverMs' | 'wallMs') => median(s.rounds.filter((x) => x.way === way).map((x) => x[k]));
    for (const way of ['scan', 'index'] as const)
      if (of(way, 'locksFound') !== n.locks)
        throw new Error(`the ${way} sweep found ${of(way, 'locksFound')} locks, not ${n.locks}: it measured the wrong thing`);
    const row = (name: string, way: Round['way']) =>
      `${name.padEnd(44)} ${of(way, 'commands').toFixed(0).padStart(9)} ${of(way, 'serverMs').toFixed(3).padStart(14)} ${of(way, 'wallMs').toFixed(2).padStart(9)}`;
    process.stdout.write(
      [
        `session janitor, one sweep: ${s.sessions} sessions (${s.keys} keys), ${s.locks} locks; medians of ${n.rounds} rounds of ${s.sweeps} sweeps`,
        `${'way'.padEnd(44)} ${'commands'.padStart(9)} ${'server CPU ms'.padStart(14)} ${'wall ms'.padStart(9)}`,
        row('scan the keyspace (before; now once a minute)', 'scan'),
        row("read the locks' index (every second now)", 'index'),
        `${'server CPU ratio, index / scan'.padEnd(44)} ${(of('index', 'serverMs') / of('scan', 'serverMs')).toFixed(4).padStart(24)}`,
        '',
      ].join('\n'),
    );
    log(`results written to ${writeJson('janitor', new Date().toISOString(), s)}`);
    return 0;
  } finally {
    for (const name of [php, redis]) await removeContainer(name, 1).catch(() => {});
    await docker()
      .getNetwork(network)
      .remove()
      .catch(() => {});
  }
}
