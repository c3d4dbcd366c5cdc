import { resolve } from 'node:path';
import { clusterShape, whyNotApplicable } from '../../ops/drills/applicability.ts';
import { parseDrillArgs } from '../../ops/drills/options.ts';
import type { DrillResult } from '../../ops/drills/result.ts';
import { writeResultFiles } from '../../ops/drills/result-files.ts';
import { runDrill } from '../../ops/drills/runner.ts';
import { formatSummary, type Skipped } from '../../ops/drills/summary.ts';
import { isUserError } from '../../util/errors.ts';
import type { Command } from '../command.ts';
import { interruptible } from '../interrupt.ts';
import { runtimeFor } from '../runtime.ts';
import { specFor } from '../spec-flags.ts';

export const drillCommand: Command = {
  async run(ctx) {
    const o = parseDrillArgs(ctx.positionals, ctx.values);
    const runtime = runtimeFor(specFor(ctx));
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
