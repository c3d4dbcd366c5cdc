import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fixtureStateFile, prepareFixture } from '../../ops/load/fixture.ts';
import { formatTable, progressLine } from '../../ops/load/report.ts';
import { checkBounds, loadTarget, runLoad, type LoadOptions } from '../../ops/load/run.ts';
import { parseDuration } from '../../spec/units.ts';
import { UserError } from '../../util/errors.ts';
import type { Command, Values } from '../command.ts';
import { runtimeFor } from '../runtime.ts';
import { specFor } from '../spec-flags.ts';

export const loadCommand: Command = {
  async run(ctx) {
    const runtime = runtimeFor(specFor(ctx));
    const { spec } = runtime.loaded;
    const options = parseLoadFlags(ctx.values);
    const target = loadTarget(spec);
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const { fixture, password } = await prepareFixture(runtime, { users: options.users, log });
    if (ctx.values.prepare) {
      process.stdout.write(
        `test data ready on cluster ${spec.name}${fixture.created ? ' (made now)' : ' (already there)'}:\n` +
          `  course:      ${fixture.course.shortname} (id ${fixture.course.id}, generator size ${fixture.course.size})\n` +
          `  users:       ${fixture.usernames.length} (${fixture.usernames[0]} ...)\n` +
          `  forum:       id ${fixture.forum.id}, ${fixture.discussions.length} discussions\n` +
          `  file:        ${fixture.file.path} (${fixture.file.bytes} bytes)\n` +
          `  state:       ${fixtureStateFile(spec.name)}\n`,
      );
      return 0;
    }
    const abort = new AbortController();
    const onSigint = () => {
      if (abort.signal.aborted) process.exit(130);
      log('stopping (Ctrl-C again to quit at once) ...');
      abort.abort();
    };
    process.on('SIGINT', onSigint);
    log(`load: ${options.users} users for ${options.durationSeconds} s (ramp ${options.rampSeconds} s, think ${options.thinkSeconds} s) on ${target.baseUrl}`);
    let result: Awaited<ReturnType<typeof runLoad>>;
    try {
      result = await runLoad({ target, fixture, password, options, signal: abort.signal, onProgress: (p) => log(progressLine(p, options.users)) });
    } finally {
      process.off('SIGINT', onSigint);
    }
    process.stdout.write(`${formatTable(result)}\n`);
    if (typeof ctx.values.json === 'string') {
      const file = resolve(ctx.cwd, ctx.values.json);
      writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
      process.stdout.write(`results: ${file}\n`);
    }
    return result.totals.failed > 0 || result.totals.lostSessions > 0 ? 1 : 0;
  },
};

/** The run's options from the flags, checked against the bounds (a UserError lists every problem). */
export function parseLoadFlags(values: Values): LoadOptions {
  const problems: string[] = [];
  const duration = (flag: string, fallback: number): number => {
    const v = values[flag];
    if (typeof v !== 'string') return fallback;
    const d = parseDuration(v);
    if (!d) {
      problems.push(`--${flag} "${v}" is not a duration: write a number and a unit, e.g. "30s" or "2m"`);
      return fallback;
    }
    return d.seconds;
  };
  let users = 10;
  if (typeof values.users === 'string') {
    users = /^\d+$/.test(values.users) ? Number(values.users) : NaN;
    if (Number.isNaN(users)) problems.push(`--users "${values.users}" is not a whole number`);
  }
  const durationSeconds = duration('duration', 60);
  // Unless given, the ramp is 10 s, or a quarter of a shorter run.
  const rampSeconds = duration('ramp', Math.min(10, durationSeconds / 4));
  const thinkSeconds = duration('think', 1);
  if (problems.length) throw new UserError('load: invalid flags; nothing was run:', problems);
  const options = { users, durationSeconds, rampSeconds, thinkSeconds };
  const bounds = checkBounds(options);
  if (bounds.length) throw new UserError('load: out of bounds; nothing was run:', bounds);
  return options;
}
