import { logEvent } from '../../local/events-log.ts';
import { runningWebNodes, scaleTo } from '../../local/scale.ts';
import { requireDocker } from '../../image/docker.ts';
import { UserError } from '../../util/errors.ts';
import type { Command } from '../command.ts';
import { specFor } from '../spec-flags.ts';
import { hint } from '../../spec/hint.ts';

export const scaleCommand: Command = {
  name: 'scale',
  summary: 'Set the number of web nodes by hand (scale-in drains each node first)',
  usage: 'N',
  help: 'Scale-out starts nodes and adds each to the load balancer once it is ready. Scale-in takes a node out of rotation, waits for its in-flight requests, then stops it. The capacity is remembered by "up".',
  maxPositionals: 1,
  async run(ctx) {
    const { spec } = specFor(ctx);
    const target = Number(ctx.positionals[0]);
    if (!ctx.positionals[0] || !Number.isInteger(target)) throw new UserError(`give the number of web nodes: ${hint('scale N')}`);
    if (target < spec.scaling.min || target > spec.scaling.max) {
      process.stderr.write(`note: ${target} is outside scaling.min..max (${spec.scaling.min}..${spec.scaling.max}); the autoscaler would move it back\n`);
    }
    await requireDocker();
    const before = (await runningWebNodes(spec)).length;
    const steps = await scaleTo(spec, target, (s) => process.stderr.write(`${s.node} ${s.action} in ${(s.ms / 1000).toFixed(1)} s (${s.detail})\n`));
    if (steps.length) logEvent(spec.name, { at: new Date().toISOString(), from: before, to: target, reason: 'set by hand (moodle-ha scale)', by: 'scale' });
    process.stdout.write(`${spec.name}: ${target} web node${target > 1 ? 's' : ''}${steps.length ? '' : ' (unchanged)'}\n`);
  },
};
