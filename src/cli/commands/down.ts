import { down } from '../../local/down.ts';
import { consoleProgress } from '../../util/progress.ts';
import type { Command } from '../command.ts';
import { specFor } from '../spec-flags.ts';

export const downCommand: Command = {
  async run(ctx) {
    const { spec } = specFor(ctx);
    const r = await down(spec.name, { volumes: ctx.values.volumes === true }, consoleProgress());
    process.stdout.write(`removed ${r.containers} container(s)${ctx.values.volumes ? ` and ${r.volumes} volume(s); data deleted` : '; data volumes kept (use --volumes to delete them)'}\n`);
  },
};
