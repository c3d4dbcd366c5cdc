import { DRILLS, whyNotApplicable } from '../../ops/drills/definitions.ts';
import { DRILL_DEFAULTS, DRILL_NAMES, parseDrillArgs } from '../../ops/drills/options.ts';
import { writeResultFiles, type DrillResult } from '../../ops/drills/result.ts';
import { clusterShape, runDrill } from '../../ops/drills/runner.ts';
import { formatSummary, type Skipped } from '../../ops/drills/summary.ts';
import { resolve } from 'node:path';
import { isUserError } from '../../util/errors.ts';
import type { Command } from '../command.ts';
import { PROFILE_OPTION, specFor } from '../spec-flags.ts';

export const drillCommand: Command = {
  name: 'drill',
  summary: 'Break one part of the local cluster under load and report what users saw',
  usage: `NAME|all [--users ${DRILL_DEFAULTS.users}] [--duration ${DRILL_DEFAULTS.durationSeconds}s] [--fault-at ${DRILL_DEFAULTS.faultAtSeconds}s] [--out DIR]`,
  help:
    `Drills: ${DRILL_NAMES.map((d) => `${d} (${DRILLS[d].summary})`).join('; ')}. "all" runs them in that order. ` +
    'Each checks the steady state first (containers healthy, every /readyz 200, HAProxy shows every web node UP, a login works), runs the load journeys, ' +
    'injects the fault at --fault-at, restores what it broke after the load, checks the steady state again and that every acknowledged forum post is in the database. ' +
    `Writes drill-NAME-TIME.json and .html (timeline chart, bars) under --out (default ./${DRILL_DEFAULTS.outDir}/) and prints a summary. ` +
    'Error-free again = from the fault to the start of the first full second, after the last failed step, with successful steps and no failure. ' +
    'Exits 0 when every bar was met, 1 when one was missed, 2 when the drill cannot run (e.g. db-writer-loss on a dev cluster).',
  maxPositionals: 1,
  options: { ...PROFILE_OPTION, users: { type: 'string' }, duration: { type: 'string' }, 'fault-at': { type: 'string' }, out: { type: 'string' } },
  async run(ctx) {
    const o = parseDrillArgs(ctx.positionals, ctx.values);
    const loaded = specFor(ctx);
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const results: DrillResult[] = [];
    const skipped: Skipped[] = [];
    for (const drill of o.drills) {
      if (o.drills.length > 1) {
        const why = whyNotApplicable(drill, await clusterShape(loaded));
        if (why) {
          log(`skipping ${drill}: ${why}`);
          skipped.push({ drill, reason: why });
          continue;
        }
      }
      let r: DrillResult;
      try {
        r = await runDrill(drill, loaded, o, log);
      } catch (e) {
        // With "all", a drill that could not run is reported and the next one still runs.
        if (o.drills.length === 1 || !isUserError(e)) throw e;
        log(`drill ${drill} did not run: ${e.message} ${e.details.join('; ')}`);
        skipped.push({ drill, reason: `did not run: ${e.message} ${e.details.join('; ')}`.trim() });
        continue;
      }
      const files = writeResultFiles(r, resolve(ctx.cwd, o.outDir));
      log(`drill ${drill}: ${r.passed ? 'every bar met' : 'a bar was MISSED'}; ${files.json}, ${files.html}`);
      results.push(r);
    }
    process.stdout.write(`${formatSummary(results, skipped)}\n`);
    return results.every((r) => r.passed) && skipped.every((k) => !k.reason.startsWith('did not run')) ? 0 : 1;
  },
};
