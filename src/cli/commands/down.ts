import { consoleProgress } from '../../util/progress.ts';
import type { Command } from '../command.ts';
import { runtimeFor } from '../runtime.ts';
import { specFor } from '../spec-flags.ts';

export const downCommand: Command = {
  async run(ctx) {
    const runtime = runtimeFor(specFor(ctx));
    const r = await runtime.down({ volumes: ctx.values.volumes === true }, consoleProgress());
    process.stdout.write(
      `removed ${r.containers} container(s)${ctx.values.volumes ? ` and ${r.volumes} volume(s); data deleted` : '; data volumes kept (use --volumes to delete them)'}\n`,
    );
  },
};
