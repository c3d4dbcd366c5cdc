import { up } from '../../local/up.ts';
import { autoscaleCommand } from './autoscale.ts';
import { secretFile } from '../../local/secrets.ts';
import { consoleProgress } from '../../util/progress.ts';
import type { Command } from '../command.ts';
import { PROFILE_OPTION, specFor } from '../spec-flags.ts';

export const upCommand: Command = {
  name: 'up',
  summary: 'Build what is missing and start the local cluster (converges when run again)',
  usage: '[--profile dev|ha] [--autoscale [--webhook URL]]',
  help: 'Starts HAProxy (the only published port), the web nodes, MariaDB, Redis, one cron container and a migrate run on a private Docker network. Data lives in named volumes; "down" keeps it. With --autoscale it stays in the foreground running the autoscaler (live view) until Ctrl-C.',
  options: { ...PROFILE_OPTION, autoscale: { type: 'boolean' }, webhook: { type: 'string' } },
  async run(ctx) {
    const loaded = specFor(ctx);
    const t0 = Date.now();
    const r = await up(loaded, consoleProgress());
    const spec = loaded.spec;
    process.stdout.write(
      `\nMoodle is up in ${((Date.now() - t0) / 1000).toFixed(0)} s (${r.webNodes} web node${r.webNodes > 1 ? 's' : ''}, migrate: ${r.migrate}).\n` +
        `  URL:      ${r.url}\n` +
        `  admin:    ${r.adminUser}\n` +
        `  password: in ${secretFile(spec.name, 'admin-password')} (mode 0600; generated, not a default)\n` +
        `  status:   moodle-ha status    logs: moodle-ha logs web    stop: moodle-ha down\n`,
    );
    if (ctx.values.autoscale) {
      // Stay in the foreground: the autoscaler's live view until Ctrl-C.
      return autoscaleCommand.run({ ...ctx, values: { profile: ctx.values.profile, webhook: ctx.values.webhook } });
    }
  },
};
