import { whyNotApplicable } from '../../ops/drills/definitions.ts';
import { parseDrillArgs } from '../../ops/drills/options.ts';
import { writeResultFiles, type DrillResult } from '../../ops/drills/result.ts';
import { clusterShape, runDrill } from '../../ops/drills/runner.ts';
import { formatSummary, type Skipped } from '../../ops/drills/summary.ts';
import { resolve } from 'node:path';
import { isUserError } from '../../util/errors.ts';
import type { Command } from '../command.ts';
import { specFor } from '../spec-flags.ts';

export const drillCommand: Command = {
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
