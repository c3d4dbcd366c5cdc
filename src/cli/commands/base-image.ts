import { BASE_IMAGE } from '../../image/base-image.ts';
import { requireBaseImage } from '../../local/images/base.ts';
import { consoleProgress } from '../../util/progress.ts';
import type { Command } from '../command.ts';

export const baseImageCommand: Command = {
  async run() {
    await requireBaseImage(consoleProgress());
    process.stdout.write(`${BASE_IMAGE} is ready\n`);
  },
};
