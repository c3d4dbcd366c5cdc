import { runCdk } from '../../aws/cli/cdk-cli.ts';
import { requireCredentials } from '../../aws/cli/credentials.ts';
import { IMAGE_HELP, IMAGE_OPTIONS, imageChoice } from '../../aws/cli/image-choice.ts';
import { loadSpec } from '../../spec/load.ts';
import type { Command } from '../command.ts';

export const diffCommand: Command = {
  name: 'diff',
  summary: 'Show what a deploy would change in the AWS account (needs credentials)',
  usage: '[--image-dir DIR | --image-tag TAG]',
  help: `Runs "cdk diff" for every stack of the spec against what is deployed.\n\n${IMAGE_HELP}`,
  options: { ...IMAGE_OPTIONS },
  async run(ctx) {
    loadSpec({ file: ctx.specFile, cwd: ctx.cwd }); // report spec problems before starting the cdk CLI
    const image = imageChoice(ctx.values, ctx.cwd);
    requireCredentials('diff');
    await runCdk(['diff'], { specFile: ctx.specFile, cwd: ctx.cwd, image });
  },
};
