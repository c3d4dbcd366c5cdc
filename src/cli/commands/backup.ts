import { backup } from '../../local/backup/backup.ts';
import { mb } from '../../local/backup/progress-bytes.ts';
import { consoleProgress } from '../../util/progress.ts';
import type { Command } from '../command.ts';
import { interruptible } from '../interrupt.ts';
import { specFor } from '../spec-flags.ts';
import { hint, shellWord } from '../../spec/hint.ts';

export const backupCommand: Command = {
  async run(ctx) {
    const { spec } = specFor(ctx);
    const outDir = typeof ctx.values.out === 'string' ? ctx.values.out : 'backups';
    return interruptible('stopping the backup and removing its unfinished folder ...', async (signal) => {
      const r = await backup(spec, { outDir, progress: consoleProgress(), signal });
      const m = r.manifest;
      process.stdout.write(
        `backup of ${spec.name} written in ${r.seconds.toFixed(1)} s: ${r.dir}\n` +
          `  point in time: ${m.pointInTime} (Moodle ${m.moodle.release})\n` +
          `  site:          ${m.site.users} users, ${m.site.courses} courses, ${m.site.forumPosts} forum posts, ${m.site.files} files\n` +
          `  database:      ${m.parts.database.file} ${mb(m.parts.database.bytes)}\n` +
          `  moodledata:    ${m.parts.moodledata.file} ${mb(m.parts.moodledata.bytes)}\n` +
          (r.changedWhileRead.length
            ? `  note: ${r.changedWhileRead.length} file(s) changed while copied (the site was in use); they are extras, not part of T\n`
            : '') +
          `  restore:       ${hint(`restore ${shellWord(r.dir)}`)}\n`,
      );
    });
  },
};
