// How the AWS commands are called: synth, diff, deploy, destroy, aws restore.
import type { CommandDefinition } from '../command.ts';
import { IMAGE_FLAGS, IMAGE_HELP } from './shared.ts';

const YES_DEPLOY = { short: 'y', description: 'deploy without asking about security-relevant changes' } as const;

export const synth: CommandDefinition = {
  help:
    'Builds the CDK app from the spec in this process and writes the cloud assembly. Checks the templates with cdk-nag (AwsSolutions): an unacknowledged finding fails the synth. ' +
    'No AWS account, credentials or network are used. With no image flag and no pipeline, the image\'s build context is staged from the cached Moodle tree, as "deploy" does.' +
    `\n\n${IMAGE_HELP}`,
  flags: {
    ...IMAGE_FLAGS,
    out: { short: 'o', value: 'DIR', description: 'folder for the cloud assembly, relative to the current folder unless absolute (default ./cdk.out)' },
  },
  load: async () => (await import('../commands/synth.ts')).synthCommand,
};

export const diff: CommandDefinition = {
  help: `Runs "cdk diff" for every stack of the spec against what is deployed.\n\n${IMAGE_HELP}`,
  flags: { ...IMAGE_FLAGS },
  load: async () => (await import('../commands/diff.ts')).diffCommand,
};

export const deploy: CommandDefinition = {
  help:
    'Runs "cdk deploy" for every stack of the spec. Each deploy runs the migrate task (install or upgrade, under the database lock) and waits for it before the web and cron services ' +
    'roll to the new image; a failed migrate fails the deploy and nothing rolls.' +
    `\n\n${IMAGE_HELP}`,
  flags: {
    ...IMAGE_FLAGS,
    bootstrap: { description: 'first run "cdk bootstrap" for the main region and us-east-1 (once per account)' },
    yes: YES_DEPLOY,
  },
  load: async () => (await import('../commands/deploy.ts')).deployCommand,
};

export const destroy: CommandDefinition = {
  help:
    'Deletes the stacks. Data is never deleted by default: moodledata (EFS), the config and log buckets, the backup vault and the image repository are RETAINed ' +
    '(they stay in the account and keep costing until you delete them), and the database leaves a final snapshot. In production the database has deletion protection, ' +
    'so a plain destroy refuses and says what to do.\n\n' +
    '--delete-data deletes the data too: it first deploys with RETAIN, snapshots and deletion protection lifted (give the same --image-dir or --image-tag as your last deploy, ' +
    'so nothing else changes), then deletes the stacks. Backup recovery points are kept until they expire.',
  flags: {
    ...IMAGE_FLAGS,
    'delete-data': { description: 'delete the data too (needs the --image-dir or --image-tag of the last deploy; see below)' },
    yes: { short: 'y', description: "delete without cdk's confirmation" },
  },
  load: async () => (await import('../commands/destroy.ts')).destroyCommand,
};

export const awsRestore: CommandDefinition = {
  help:
    "Picks the newest pair of recovery points of the site's backup plan (the Aurora cluster and the EFS file system, from the same backup run) at or before --at, " +
    'restores the EFS one to a new file system and waits, then deploys a new stack NEW-NAME from the same spec whose database is created from the Aurora one and ' +
    'whose moodledata is the restored file system. The running site is not changed. The new site gets its own host name (--domain), so both can run while you check ' +
    "the restored one; docs/aws.md says how to move the site's name to it. Certificates named in the spec (aws.certificateArn, aws.edgeCertificateArn) must cover that " +
    'host name. The image pipeline is not deployed for the new stack.' +
    `\n\n${IMAGE_HELP}`,
  flags: {
    to: { value: 'NEW-NAME', description: 'name of the new site, required (its stacks are NEW-NAME, NEW-NAME-edge, …)' },
    at: { value: 'TIME', description: 'restore the site as it was at this ISO 8601 time, e.g. 2026-11-30T08:00:00Z (default: now)' },
    domain: { value: 'HOST', description: 'host name of the restored site (default NEW-NAME.<aws.hostedZone.name>)' },
    'image-dir': IMAGE_FLAGS['image-dir']!,
    yes: YES_DEPLOY,
  },
  load: async () => (await import('../commands/aws-restore.ts')).awsRestoreCommand,
};
