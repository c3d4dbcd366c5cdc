import { UserError } from '../../util/errors.ts';
import type { Command } from '../command.ts';
import { runtimeFor } from '../runtime.ts';
import { specFor } from '../spec-flags.ts';
import { hint } from '../../spec/hint.ts';

export const scaleCommand: Command = {
  async run(ctx) {
    const runtime = runtimeFor(specFor(ctx));
    const { spec } = runtime.loaded;
    const target = Number(ctx.positionals[0]);
    if (!ctx.positionals[0] || !Number.isInteger(target)) throw new UserError(`give the number of web nodes: ${hint('scale N')}`);
    if (target < spec.scaling.min || target > spec.scaling.max) {
      process.stderr.write(`note: ${target} is outside scaling.min..max (${spec.scaling.min}..${spec.scaling.max}); the autoscaler would move it back\n`);
    }
    await runtime.requireEngine();
    const before = (await runtime.webNodes()).length;
    const steps = await runtime.scale(target, (s) => process.stderr.write(`${s.node} ${s.action} in ${(s.ms / 1000).toFixed(1)} s (${s.detail})\n`));
    if (steps.length) await runtime.logEvent({ at: new Date().toISOString(), from: before, to: target, reason: 'set by hand (moodle-ha scale)', by: 'scale' });
    process.stdout.write(`${spec.name}: ${target} web node${target > 1 ? 's' : ''}${steps.length ? '' : ' (unchanged)'}\n`);
  },
};
