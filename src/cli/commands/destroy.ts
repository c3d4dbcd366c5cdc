import { join } from 'node:path';
import { placeholderImage, synthesize } from '../../aws/cli/assembly.ts';
import { runCdk } from '../../aws/cli/cdk-cli.ts';
import { requireCredentials } from '../../aws/cli/credentials.ts';
import { checkDestroy, dataResources } from '../../aws/cli/destroy-plan.ts';
import { IMAGE_OPTIONS, imageChoice } from '../../aws/cli/image-choice.ts';
import { readSpec } from '../../spec/read.ts';
import { UserError } from '../../util/errors.ts';
import type { Command } from '../command.ts';

export const destroyCommand: Command = {
  name: 'destroy',
  summary: 'Delete the AWS deployment; data is kept unless --delete-data (needs credentials)',
  usage: '[--delete-data --image-dir DIR | --image-tag TAG] [--yes]',
  help: `Deletes the stacks. Data is never deleted by default: moodledata (EFS), the config and log
buckets, the backup vault and the image repository are RETAINed (they stay in the account and
keep costing until you delete them), and the database leaves a final snapshot. In production the
database has deletion protection, so a plain destroy refuses and says what to do.
--delete-data deletes the data too: it first deploys with RETAIN, snapshots and deletion
protection lifted (give the same --image-dir/--image-tag as your last deploy, so nothing else
changes), then deletes the stacks. Backup recovery points are kept until they expire.
--yes skips cdk's confirmation.`,
  options: { ...IMAGE_OPTIONS, 'delete-data': { type: 'boolean' }, yes: { type: 'boolean', short: 'y' } },
  async run(ctx) {
    const loaded = readSpec({ file: ctx.specFile, cwd: ctx.cwd });
    const deleteData = ctx.values['delete-data'] === true;
    const image = imageChoice(ctx.values, ctx.cwd);
    if (deleteData && !image) {
      throw new UserError('--delete-data first redeploys with the data protections lifted: give the --image-dir or --image-tag you last deployed with, so the services keep their image');
    }
    const outdir = join(ctx.cwd, 'cdk.out', 'destroy-plan');
    const stacks = synthesize({ spec: loaded.spec, baseDir: loaded.baseDir, image: image ?? placeholderImage(), outdir, deleteData, nag: false });
    const lines = checkDestroy(dataResources(stacks.map((s) => ({ name: s.name, template: s.template }))), deleteData);
    requireCredentials('destroy');
    for (const l of lines) process.stdout.write(`${l}\n`);
    const run = { specFile: ctx.specFile, cwd: ctx.cwd, image: image ?? placeholderImage() };
    if (deleteData) await runCdk(['deploy', '--all', '--require-approval', 'never', '--no-staging'], { ...run, deleteData: true });
    await runCdk(['destroy', '--all', ...(ctx.values.yes ? ['--force'] : [])], { ...run, deleteData });
  },
};
