// How the local cluster's commands are called: up, down, status, scale, autoscale, logs, migrate, build, base-image.
import { BASE_IMAGE } from '../../image/base-image.ts';
import type { CommandDefinition } from '../command.ts';
import { PROFILE_FLAG } from './shared.ts';

const WEBHOOK = 'POST each scaling event as JSON to this http:// or https:// URL (default: autoscaler.webhook of the spec)';

export const up: CommandDefinition = {
  help:
    'Starts HAProxy (the only published port), the web nodes, MariaDB, Redis, one cron container and a migrate run on a private Docker network. Data lives in named volumes; "down" keeps it.\n\n' +
    'With --autoscale it stays in the foreground running the autoscaler (live view) until Ctrl-C. With --autoscale --detach (or autoscaler.enabled: true in moodle-ha.yaml) the autoscaler runs in a controller container instead, until "down"; a later "up" without either removes it.',
  flags: {
    ...PROFILE_FLAG,
    autoscale: { description: 'once the cluster is up, stay in the foreground running the autoscaler (live view) until Ctrl-C' },
    detach: { short: 'd', description: 'with --autoscale: run the autoscaler in a controller container until "down" instead' },
    webhook: { value: 'URL', description: `with --autoscale: ${WEBHOOK}` },
  },
  load: async () => (await import('../commands/up.ts')).upCommand,
};

export const down: CommandDefinition = {
  help: 'Web nodes drain in-flight requests before they stop. With --volumes, the database, Redis and moodledata volumes and the generated secrets are deleted too.',
  flags: {
    volumes: { description: 'delete the data too: the database, Redis and moodledata volumes and the generated secrets' },
  },
  load: async () => (await import('../commands/down.ts')).downCommand,
};

export const status: CommandDefinition = {
  flags: {
    json: { description: 'print everything as one JSON document instead of the table' },
  },
  load: async () => (await import('../commands/status.ts')).statusCommand,
};

export const scale: CommandDefinition = {
  args: 'N',
  maxPositionals: 1,
  help: 'Scale-out starts nodes and adds each to the load balancer once it is ready. Scale-in takes a node out of rotation, waits for its in-flight requests, then stops it. The capacity is remembered by "up".',
  load: async () => (await import('../commands/scale.ts')).scaleCommand,
};

export const autoscale: CommandDefinition = {
  help:
    'Reads HAProxy stats, decides with the same policy shape as the AWS side (scaling: in moodle-ha.yaml), scales out (new node ready, then added) and in (drained, then stopped). Each scaling event is printed and POSTed as JSON to --webhook. Stop with Ctrl-C. ' +
    'Refused while the detached autoscaler (autoscaler.enabled, "up --autoscale --detach") runs: one autoscaler per cluster.',
  flags: {
    interval: { value: 'DURATION', description: 'time between two decisions, at least 1s (default: autoscaler.interval of the spec)' },
    duration: { value: 'DURATION', description: 'stop after this long, e.g. 10m (default: until Ctrl-C)' },
    webhook: { value: 'URL', description: WEBHOOK },
  },
  load: async () => (await import('../commands/autoscale.ts')).autoscaleCommand,
};

export const logs: CommandDefinition = {
  args: 'SERVICE',
  maxPositionals: 1,
  help:
    "SERVICE is a service of the cluster (every container of it; with several, each line starts with the container's name) or one container's name. Without SERVICE, the error lists the services of the cluster. " +
    '"migrate" is the migrate running now, else the log of the last run (as "migrate log" shows it).',
  flags: {
    follow: { short: 'F', description: 'keep printing new lines as they come, until Ctrl-C' },
    tail: { short: 'n', value: 'N', description: "lines of each container's log to show first (default 100)" },
  },
  load: async () => (await import('../commands/logs.ts')).logsCommand,
};

export const migrate: CommandDefinition = {
  args: '[ACTION]',
  maxPositionals: 1,
  help:
    'Without ACTION: runs migrate against the running cluster, from the image it runs, with the container definition "up" uses: installs an empty database, or upgrades it (under maintenance mode) when the code is newer, under a database lock. ' +
    'Prints its progress and ends with its result (installed, upgraded, unchanged: exit 0) or its failure with the last lines of its log (exit 2). ' +
    'A migrate already running (another "up" or "migrate" started it) is never removed: this run waits for its end and reports it.\n\n' +
    'ACTION "status": the Moodle release and version the database has against the code, whether an install or upgrade is pending, whether a migrate holds the lock now, and the last run. ' +
    'ACTION "log": the whole log of the last run (the last 5 runs, by "up" or "migrate", are kept in the cluster\'s state folder).\n\n' +
    'An install that stopped half-way (its migrate was killed) is never built on: migrate, "up" and "status" say so. ' +
    "With --reinstall, such an install is dropped and Moodle installed again, after you confirm (type the cluster name, or --yes), only when it holds no one's data " +
    '(no user besides admin and guest, no course besides the site course, no stored file); a site with data, or a complete one, is never reinstalled.',
  flags: {
    json: { description: 'with "status": print it as one JSON document instead of lines' },
    reinstall: { description: 'drop an install that stopped half-way and holds no data, then install again (asks first)' },
    yes: { short: 'y', description: 'with --reinstall: reinstall without asking for the cluster name (needed where there is no terminal to ask in)' },
  },
  load: async () => (await import('../commands/migrate.ts')).migrateCommand,
};

export const build: CommandDefinition = {
  load: async () => (await import('../commands/build.ts')).buildCommand,
};

export const baseImage: CommandDefinition = {
  help: `Makes sure ${BASE_IMAGE} is in the Docker engine. Air-gapped sites: with no registry reachable, the Debian base image is made from the Debian archive (or MOODLE_HA_DEBIAN_MIRROR) with debootstrap, as root. Every image of the project builds FROM it.`,
  load: async () => (await import('../commands/base-image.ts')).baseImageCommand,
};
