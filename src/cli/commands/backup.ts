import { backup } from '../../local/backup/backup.ts';
import { mb } from '../../local/backup/progress-bytes.ts';
import { consoleProgress } from '../../util/progress.ts';
import type { Command } from '../command.ts';
import { interruptible } from '../interrupt.ts';
import { specFor } from '../spec-flags.ts';
import { hint, shellWord } from '../../spec/hint.ts';

export const backupCommand: Command = {
  name: 'backup',
  summary: 'Back up the local cluster: database and moodledata at one point in time, while it runs',
  usage: '[--out DIR]',
  help:
    'Makes a new folder DIR/<name>-<time>/ (default DIR: ./backups) holding database.sql.gz (mariadb-dump --single-transaction through the writer: ' +
    'a consistent snapshot at a time T), moodledata.tar.gz (the files, copied right after T, with Moodle\'s trash cleanup held so a file deleted meanwhile is still in it; ' +
    'caches, temporary files and the MUC configuration are left out: they are rebuilt) and manifest.json (T, the Moodle version, size and SHA-256 of each part). ' +
    'The site stays up. The folder is 0700 and its files 0600: the dump holds every user\'s personal data and password hash, so keep it as carefully as the database. ' +
    'No secret of the cluster (database, Redis or admin password files) is in it. Until it is complete the folder has a hidden .partial name, so an interrupted ' +
    'backup never looks like a usable one. Restore with "moodle-ha restore DIR/<name>-<time>".',
  options: { out: { type: 'string', short: 'o' } },
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
          (r.changedWhileRead.length ? `  note: ${r.changedWhileRead.length} file(s) changed while copied (the site was in use); they are extras, not part of T\n` : '') +
          `  restore:       ${hint(`restore ${shellWord(r.dir)}`)}\n`,
      );
    });
  },
};
