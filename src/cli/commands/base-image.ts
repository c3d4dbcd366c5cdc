import { BASE_IMAGE, requireBaseImage } from '../../local/images/base.ts';
import { consoleProgress } from '../../util/progress.ts';
import type { Command } from '../command.ts';

export const baseImageCommand: Command = {
  name: 'base-image',
  summary: `Make sure ${BASE_IMAGE} is in the Docker engine (pulled, or made with debootstrap where no registry answers)`,
  help: 'Air-gapped sites: with no registry reachable, the Debian base image is made from the Debian archive (or MOODLE_HA_DEBIAN_MIRROR) with debootstrap, as root. Every image of the project builds FROM it.',
  async run() {
    await requireBaseImage(consoleProgress());
    process.stdout.write(`${BASE_IMAGE} is ready\n`);
  },
};
