import { createInterface } from 'node:readline/promises';
import { resolve } from 'node:path';
import { restore } from '../../local/backup/restore.ts';
import { UserError } from '../../util/errors.ts';
import { consoleProgress } from '../../util/progress.ts';
import type { Command } from '../command.ts';
import { interruptible } from '../interrupt.ts';
import { specFor } from '../spec-flags.ts';
import { hint } from '../../spec/hint.ts';

export const restoreCommand: Command = {
  async run(ctx) {
    const { spec } = specFor(ctx);
    if (!ctx.positionals[0]) throw new UserError(`give the backup folder: ${hint('restore DIR')} (a folder "moodle-ha backup" made, holding manifest.json)`);
    const dir = resolve(ctx.cwd, ctx.positionals[0]);
    const confirm = async (summary: string) => {
      process.stderr.write(`${summary}\n`);
      if (ctx.values.yes === true) return true;
      if (!process.stdin.isTTY)
        throw new UserError("restore replaces the site's data and asks first; no terminal to ask in: run it with --yes to confirm. Nothing was changed.");
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const ask = new AbortController();
      rl.once('SIGINT', () => ask.abort()); // Ctrl-C at the prompt: a "no"
      try {
        return (await rl.question(`Type the cluster name (${spec.name}) to go on: `, { signal: ask.signal })).trim() === spec.name;
      } catch {
        return false;
      } finally {
        rl.close();
      }
    };
    return interruptible('stopping the restore ...', async (signal) => {
      const r = await restore(spec, { dir, progress: consoleProgress(), confirm, signal });
      const s = r.after.site;
      process.stdout.write(
        `restored ${spec.name} from ${dir}\n` +
          `  point in time: ${r.manifest.pointInTime} (backup of "${r.manifest.cluster}", Moodle ${r.manifest.moodle.release}); migrate: ${r.migrate}\n` +
          `  restored:      ${s.users} users, ${s.courses} courses, ${s.forumPosts} forum posts, ${s.files} files\n` +
          (r.after.recovered ? `  files:         ${r.after.recovered} file content(s) deleted after the snapshot were taken back from trashdir\n` : '') +
          (r.after.missing
            ? `  WARNING:       ${r.after.missing} file content(s) are missing from moodledata (e.g. ${r.after.missingSample.join(', ')}); those files cannot be downloaded\n`
            : '') +
          `  sessions and caches were flushed: users log in again\n` +
          `restore time: ${r.seconds.toFixed(1)} s\n`,
      );
    });
  },
};
