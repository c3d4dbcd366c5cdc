// The files half of a backup: the moodledata volume as a tar stream, made and unpacked by a
// helper from the runtime image (as its uid 33, the owner of every file Moodle writes).
//
// Consistency with the database snapshot (T): the archive is made right after the dump, so it
// reflects a moment a little after T.
// - Files added after T are in the archive but in no row of the dump: harmless extras (content
//   nobody references; Moodle never reads it).
// - Files deleted after T still have their row in the dump, but their content may be gone from
//   filedir/. Moodle never deletes content at once: file_system_filedir::remove_file() moves it
//   to trashdir/, and only the daily "file trash cleanup" task (file_storage::cron() ->
//   file_system_filedir::empty_trash()) removes trashdir. So trashdir is in the archive, and the
//   backup holds that task's lock from before T until the archive is done (moodle-php.ts), so the
//   cleanup cannot run in between. On restore, content a restored row needs is moved back from
//   trashdir to filedir (as Moodle's own recover_file() does, but up front: with X-Accel-Redirect
//   nginx serves filedir directly and Moodle's lazy recovery never runs for a download).
// - Content is written before its row (file_storage adds to the pool, then inserts), so every
//   row in the dump has its content on disk by T.
// What can still go wrong: a moodledata change that is not a file-pool change and is made between
// T and the copy (e.g. a language pack installed then) is copied in its later state; a file being
// written during the copy may be caught half-written (Moodle writes pool files under a temporary
// name and renames, so that affects only such temporary extras). tar reports files that changed
// while read; they are listed as warnings.
import { RUNTIME_IMAGE } from '../../contract/image.ts';
import type { ContainerSpec } from '../containers.ts';
import type { RunningCluster } from './cluster.ts';
import { MOODLEDATA_EXCLUDED } from './format.ts';

const DIR = RUNTIME_IMAGE.sharedDataDir;

function runtimeHelper(c: RunningCluster, task: string, script: string, readOnly: boolean): ContainerSpec {
  return {
    name: `${c.spec.name}-backup-${task}`,
    cluster: c.spec.name,
    service: 'backup',
    image: c.images.runtime,
    entrypoint: ['/usr/bin/tini', '--'],
    cmd: ['bash', '-c', `set -euo pipefail\n${script}`],
    network: c.names.network,
    // A Binds entry: "volume:path[:ro]".
    volumes: { [c.names.volumes.moodledata]: readOnly ? `${DIR}:ro` : DIR },
  };
}

/**
 * tar of moodledata to stdout, without MOODLEDATA_EXCLUDED. Exit 1 from GNU tar means "some files
 * changed while being read" (Moodle kept working): the archive is complete and this is reported.
 */
export function archiveHelper(c: RunningCluster): ContainerSpec {
  const excludes = MOODLEDATA_EXCLUDED.map((e) => `--exclude=./${e.path}`).join(' ');
  return runtimeHelper(c, 'files', `cd ${DIR}\ntar --create --file=- --anchored ${excludes} .`, true);
}

/** Exit codes of the archive helper that mean a complete archive. */
export const ARCHIVE_OK_CODES: readonly number[] = [0, 1];

/**
 * Empties moodledata (caches and temporary files too: they belong to the replaced site) and
 * unpacks the archive (gzip) from stdin, keeping its modes.
 */
export function unpackHelper(c: RunningCluster): ContainerSpec {
  return runtimeHelper(c, 'unpack', `cd ${DIR}\nfind . -mindepth 1 -delete\ntar --extract --gzip --file=- --preserve-permissions --no-same-owner`, false);
}

/** Prints "empty" when moodledata holds no file at all (folders only), else the first file found. */
export function moodledataEmptyHelper(c: RunningCluster): ContainerSpec {
  return runtimeHelper(c, 'look', `cd ${DIR}\nf=$(find . -type f -print -quit)\necho "\${f:-empty}"`, true);
}
