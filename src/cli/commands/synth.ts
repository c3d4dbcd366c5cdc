import { relative, resolve } from 'node:path';
import { synthesize } from '../../aws/cli/assembly.ts';
import { imageOrStagedContext } from '../../aws/cli/image-choice.ts';
import { readSpec } from '../../spec/read.ts';
import type { Command } from '../command.ts';

export const synthCommand: Command = {
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
