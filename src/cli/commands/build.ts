import { buildRuntimeImage, buildServiceImage, SERVICE_IMAGES } from '../../image/build.ts';
import { buildControllerImage } from '../../image/controller-image.ts';
import { buildMailImage } from '../../image/mail-image.ts';
import { requireDocker } from '../../image/docker.ts';
import { requireMoodleTree } from '../../moodle/tree.ts';
import { consoleProgress } from '../../util/progress.ts';
import type { Command } from '../command.ts';
import { specFor } from '../spec-flags.ts';

export const buildCommand: Command = {
  async run(ctx) {
    const loaded = specFor(ctx);
    await requireDocker();
    const progress = consoleProgress();
    const runtime = await buildRuntimeImage({ codeDir: requireMoodleTree(loaded.spec), spec: loaded.spec, baseDir: loaded.baseDir }, progress);
    process.stdout.write(`${runtime}\n`);
    for (const s of SERVICE_IMAGES) process.stdout.write(`${await buildServiceImage(s, progress)}\n`);
    process.stdout.write(`${await buildMailImage(progress)}\n`);
    if (loaded.spec.autoscaler.enabled) process.stdout.write(`${await buildControllerImage(progress)}\n`);
  },
};
