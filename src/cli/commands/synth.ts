import { relative, resolve } from 'node:path';
import { synthesize } from '../../aws/cli/assembly.ts';
import { IMAGE_HELP, IMAGE_OPTIONS, imageOrStagedContext } from '../../aws/cli/image-choice.ts';
import { readSpec } from '../../spec/read.ts';
import type { Command } from '../command.ts';

export const synthCommand: Command = {
  name: 'synth',
  summary: 'Write the CloudFormation templates of the AWS deployment (offline, no credentials)',
  usage: '[--image-dir DIR | --image-tag TAG] [--out DIR]',
  help: `Builds the CDK app from the spec in this process and writes the cloud assembly (default ./cdk.out;
--out DIR is relative to the current folder unless absolute).
Checks the templates with cdk-nag (AwsSolutions): an unacknowledged finding fails the synth.
No AWS account, credentials or network are used. With no image flag and no pipeline, the image's
build context is staged from the cached Moodle tree, as "deploy" does.

${IMAGE_HELP}`,
  options: { ...IMAGE_OPTIONS, out: { type: 'string', short: 'o' } },
  async run(ctx) {
    const loaded = readSpec({ file: ctx.specFile, cwd: ctx.cwd });
    const outdir = resolve(ctx.cwd, typeof ctx.values.out === 'string' ? ctx.values.out : 'cdk.out');
    const image = imageOrStagedContext(ctx.values, loaded, ctx.cwd);
    const stacks = synthesize({ spec: loaded.spec, baseDir: loaded.baseDir, image, outdir });
    const shown = (file: string) => (relative(ctx.cwd, file).startsWith('..') ? file : relative(ctx.cwd, file));
    for (const s of stacks) process.stdout.write(`${s.name}\t${s.region}\t${shown(s.templateFile)}\n`);
    process.stderr.write(`${stacks.length} stack(s) in ${outdir}; cdk-nag AwsSolutions: no unacknowledged findings\n`);
  },
};
