import { parseMigrateReport } from '../../contract/migrate-report.ts';
import { hint } from '../../spec/hint.ts';
import { UserError } from '../../util/errors.ts';
import { consoleProgress } from '../../util/progress.ts';
import { closest } from '../../util/suggest.ts';
import type { Command } from '../command.ts';
import { migrateChangesText } from '../migrate-changes.ts';
import { confirmByName } from '../confirm.ts';
import { reinstallDecision } from '../reinstall-decision.ts';
import { keptRunHeader, migrateDone, migrateFailed, migrateStatusLines } from '../migrate-report.ts';
import { runtimeFor } from '../runtime.ts';
import { specFor } from '../spec-flags.ts';

const ACTIONS = ['status', 'log'];

export const migrateCommand: Command = {
  async run(ctx) {
    const action = ctx.positionals[0];
    if (action !== undefined && !ACTIONS.includes(action)) {
      const near = closest(action, ACTIONS);
      throw new UserError(
        `unknown migrate action "${action}"${near ? ` (did you mean "${near}"?)` : ''}: use "${hint('migrate')}", "${hint('migrate status')}" or "${hint('migrate log')}"`,
      );
    }
    if (ctx.values.reinstall && action !== undefined) throw new UserError(`--reinstall goes with migrate alone: "${hint('migrate --reinstall')}"`);
    if (ctx.values.json && action !== 'status') throw new UserError(`--json goes with "${hint('migrate status --json')}"`);
    const runtime = runtimeFor(specFor(ctx));
    if (action === 'status') {
      await runtime.requireEngine();
      const s = await runtime.migrateStatus();
      process.stdout.write(ctx.values.json ? `${JSON.stringify(s, null, 2)}\n` : migrateStatusLines(s));
      return;
    }
    if (action === 'log') {
      const run = await runtime.migrateLog();
      if (!run) throw new UserError(`no migrate run is kept for cluster "${runtime.loaded.spec.name}" yet: "${hint('migrate')}" or "${hint('up')}" runs one`);
      process.stderr.write(keptRunHeader(run));
      process.stdout.write(run.log);
      return;
    }
    if (ctx.values.yes && !ctx.values.reinstall) throw new UserError(`--yes goes with --reinstall: "${hint('migrate --reinstall --yes')}"`);
    await runtime.requireEngine();
    if (ctx.values.reinstall) {
      const d = reinstallDecision(await runtime.migrateStatus(), { yes: ctx.values.yes === true, tty: process.stdin.isTTY === true });
      if (d.kind === 'refuse') throw new UserError(`migrate --reinstall: ${d.why}`);
      process.stderr.write(`${d.what}\n`);
      if (d.kind === 'confirm' && !(await confirmByName(runtime.loaded.spec.name))) throw new UserError('not confirmed: nothing was changed');
    }
    const r = await runtime.migrate(consoleProgress(), { reinstall: ctx.values.reinstall === true });
    if (r.exitCode !== 0) throw new UserError(migrateFailed(r));
    process.stdout.write(migrateDone(r) + migrateChangesText(parseMigrateReport(r.log), runtime.memberName('web', 1)));
  },
};
