// `backup`: the local cluster's database and moodledata at one point in time, while the site runs.
// Order: hold the file trash cleanup → dump (the snapshot is T) → moodledata archive → release →
// manifest. The folder is written under a hidden ".partial" name and renamed when complete, so an
// interrupted or failed backup never looks like a usable one (and is removed when it can be).
import { closeSync, createWriteStream, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createGzip } from 'node:zlib';
import type { Spec } from '../../spec/schema.ts';
import { UserError } from '../../util/errors.ts';
import type { Progress } from '../../util/progress.ts';
import { runningCluster } from './cluster.ts';
import { dumpHelper, snapshotTime } from './database.ts';
import { BACKUP_FORMAT, BACKUP_PARTS, backupFolderName, MANIFEST_FILE, MOODLEDATA_EXCLUDED, PARTIAL_SUFFIX, type BackupManifest } from './format.ts';
import { runHelper, startHelper, type Helper } from './helper.ts';
import { DigestTap } from './integrity.ts';
import { holdHelper, JSON_MARK, parseMarked, type SiteInfo } from './moodle-php.ts';
import { ARCHIVE_OK_CODES, archiveHelper } from './moodledata.ts';
import { byteCounter, mb } from './progress-bytes.ts';

export interface BackupOptions {
  /** Folder the backup folder is made in. */
  readonly outDir: string;
  readonly progress: Progress;
  readonly signal?: AbortSignal;
}

export interface BackupResult {
  readonly dir: string;
  readonly manifest: BackupManifest;
  readonly seconds: number;
  /** Files tar saw change while it read them (the site kept working). */
  readonly changedWhileRead: readonly string[];
}

export async function backup(spec: Spec, opts: BackupOptions): Promise<BackupResult> {
  const { progress, signal } = opts;
  const t0 = Date.now();
  const cluster = await runningCluster(spec, { needWeb: false });
  const outDir = resolve(opts.outDir);
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const name = backupFolderName(spec.name, new Date());
  const final = join(outDir, name);
  const partial = join(outDir, `.${name}${PARTIAL_SUFFIX}`);
  mkdirSync(partial, { mode: 0o700 });
  const file = (f: string) => createWriteStream(join(partial, f), { mode: 0o600, flags: 'wx' });
  let hold: Helper | undefined;
  try {
    const info = await progress.step("hold Moodle's file trash cleanup (so trashdir is complete until the copy ends)", async () => {
      hold = await startHelper(holdHelper(cluster), { stdin: true, signal });
      return readHeld(hold);
    });
    progress.info(
      `Moodle ${info.release}: ${info.site.users} users, ${info.site.courses} courses, ${info.site.forumPosts} forum posts, ${info.site.files} files (${mb(info.site.fileBytes)})`,
    );

    const db = new DigestTap();
    const dump = await progress.step(`database dump (mariadb-dump --single-transaction through ${cluster.names.dbWriter})`, () =>
      byteCounter(progress, 'database dump: written', db, () =>
        runHelper(dumpHelper(cluster), { signal, sink: [createGzip({ level: 6 }), db, file(BACKUP_PARTS.database)] }),
      ),
    );
    check(dump.code === 0, signal, `mariadb-dump failed (exit ${dump.code}): ${dump.stderr.trim().slice(-1500)}`);
    const pointInTime = snapshotTime(dump.stderr);
    if (!pointInTime) throw new Error(`the dump helper did not print the snapshot time; its stderr: ${dump.stderr.slice(-500)}`);
    progress.info(`snapshot time T = ${pointInTime}; ${mb(db.bytes)} compressed`);

    const files = new DigestTap();
    const tar = await progress.step(`moodledata archive (without ${MOODLEDATA_EXCLUDED.map((e) => e.path).join(', ')})`, () =>
      byteCounter(progress, 'moodledata archive: written', files, () =>
        runHelper(archiveHelper(cluster), { signal, sink: [createGzip({ level: 1 }), files, file(BACKUP_PARTS.moodledata)] }),
      ),
    );
    check(ARCHIVE_OK_CODES.includes(tar.code), signal, `the moodledata archive failed (tar exit ${tar.code}): ${tar.stderr.trim().slice(-1500)}`);
    const changedWhileRead = tar.stderr.split('\n').filter((l) => /file changed as we read it|File removed before we read it/.test(l));
    await release(hold);
    hold = undefined;

    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      cluster: spec.name,
      profile: cluster.profile,
      pointInTime,
      finishedAt: new Date().toISOString(),
      moodle: { release: info.release, version: info.version, codehash: info.codehash },
      site: info.site,
      parts: { database: db.info(BACKUP_PARTS.database), moodledata: files.info(BACKUP_PARTS.moodledata) },
      excluded: MOODLEDATA_EXCLUDED.map((e) => e.path),
    };
    writeDurably(join(partial, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    check(true, signal, '');
    renameSync(partial, final);
    return { dir: final, manifest, seconds: (Date.now() - t0) / 1000, changedWhileRead };
  } catch (e) {
    if (hold) await hold.remove().catch(() => undefined);
    rmSync(partial, { recursive: true, force: true });
    if (signal?.aborted) throw new UserError(`backup interrupted; its unfinished folder ${partial} was removed, and the site was not changed`);
    throw e;
  }
}

function check(ok: boolean, signal: AbortSignal | undefined, message: string): void {
  if (signal?.aborted) throw new UserError('interrupted');
  if (!ok) throw new UserError(message);
}

/** Waits for the hold helper's line: the lock is held, with the site's version and counts. */
export function readHeld(hold: Helper): Promise<SiteInfo> {
  return new Promise((resolvePromise, reject) => {
    let text = '';
    const done = () => {
      hold.output.off('data', onData);
      hold.output.off('end', onEnd);
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      // Waits for the marked line, whole; lines before it (Moodle's debugging output) are skipped.
      const lines = text.slice(0, text.lastIndexOf('\n') + 1);
      if (!lines.split('\n').some((l) => l.startsWith(JSON_MARK))) return;
      done();
      try {
        resolvePromise(parseMarked<SiteInfo>(lines, 'reading the site and holding its file trash cleanup', hold.stderr()));
      } catch (e) {
        reject(e);
      }
    };
    const onEnd = () => {
      done();
      void hold
        .exited()
        .then((code) =>
          reject(new UserError(`could not read the site or hold its file trash cleanup (exit ${code}): ${(text + hold.stderr()).trim().slice(-1500)}`)),
        );
    };
    hold.output.on('data', onData);
    hold.output.on('end', onEnd);
    hold.output.on('error', reject);
  });
}

/** Closes the hold helper's stdin (it releases the lock and exits) and removes it. */
async function release(hold: Helper | undefined): Promise<void> {
  if (!hold) return;
  hold.input?.end();
  hold.output.resume();
  await Promise.race([hold.exited(), new Promise((r) => setTimeout(r, 15_000))]);
  await hold.remove();
}

function writeDurably(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600, flag: 'wx' });
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
