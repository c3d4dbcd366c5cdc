// How the commands that run against the local cluster are called: load and drill.
import { DRILL_DEFAULTS, DRILL_LIMITS } from '../../ops/drills/options.ts';
import { DRILL_NAMES, drillNamed } from '../../ops/drills/registry.ts';
import { LIMITS } from '../../ops/load/run.ts';
import type { CommandDefinition } from '../command.ts';
import { PROFILE_FLAG } from './shared.ts';

export const load: CommandDefinition = {
  help:
    'Each virtual user logs in as its own generated user (own session), then browses: dashboard, course, a forum discussion, a reply (must appear), a file download, with think time. ' +
    "Test data comes from Moodle's generator (admin/tool/generator), made once inside a web container and reused; --prepare only makes it.\n\n" +
    `Local cluster only: loopback targets, at most ${LIMITS.maxUsers} users, ${LIMITS.maxDurationSeconds / 60} minutes and ${LIMITS.maxRequests} requests. ` +
    'Prints a live line every 5 s and a table per step; --json writes every figure, the acknowledged post ids and a per-second timeline.\n\n' +
    'Exits 0 when nothing failed, 1 when a step failed or a session was lost.',
  flags: {
    users: { value: 'N', description: `virtual users, each logged in as its own user (default 10, at most ${LIMITS.maxUsers})` },
    duration: { value: 'DURATION', description: `how long the load runs, e.g. 60s or 2m (default 60s, at most ${LIMITS.maxDurationSeconds / 60}m)` },
    ramp: { value: 'DURATION', description: 'time over which the users start (default 10s, or a quarter of a shorter run)' },
    think: { value: 'DURATION', description: 'mean pause of a user between two steps (default 1s)' },
    json: { value: 'FILE', description: 'also write every figure, the acknowledged post ids and a per-second timeline to FILE' },
    prepare: { description: 'only make the test data (course, users, forum, file) if missing, print it, and stop' },
  },
  load: async () => (await import('../commands/load.ts')).loadCommand,
};

const L = DRILL_LIMITS;

export const drill: CommandDefinition = {
  args: 'NAME|all',
  maxPositionals: 1,
  help:
    `Drills: ${DRILL_NAMES.map((d) => `${d} (${drillNamed(d).summary})`).join('; ')}. "all" runs them in that order.\n\n` +
    'Each checks the steady state first (containers healthy, every /readyz 200, HAProxy shows every web node UP, a login works), runs the load journeys, ' +
    'injects the fault at --fault-at, restores what it broke after the load, checks the steady state again and that every acknowledged forum post is in the database.\n\n' +
    `Writes drill-NAME-TIME.json and .html (timeline chart, bars) under --out (default ./${DRILL_DEFAULTS.outDir}/) and prints a summary. ` +
    'Error-free again = from the fault to the start of the first full second, after the last failed step, with successful steps and no failure.\n\n' +
    'Ctrl-C (or SIGTERM) stops the load, restores what the drill broke, says what it restored and exits 130. ' +
    'Exits 0 when every bar was met, 1 when one was missed, 2 when the drill cannot run (e.g. db-writer-loss on a dev cluster).',
  flags: {
    ...PROFILE_FLAG,
    users: { value: 'N', description: `virtual users during the drill (default ${DRILL_DEFAULTS.users}, at most ${L.maxUsers})` },
    duration: {
      value: 'DURATION',
      description: `length of the load run (default ${DRILL_DEFAULTS.durationSeconds}s; from ${L.minDurationSeconds}s to ${L.maxDurationSeconds / 60}m)`,
    },
    'fault-at': {
      value: 'DURATION',
      description: `when the fault is injected, from the start of the load (default ${DRILL_DEFAULTS.faultAtSeconds}s; leaves at least ${L.minAfterFaultSeconds}s after it)`,
    },
    out: { value: 'DIR', description: `folder for the results, drill-NAME-TIME.json and .html (default ./${DRILL_DEFAULTS.outDir})` },
  },
  load: async () => (await import('../commands/drill.ts')).drillCommand,
};
