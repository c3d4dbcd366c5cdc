import { BASE_IMAGE, ensureBaseImage } from '../../image/base.ts';
import { requireDocker } from '../../image/docker.ts';
import { consoleProgress } from '../../util/progress.ts';
import type { Command } from '../command.ts';

export const baseImageCommand: Command = {
  async run() {
    await requireDocker();
    await ensureBaseImage(consoleProgress());
    process.stdout.write(`${BASE_IMAGE} is ready\n`);
  },
};
