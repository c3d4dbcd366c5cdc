// Every CLI command, in the order `moodle-ha --help` lists them: its name, its one-line summary,
// and where its definition is (flags, help: definitions/*.ts), loaded only when it is chosen.
// Its run function is in commands/<name>.ts. This file imports nothing else, so `--help` is fast.
import type { CommandEntry } from '../command.ts';

const cluster = () => import('../definitions/cluster.ts');
const ops = () => import('../definitions/ops.ts');
const backups = () => import('../definitions/backup.ts');
const moodle = () => import('../definitions/moodle.ts');
const aws = () => import('../definitions/aws.ts');

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'up', summary: 'Build what is missing and start the local cluster (converges when run again)', define: async () => (await cluster()).up },
  { name: 'down', summary: 'Stop and remove the local cluster (data is kept unless --volumes)', define: async () => (await cluster()).down },
  {
    name: 'status',
    summary: "Show each container's state and health, and the web nodes as the load balancer sees them",
    define: async () => (await cluster()).status,
  },
  { name: 'scale', summary: 'Set the number of web nodes by hand (scale-in drains each node first)', define: async () => (await cluster()).scale },
  {
    name: 'autoscale',
    summary: 'Run the autoscaler in the foreground: target tracking on req/s per node and CPU, with the spec schedule',
    define: async () => (await cluster()).autoscale,
  },
  {
    name: 'logs',
    summary: 'Show (and follow) the logs of a service: lb, web, db, redis, cron, autoscaler, migrate',
    define: async () => (await cluster()).logs,
  },
  {
    name: 'migrate',
    summary: 'Run migrate now (install or upgrade, as up does); "migrate status": database against code, lock, last run; "migrate log": its last log',
    define: async () => (await cluster()).migrate,
  },
  {
    name: 'load',
    summary: 'Run realistic Moodle journeys (login, course, forum reply, file) against the local cluster',
    define: async () => (await ops()).load,
  },
  { name: 'drill', summary: 'Break one part of the local cluster under load and report what users saw', define: async () => (await ops()).drill },
  {
    name: 'backup',
    summary: 'Back up the local cluster: database and moodledata at one point in time, while it runs',
    define: async () => (await backups()).backup,
  },
  {
    name: 'restore',
    summary: "Replace the local cluster's data with a backup (database and moodledata), then serve it",
    define: async () => (await backups()).restore,
  },
  {
    name: 'build',
    summary:
      "Build the runtime image (Moodle + plugin manifest), the service images, the mail catcher's (and the autoscaler controller image when autoscaler.enabled)",
    define: async () => (await cluster()).build,
  },
  {
    name: 'base-image',
    summary: 'Make sure the Debian base image is in the Docker engine (pulled, or made with debootstrap where no registry answers)',
    define: async () => (await cluster()).baseImage,
  },
  {
    name: 'moodle import',
    summary: 'Put a local Moodle tree into the cache (air-gapped sites, local changes)',
    define: async () => (await moodle()).moodleImport,
  },
  {
    name: 'moodle download',
    summary: 'Download an official Moodle release into the cache (checksum verified)',
    define: async () => (await moodle()).moodleDownload,
  },
  { name: 'moodle list', summary: 'List the Moodle trees in the cache', define: async () => (await moodle()).moodleList },
  { name: 'synth', summary: 'Write the CloudFormation templates of the AWS deployment (offline, no credentials)', define: async () => (await aws()).synth },
  { name: 'diff', summary: 'Show what a deploy would change in the AWS account (needs credentials)', define: async () => (await aws()).diff },
  {
    name: 'deploy',
    summary: 'Deploy the spec to AWS: edge (us-east-1), pipeline, Moodle, then its CloudFront alarm (us-east-1); needs credentials',
    define: async () => (await aws()).deploy,
  },
  { name: 'destroy', summary: 'Delete the AWS deployment; data is kept unless --delete-data (needs credentials)', define: async () => (await aws()).destroy },
  {
    name: 'aws restore',
    summary: 'Restore the AWS site as it was at a time into a NEW stack beside it (needs credentials)',
    define: async () => (await aws()).awsRestore,
  },
];

/** Commands of two words are typed as "<group> <command>"; what each group is about. */
export const GROUPS: Readonly<Record<string, string>> = {
  moodle: 'The Moodle source cache: import a tree, download a release, list what is cached',
  aws: 'The AWS site beyond a deploy: restore it to a point in time',
};
