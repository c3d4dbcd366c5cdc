import { runCdk } from '../../aws/cli/cdk-cli.ts';
import { requireCredentials } from '../../aws/cli/credentials.ts';
import { IMAGE_HELP, IMAGE_OPTIONS, imageOrStagedContext, requireImage } from '../../aws/cli/image-choice.ts';
import { planDeployment } from '../../aws/plan.ts';
import { readSpec } from '../../spec/read.ts';
import type { Command } from '../command.ts';

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'Deploy the spec to AWS: edge (us-east-1), pipeline, Moodle, then its CloudFront alarm (us-east-1); needs credentials',
  usage: '[--image-dir DIR | --image-tag TAG] [--bootstrap] [--yes]',
  help: `Runs "cdk deploy" for every stack of the spec. Each deploy runs the migrate task (install or
upgrade, under the database lock) and waits for it before the web and cron services roll to the
new image; a failed migrate fails the deploy and nothing rolls.
--bootstrap first runs "cdk bootstrap" for the main region and us-east-1 (once per account).
--yes deploys without asking about security-relevant changes.

${IMAGE_HELP}`,
  options: { ...IMAGE_OPTIONS, bootstrap: { type: 'boolean' }, yes: { type: 'boolean', short: 'y' } },
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
    if (!image) process.stdout.write('only the pipeline stack was deployed: push a change to the spec or plugins (or start the pipeline) to build the image and deploy Moodle\n');
  },
};
