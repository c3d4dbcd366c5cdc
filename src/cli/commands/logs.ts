import { createInterface } from 'node:readline';
import { hint } from '../../spec/hint.ts';
import { UserError } from '../../util/errors.ts';
import type { Command } from '../command.ts';
import { keptRunHeader } from '../migrate-report.ts';
import { runtimeFor } from '../runtime.ts';
import { specFor } from '../spec-flags.ts';

export const logsCommand: Command = {
  async run(ctx) {
    const runtime = runtimeFor(specFor(ctx));
    const { spec } = runtime.loaded;
    const service = ctx.positionals[0];
    await runtime.requireEngine();
    const all = await runtime.members();
    const services = [...new Set(all.map((m) => m.service))].sort();
    if (!service) throw new UserError(`name a service: ${services.join(', ') || '(none running)'}`);
    const chosen = all.filter((m) => m.service === service || m.name === service);
    if (chosen.length === 0 && service === 'migrate') {
      // No migrate runs now: the log of the last run, kept after its container went.
      const run = await runtime.migrateLog();
      if (!run) throw new UserError(`no migrate runs in cluster ${spec.name}, and none is kept yet: "${hint('migrate')}" or "${hint('up')}" runs one`);
      process.stderr.write(keptRunHeader(run));
      process.stdout.write(run.log);
      return;
    }
    if (chosen.length === 0) throw new UserError(`no service "${service}" in cluster ${spec.name}; services: ${services.join(', ') || '(none running)'}`);
    const tail = Number(ctx.values.tail ?? 100);
    if (!Number.isInteger(tail) || tail < 0) throw new UserError('--tail takes a whole number of lines');
    await Promise.all(
      chosen.map(async (m) => {
        const prefix = chosen.length > 1 ? `${m.name} | ` : '';
        const stream = await runtime.logs(m.name, { tail, follow: ctx.values.follow === true });
        for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
          if (line) process.stdout.write(`${prefix}${line}\n`);
        }
      }),
    );
  },
};
