// `npm run bench -- access-log`: what a web node's access log costs the Docker daemon. Two web
// containers of the runtime image built with the probe tree (no Moodle, no database: the same
// nginx and PHP-FPM), side by side on one network: "errors only" as the image is built (a line for a
// 5xx or a request of 1 s or more), and "every request", the same image with the access log the
// image had before (one line per request to stdout). Each gets the same number of quick PHP
// requests, one at a time over keep-alive, straight to its address on the bridge (no docker-proxy),
// in alternating rounds (A B, B A, …); around each round the CPU time of dockerd, containerd and
// every containerd-shim is read from /proc/<pid>/stat. Other containers on the machine log and
// are checked too, so the figure is the difference between the two variants in the same run.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RUNTIME_IMAGE } from '../src/contract/image.ts';
import { IMAGES_DIR } from '../src/image/runtime-context.ts';
import { createContainer, ensureNetwork, inspectContainer, removeContainer, sleep } from '../src/local/containers.ts';
import { docker } from '../src/local/engine/docker.ts';
import { buildRuntimeImage } from '../src/local/images/build.ts';
import { validateSpec } from '../src/spec/read.ts';
import { consoleProgress } from '../src/util/progress.ts';
import { writeJson } from './report.ts';
import { daemonCpuMs } from './daemon-cpu.ts';

const USAGE = `usage: npm run bench -- access-log [--requests 3000] [--rounds 4]
  --requests  requests per variant and round (one at a time, keep-alive)
  --rounds    rounds, alternating the variants' order (A B, B A, …)
`;
const CLUSTER = 'mhbenchlog';
const PROBE_TREE = join(IMAGES_DIR, '..', 'test', 'fixtures', 'probe-tree');
const log = (s: string) => process.stderr.write(`bench access-log: ${s}\n`);

/** The image's nginx.conf with the access log the image had before this change: every request. */
function everyRequestConf(): string {
  const conf = readFileSync(join(IMAGES_DIR, 'runtime', 'rootfs', 'etc', 'nginx', 'nginx.conf'), 'utf8').replace('__WEBROOT__', RUNTIME_IMAGE.codeDir);
  const everything = conf.replace(/access_log \/dev\/stdout main if=\$mh_log_request;/, 'access_log /dev/stdout main;');
  if (everything === conf) throw new Error('nginx.conf has no "access_log /dev/stdout main if=$mh_log_request;" line: this bench no longer matches the image');
  return everything;
}

async function requests(host: string, n: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < n; i++) {
      await new Promise<void>((done, fail) => {
        const req = request({ host, port: RUNTIME_IMAGE.port, path: `/slow.php?ms=0&i=${i}`, agent }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? done() : fail(new Error(`HTTP ${res.statusCode} from ${host}`))));
        });
        req.on('error', fail);
        req.end();
      });
    }
  } finally {
    agent.destroy();
  }
}

export async function accessLogBench(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: { requests: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '4' }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const n = Number(values.requests);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(rounds) || rounds < 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const progress = consoleProgress();
  const image = await buildRuntimeImage(
    { codeDir: PROBE_TREE, spec: validateSpec({}), baseDir: PROBE_TREE, noPlugins: true, repository: 'moodle-ha/probe' },
    progress,
  );
  const network = `${CLUSTER}-net`;
  const variants = [
    { name: 'errors only (now)', container: `${CLUSTER}-errors-only`, files: [] },
    {
      name: 'every request (before)',
      container: `${CLUSTER}-every-request`,
      files: [{ name: '/etc/nginx/nginx.conf', content: everyRequestConf(), mode: 0o644 }],
    },
  ];
  try {
    await ensureNetwork(network, CLUSTER);
    const hosts: string[] = [];
    for (const v of variants) {
      await removeContainer(v.container);
      const c = await createContainer({
        name: v.container,
        cluster: CLUSTER,
        service: 'web',
        image,
        network,
        env: { MOODLE_WWWROOT: 'http://probe.test' },
        files: v.files,
        restart: 'no',
      });
      await c.start();
      const ip = (await inspectContainer(v.container))?.NetworkSettings.Networks[network]?.IPAddress;
      if (!ip) throw new Error(`${v.container} has no address on ${network}`);
      hosts.push(ip);
    }
    for (const h of hosts) {
      for (let t = 0; ; t++) {
        if (
          await requests(h, 1).then(
            () => true,
            () => false,
          )
        )
          break;
        if (t > 300) throw new Error(`${h} did not answer within 30 s`);
        await sleep(100);
      }
      await requests(h, 200); // warm-up: FPM workers and OPcache
    }
    const ms = variants.map(() => [] as number[]);
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) {
        const cpu0 = daemonCpuMs();
        const t0 = performance.now();
        await requests(hosts[i]!, n);
        const cpu = daemonCpuMs() - cpu0;
        ms[i]!.push(cpu);
        log(`round ${r + 1}: ${variants[i]!.name}: ${n} requests in ${((performance.now() - t0) / 1000).toFixed(1)} s, daemons ${cpu} ms CPU`);
      }
    }
    const perReq = ms.map((list) => list.reduce((a, b) => a + b, 0) / (list.length * n));
    const lines = await Promise.all(
      variants.map(async (v) => {
        const buf = (await docker().getContainer(v.container).logs({ stdout: true, stderr: false })) as unknown as Buffer;
        return buf
          .toString('latin1')
          .split('\n')
          .filter((l) => l.includes('/slow.php')).length;
      }),
    );
    process.stdout.write(
      [
        `${'web node access log'.padEnd(26)} ${'daemon CPU per request'.padStart(24)}   lines logged`,
        ...variants.map((v, i) => `${v.name.padEnd(26)} ${`${(perReq[i]! * 1000).toFixed(0)} µs`.padStart(24)}   ${lines[i]} of ${n * rounds + 201}`),
        `${'saved per request'.padEnd(26)} ${`${((perReq[1]! - perReq[0]!) * 1000).toFixed(0)} µs`.padStart(24)}`,
        '',
      ].join('\n'),
    );
    log(
      `results written to ${writeJson('access-log', new Date().toISOString(), { requests: n, rounds, variants: variants.map((v, i) => ({ name: v.name, daemonCpuMs: ms[i], perRequestMs: perReq[i], linesLogged: lines[i] })) })}`,
    );
    return 0;
  } finally {
    for (const v of variants) await removeContainer(v.container).catch(() => {});
    await docker()
      .getNetwork(network)
      .remove()
      .catch(() => {});
  }
}
