// The controller daemon: the entry point of the controller container (<name>-autoscaler). It reads
// the resolved spec and the image tags that `up` put in the container, then until SIGTERM (`down`,
// or `up` replacing or pausing it):
// - heals, always: every HEAL_INTERVAL_MS a pass of src/local/heal.ts brings stopped or removed
//   members back (the cluster's desired state, without a person);
// - autoscales, when autoscaler.enabled: the same loop as `moodle-ha autoscale`.
// The two share the cluster through the operation lease (a scaling step and a heal never overlap).
// Its output is the live view: `moodle-ha logs autoscaler --follow`.
// Bundled with esbuild for Debian's Node 18 (src/local/images/autoscaler-image.ts): no newer Node APIs.
import { dirname } from 'node:path';
import { AUTOSCALER_READY, AUTOSCALER_SPEC_FILE, CONTROLLER_IMAGES_FILE } from '../local/autoscaler-container.ts';
import { HEAL_INTERVAL_MS, localHealTarget } from '../local/heal.ts';
import { healPass, type HealState } from '../ops/autoscaler/heal-loop.ts';
import type { ImageTags } from '../local/services.ts';
import { localRuntime } from '../local/runtime.ts';
import { formatEvent, formatHealEvent, postWebhook } from '../ops/autoscaler/events.ts';
import { pause, runAutoscaler } from '../ops/autoscaler/loop.ts';
import type { Spec } from '../spec/schema.ts';
import { isUserError } from '../util/errors.ts';
import { readDaemonImages, readDaemonSpec } from './spec-file.ts';

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const file = process.env.MOODLE_HA_SPEC_FILE ?? AUTOSCALER_SPEC_FILE;
  const spec = readDaemonSpec(file);
  const tags = readDaemonImages(process.env.MOODLE_HA_IMAGES_FILE ?? CONTROLLER_IMAGES_FILE);
  const intervalMs = spec.autoscaler.interval.seconds * 1000;
  const webhook = spec.autoscaler.webhook;
  // The composition root of the daemon: the local target's runtime, as the CLI makes it.
  const runtime = localRuntime({ spec, file, baseDir: dirname(file) });
  await runtime.requireEngine();
  const servers = await runtime.lbServers();
  log(`${AUTOSCALER_READY}: cluster ${spec.name}; ${describe(spec, servers)}${webhook ? `; events to ${new URL(webhook).origin}` : ''}`);

  const abort = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping (a scaling step or a heal in progress finishes first)`);
      abort.abort();
    });
  }
  const healing = heal(runtime, tags, webhook, abort.signal);
  if (spec.autoscaler.enabled) await autoscale(runtime, intervalMs, webhook, abort.signal);
  await healing;
  return 0;
}

function describe(spec: Spec, servers: Awaited<ReturnType<ReturnType<typeof localRuntime>['lbServers']>>): string {
  const lb = typeof servers === 'string' ? servers : `${servers.length} web node(s) in the load balancer`;
  if (!spec.autoscaler.enabled) return `healing every ${HEAL_INTERVAL_MS / 1000} s; autoscaling off (autoscaler.enabled is not set); ${lb}`;
  const s = spec.scaling;
  return (
    `healing every ${HEAL_INTERVAL_MS / 1000} s; autoscaling ${s.min}..${s.max} nodes, target ${s.targetRequestsPerNode} req/s per node, ` +
    `CPU ${s.targetCpuPercent}%, every ${spec.autoscaler.interval.seconds} s; ${lb}`
  );
}

/** The healer's loop: one pass every HEAL_INTERVAL_MS; each event printed, logged for `status` and posted. */
async function heal(runtime: ReturnType<typeof localRuntime>, tags: ImageTags, webhook: string | undefined, signal: AbortSignal): Promise<void> {
  const state: HealState = { memory: new Map() };
  const target = localHealTarget(runtime.loaded.spec, tags);
  let lastError = '';
  while (!signal.aborted) {
    try {
      for (const e of await healPass(target, state, log)) {
        log(formatHealEvent(e));
        await runtime.logEvent({ at: e.at.toISOString(), by: 'healer', member: e.member, action: e.action, reason: e.reason, seconds: e.seconds });
        if (webhook) {
          const err = await postWebhook(webhook, e);
          if (err) log(`webhook not delivered: ${err}`);
        }
      }
      lastError = '';
    } catch (e) {
      // Said once, not every second, until it changes or a pass succeeds.
      const message = (e as Error).message;
      if (message !== lastError) log(`heal: error: ${message}; trying again every ${HEAL_INTERVAL_MS / 1000} s`);
      lastError = message;
    }
    await pause(HEAL_INTERVAL_MS, signal);
  }
}

async function autoscale(runtime: ReturnType<typeof localRuntime>, intervalMs: number, webhook: string | undefined, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      await runAutoscaler(runtime, {
        intervalMs,
        webhook,
        signal,
        onTick: log,
        onEvent: (e, ms) => log(`${formatEvent(e)} (done in ${(ms / 1000).toFixed(1)} s)`),
      });
    } catch (e) {
      // One failed step (a node that never became ready, the load balancer being down or replaced)
      // must not end the autoscaler: say so, wait one interval and start over, as a restart would.
      log(`error: ${(e as Error).message}; starting over in ${intervalMs / 1000} s`);
      await pause(intervalMs, signal);
    }
  }
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
