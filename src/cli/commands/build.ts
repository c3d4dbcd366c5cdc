import { buildClusterImages } from '../../local/images/cluster-images.ts';
import { consoleProgress } from '../../util/progress.ts';
import type { Command } from '../command.ts';
import { specFor } from '../spec-flags.ts';

export const buildCommand: Command = {
  name: 'build',
  summary: "Build the runtime image (Moodle + plugin manifest), the service images, the mail catcher's (and the autoscaler controller image when autoscaler.enabled)",
  async run(ctx) {
    const images = await buildClusterImages(specFor(ctx), consoleProgress());
    for (const tag of Object.values(images)) process.stdout.write(`${tag}\n`);
  },
};
