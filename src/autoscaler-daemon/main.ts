// The autoscaler daemon: the entry point of the detached autoscaler's container (<name>-autoscaler,
// the "controller container"). It reads the resolved spec that `up` put in the container, checks
// that it can see the cluster's load balancer, then runs the same loop as `moodle-ha autoscale`
// until SIGTERM (`down`, or `up` replacing or pausing it).
// Its output is the live view: `moodle-ha logs autoscaler --follow`.
// Bundled with esbuild for Debian's Node 18 (src/local/images/autoscaler-image.ts): no newer Node APIs.
import { dirname } from 'node:path';
import { AUTOSCALER_READY, AUTOSCALER_SPEC_FILE } from '../local/autoscaler-container.ts';
import { localRuntime } from '../local/runtime.ts';
import { formatEvent } from '../ops/autoscaler/events.ts';
import { pause, runAutoscaler } from '../ops/autoscaler/loop.ts';
import { isUserError, UserError } from '../util/errors.ts';
import { readDaemonSpec } from './spec-file.ts';

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const file = process.env.MOODLE_HA_SPEC_FILE ?? AUTOSCALER_SPEC_FILE;
  const spec = readDaemonSpec(file);
  const intervalMs = spec.autoscaler.interval.seconds * 1000;
  const webhook = spec.autoscaler.webhook;
  // The composition root of the daemon: the local target's runtime, as the CLI makes it.
  const runtime = localRuntime({ spec, file, baseDir: dirname(file) });
  await runtime.requireEngine();
  const lb = runtime.memberName('lb');
  if (!(await runtime.members('lb')).some((m) => m.running))
    throw new UserError(`the load balancer ${lb} is not running: start the cluster with "moodle-ha up"`);
  const servers = await runtime.lbServers();
  if (typeof servers === 'string') throw new UserError(`cannot read the counters of the load balancer ${lb}: ${servers}`);
  const s = spec.scaling;
  log(
    `${AUTOSCALER_READY}: cluster ${spec.name}, ${servers.length} web node(s) in the load balancer; ${s.min}..${s.max} nodes, ` +
      `target ${s.targetRequestsPerNode} req/s per node, CPU ${s.targetCpuPercent}%, every ${spec.autoscaler.interval.seconds} s` +
      `${webhook ? `, events to ${new URL(webhook).origin}` : ''}`,
  );

  const abort = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping (a scaling step in progress finishes first)`);
      abort.abort();
    });
  }
  while (!abort.signal.aborted) {
    try {
      await runAutoscaler(runtime, {
        intervalMs,
        webhook,
        signal: abort.signal,
        onTick: log,
        onEvent: (e, ms) => log(`${formatEvent(e)} (done in ${(ms / 1000).toFixed(1)} s)`),
      });
    } catch (e) {
      // One failed step (a node that never became ready, the load balancer being replaced) must
      // not end the autoscaler: say so, wait one interval and start over, as a restart would.
      log(`error: ${(e as Error).message}; starting over in ${spec.autoscaler.interval.seconds} s`);
      await pause(intervalMs, abort.signal);
    }
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(
      `error: ${(e as Error)?.message ?? String(e)}\n${isUserError(e) ? e.details.map((d) => `  - ${d}\n`).join('') : `${(e as Error)?.stack ?? ''}\n`}`,
    );
    process.exit(isUserError(e) ? 2 : 1);
  },
);
