import { resolve } from 'node:path';
import { localRuntime } from '../../local/runtime.ts';
import { clusterShape, whyNotApplicable } from '../../ops/drills/applicability.ts';
import { DRILL_DEFAULTS, parseDrillArgs } from '../../ops/drills/options.ts';
import { DRILL_NAMES, drillNamed } from '../../ops/drills/registry.ts';
import type { DrillResult } from '../../ops/drills/result.ts';
import { writeResultFiles } from '../../ops/drills/result-files.ts';
import { runDrill } from '../../ops/drills/runner.ts';
import { formatSummary, type Skipped } from '../../ops/drills/summary.ts';
import { isUserError } from '../../util/errors.ts';
import type { Command } from '../command.ts';
import { interruptible } from '../interrupt.ts';
import { PROFILE_OPTION, specFor } from '../spec-flags.ts';

export const drillCommand: Command = {
  name: 'drill',
  summary: 'Break one part of the local cluster under load and report what users saw',
  usage: `NAME|all [--users ${DRILL_DEFAULTS.users}] [--duration ${DRILL_DEFAULTS.durationSeconds}s] [--fault-at ${DRILL_DEFAULTS.faultAtSeconds}s] [--out DIR]`,
  help:
    `Drills: ${DRILL_NAMES.map((d) => `${d} (${drillNamed(d).summary})`).join('; ')}. "all" runs them in that order. ` +
    'Each checks the steady state first (containers healthy, every /readyz 200, HAProxy shows every web node UP, a login works), runs the load journeys, ' +
    'injects the fault at --fault-at, restores what it broke after the load, checks the steady state again and that every acknowledged forum post is in the database. ' +
    `Writes drill-NAME-TIME.json and .html (timeline chart, bars) under --out (default ./${DRILL_DEFAULTS.outDir}/) and prints a summary. ` +
    'Error-free again = from the fault to the start of the first full second, after the last failed step, with successful steps and no failure. ' +
    'Ctrl-C (or SIGTERM) stops the load, restores what the drill broke, says what it restored and exits 130. ' +
    'Exits 0 when every bar was met, 1 when one was missed, 2 when the drill cannot run (e.g. db-writer-loss on a dev cluster).',
  maxPositionals: 1,
  options: { ...PROFILE_OPTION, users: { type: 'string' }, duration: { type: 'string' }, 'fault-at': { type: 'string' }, out: { type: 'string' } },
  async run(ctx) {
    const o = parseDrillArgs(ctx.positionals, ctx.values);
    const runtime = localRuntime(specFor(ctx));
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const results: DrillResult[] = [];
    const skipped: Skipped[] = [];
    const summary = () => process.stdout.write(`${formatSummary(results, skipped)}\n`);
    return interruptible('stopping the drill: the load stops, then what it broke is restored ...', async (signal) => {
      for (const drill of o.drills) {
        if (signal.aborted) break;
        if (o.drills.length > 1) {
          const why = whyNotApplicable(drill, await clusterShape(runtime));
          if (why) {
            log(`skipping ${drill}: ${why}`);
            skipped.push({ drill, reason: why });
            continue;
          }
        }
        let r: DrillResult;
        try {
          r = await runDrill(drill, runtime, o, log, signal);
        } catch (e) {
          if (signal.aborted && results.length) summary(); // what ran before the interruption
          // With "all", a drill that could not run is reported and the next one still runs.
          if (signal.aborted || o.drills.length === 1 || !isUserError(e)) throw e;
          log(`drill ${drill} did not run: ${e.message} ${e.details.join('; ')}`);
          skipped.push({ drill, reason: `did not run: ${e.message} ${e.details.join('; ')}`.trim() });
          continue;
        }
        const files = writeResultFiles(r, resolve(ctx.cwd, o.outDir));
        log(`drill ${drill}: ${r.passed ? 'every bar met' : 'a bar was MISSED'}; ${files.json}, ${files.html}`);
        results.push(r);
      }
      summary();
      if (signal.aborted) return 130;
      return results.every((r) => r.passed) && skipped.every((k) => !k.reason.startsWith('did not run')) ? 0 : 1;
    });
  },
};
