import { runCdk } from '../../aws/cli/cdk-cli.ts';
import { requireCredentials } from '../../aws/cli/credentials.ts';
import { imageOrStagedContext, requireImage } from '../../aws/cli/image-choice.ts';
import { planDeployment } from '../../aws/plan.ts';
import { readSpec } from '../../spec/read.ts';
import type { Command } from '../command.ts';

export const deployCommand: Command = {
  async run(ctx) {
    const loaded = readSpec({ file: ctx.specFile, cwd: ctx.cwd });
    const { spec } = loaded;
    planDeployment(spec); // every deploy-time problem, before anything talks to AWS
    requireCredentials('deploy');
    const image = imageOrStagedContext(ctx.values, loaded, ctx.cwd);
    requireImage(image, spec);
    const run = { specFile: ctx.specFile, cwd: ctx.cwd, image };
    if (ctx.values.bootstrap) await runCdk(['bootstrap'], run);
    await runCdk(['deploy', '--all', '--require-approval', ctx.values.yes ? 'never' : 'broadening', '--no-staging'], run);
    if (!image)
      process.stdout.write(
        'only the pipeline stack was deployed: push a change to the spec or plugins (or start the pipeline) to build the image and deploy Moodle\n',
      );
  },
};
