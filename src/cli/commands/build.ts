import { buildClusterImages } from '../../local/images/cluster-images.ts';
import { consoleProgress } from '../../util/progress.ts';
import type { Command } from '../command.ts';
import { specFor } from '../spec-flags.ts';

export const buildCommand: Command = {
  async run(ctx) {
    const images = await buildClusterImages(specFor(ctx), consoleProgress());
    for (const tag of Object.values(images)) process.stdout.write(`${tag}\n`);
  },
};
