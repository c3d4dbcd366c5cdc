import { cachedVersions, moodleCacheDir, cachedTree } from '../../moodle/cache.ts';
import { downloadRelease } from '../../moodle/download.ts';
import { importTree } from '../../moodle/import.ts';
import { UserError } from '../../util/errors.ts';
import type { Command } from '../command.ts';
import { specFor } from '../spec-flags.ts';

export const moodleImportCommand: Command = {
  async run(ctx) {
    const dir = ctx.positionals[0];
    if (!dir) throw new UserError('name the Moodle folder to import: moodle-ha moodle import DIR');
    process.stderr.write(`importing ${dir} ...\n`);
    const r = importTree(dir, { force: ctx.values.force === true, onProgress: (t) => process.stderr.write(`${t}\n`) });
    if (r.unchanged) process.stdout.write(`Moodle ${r.version.release} is already in ${r.dir}, the same files as ${dir}: nothing to import\n`);
    else process.stdout.write(`imported Moodle ${r.version.release} into ${r.dir}${r.replaced ? ' (replaced the cached tree)' : ''}\n`);
  },
};

export const moodleDownloadCommand: Command = {
  async run(ctx) {
    const { spec } = specFor(ctx);
    const version = ctx.positionals[0] ?? spec.moodle.version;
    const r = await downloadRelease(version, {
      sha256: ctx.positionals[0] ? undefined : spec.moodle.sha256,
      force: ctx.values.force === true,
      onProgress: (t) => process.stderr.write(`${t}\n`),
    });
    process.stdout.write(`cached Moodle ${r.version.release} in ${r.dir}\n`);
  },
};

export const moodleListCommand: Command = {
  async run() {
    const versions = cachedVersions();
    if (!versions.length) process.stdout.write(`no Moodle trees in ${moodleCacheDir()}\n`);
    for (const v of versions) {
      const t = cachedTree(v)!;
      process.stdout.write(`${v}\t${t.marker.release}\t${t.marker.source}\t${t.dir}\n`);
    }
  },
};
