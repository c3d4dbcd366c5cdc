import { formatEvent } from '../../ops/autoscaler/events.ts';
import { runAutoscaler } from '../../ops/autoscaler/loop.ts';
import { assertAutoscalerMayStart, claimForeground } from '../../local/autoscaler-guard.ts';
import { parseDuration } from '../../spec/units.ts';
import { UserError } from '../../util/errors.ts';
import type { Command } from '../command.ts';
import { runtimeFor } from '../runtime.ts';
import { specFor } from '../spec-flags.ts';

export const autoscaleCommand: Command = {
  async run(ctx) {
    const runtime = runtimeFor(specFor(ctx));
    const { spec } = runtime.loaded;
    const interval = ctx.values.interval === undefined ? spec.autoscaler.interval : parseDuration(String(ctx.values.interval));
    const duration = ctx.values.duration === undefined ? undefined : parseDuration(String(ctx.values.duration));
    if (!interval || interval.seconds < 1) throw new UserError('--interval takes a duration of at least 1s, e.g. "5s"');
    if (ctx.values.duration !== undefined && !duration) throw new UserError('--duration takes a duration, e.g. "10m"');
    const webhook = (ctx.values.webhook as string | undefined) ?? spec.autoscaler.webhook;
    if (webhook !== undefined && !/^https?:$/.test(URL.canParse(webhook) ? new URL(webhook).protocol : '')) {
      throw new UserError(`--webhook takes an http:// or https:// URL, got "${webhook}"`);
    }
    await runtime.requireEngine();
    await assertAutoscalerMayStart(spec, 'foreground');
    const release = claimForeground(spec.name);
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    process.stderr.write(
      `autoscaling ${spec.name}: ${spec.scaling.min}..${spec.scaling.max} nodes, target ${spec.scaling.targetRequestsPerNode} req/s per node, CPU ${spec.scaling.targetCpuPercent}%\n`,
    );
    try {
      const events = await runAutoscaler(runtime, {
        intervalMs: interval.seconds * 1000,
        durationMs: duration ? duration.seconds * 1000 : undefined,
        webhook,
        signal: abort.signal,
        onTick: (line) => process.stderr.write(`${line}\n`),
        onEvent: (e, ms) => process.stdout.write(`${formatEvent(e)} (done in ${(ms / 1000).toFixed(1)} s)\n`),
      });
      process.stdout.write(`${events.length} scaling event(s)\n`);
    } finally {
      release();
    }
  },
};
