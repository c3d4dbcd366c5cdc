import { pruneAfterUp } from '../../local/prune-images.ts';
import { autoscaleCommand } from './autoscale.ts';
import { autoscalerConflict, foregroundPid } from '../../local/autoscaler-guard.ts';
import { hint } from '../../spec/hint.ts';
import { UserError } from '../../util/errors.ts';
import { consoleProgress } from '../../util/progress.ts';
import type { Command } from '../command.ts';
import { sayOnInterrupt } from '../interrupt.ts';
import { runtimeFor } from '../runtime.ts';
import { specFor } from '../spec-flags.ts';
import { upSummary } from '../up-summary.ts';

export const upCommand: Command = {
  async run(ctx) {
    const { autoscale, detach, webhook } = ctx.values;
    if (detach && !autoscale)
      throw new UserError(`--detach goes with --autoscale: "${hint('up --autoscale --detach')}" runs the autoscaler in a controller container`);
    if (webhook !== undefined && !autoscale) throw new UserError('--webhook goes with --autoscale (or set autoscaler.webhook in moodle-ha.yaml)');
    // The detached switch is a spec field; the flags override it for this run, like --profile.
    const loaded = specFor(ctx, autoscale && detach ? { autoscaler: { enabled: true, ...(typeof webhook === 'string' ? { webhook } : {}) } } : {});
    const spec = loaded.spec;
    const runtime = runtimeFor(loaded);
    const foreground = autoscale === true && !detach;
    if (foreground) {
      if (spec.autoscaler.enabled) {
        throw new UserError(
          `moodle-ha.yaml enables the detached autoscaler (autoscaler.enabled: true), so "up" runs it in ${runtime.memberName('autoscaler')}; only one may run per cluster. ` +
            `Run "${hint('up')}" alone (live view: "${hint('logs autoscaler --follow')}"), or set autoscaler.enabled: false to run it in the foreground. Nothing was changed.`,
        );
      }
      // A detached one goes with this run (the spec does not enable it); another foreground one must stop first.
      const why = autoscalerConflict(spec.name, 'foreground', { detached: 'absent', foregroundPid: foregroundPid(spec.name) });
      if (why) throw new UserError(`${why} Nothing was changed.`);
    }
    const t0 = Date.now();
    const progress = consoleProgress();
    const r = await sayOnInterrupt(
      `${spec.name} is partly up: what the steps above finished stays, a migrate already started keeps running (the next command waits for it). ` +
        `Run "${hint('up')}" to finish, "${hint('status')}" to see what runs, or "${hint('down')}" to stop it.`,
      () => runtime.up(progress),
    );
    process.stdout.write(upSummary(spec, r, (Date.now() - t0) / 1000));
    await pruneAfterUp(progress);
    if (foreground) {
      // Stay in the foreground: the autoscaler's live view until Ctrl-C.
      return autoscaleCommand.run({ ...ctx, values: { profile: ctx.values.profile, webhook } });
    }
  },
};
