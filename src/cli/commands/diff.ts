import { runCdk } from '../../aws/cli/cdk-cli.ts';
import { requireCredentials } from '../../aws/cli/credentials.ts';
import { imageOrStagedContext, requireImage } from '../../aws/cli/image-choice.ts';
import { planDeployment } from '../../aws/plan.ts';
import { readSpec } from '../../spec/read.ts';
import type { Command } from '../command.ts';

export const diffCommand: Command = {
  async run(ctx) {
    const loaded = readSpec({ file: ctx.specFile, cwd: ctx.cwd });
    const { spec } = loaded; // spec problems before the cdk CLI starts
    planDeployment(spec);
    requireCredentials('diff');
    const image = imageOrStagedContext(ctx.values, loaded, ctx.cwd);
    requireImage(image, spec);
    await runCdk(['diff'], { specFile: ctx.specFile, cwd: ctx.cwd, image });
  },
};
