// What a local backup is on disk: a folder holding the database dump, the moodledata archive and
// a manifest (written last) that names both with their sizes and SHA-256. One source for the
// names, the format version, what moodledata leaves out, and how a manifest is read and checked.
import { readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { PROFILES } from '../../spec/schema.ts';
import { UserError } from '../../util/errors.ts';

/** Format of the folder and its manifest. A reader refuses any other. */
export const BACKUP_FORMAT = 'moodle-ha.backup/1';
export const MANIFEST_FILE = 'manifest.json';
/** The parts of a backup, by file name. */
export const BACKUP_PARTS = { database: 'database.sql.gz', moodledata: 'moodledata.tar.gz' } as const;
export type BackupPart = keyof typeof BACKUP_PARTS;
/** A backup being written lives under a hidden name with this suffix until it is complete. */
export const PARTIAL_SUFFIX = '.partial';

/**
 * Top-level entries of moodledata a backup leaves out, and why. Everything else is kept,
 * trashdir included (see moodledata.ts for why that matters).
 */
export const MOODLEDATA_EXCLUDED: ReadonlyArray<{ readonly path: string; readonly why: string }> = [
  { path: 'cache', why: 'cachedir: file caches Moodle rebuilds' },
  { path: 'localcache', why: "per-node caches Moodle rebuilds (here on each node's own disk anyway)" },
  { path: 'temp', why: 'tempdir: temporary files' },
  { path: 'backuptemp', why: 'backuptempdir: temporary files of course backups in progress' },
  { path: 'sessions', why: 'file sessions (unused: sessions are in Redis)' },
  { path: 'lock', why: 'file locks (unused: locks are in the database)' },
  { path: 'muc', why: "MUC's configuration, which holds the Redis password; migrate writes it again" },
  { path: 'climaintenance.html', why: 'the CLI maintenance switch of the moment, not site data' },
];

const part = z
  .object({
    file: z.string().min(1),
    bytes: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();

const count = z.number().int().nonnegative();

export const manifestSchema = z
  .object({
    format: z.literal(BACKUP_FORMAT),
    /** The cluster the backup was taken from. */
    cluster: z.string().min(1),
    profile: z.enum(PROFILES),
    /** T: when the database snapshot was taken (the transaction of mariadb-dump --single-transaction began). */
    pointInTime: z.iso.datetime(),
    /** When the moodledata copy ended (it began right after T). */
    finishedAt: z.iso.datetime(),
    moodle: z
      .object({
        /** $CFG->release, e.g. "4.5.6 (Build: 20250811)". */
        release: z.string(),
        /** $CFG->version of the database, e.g. "2024100706.00". */
        version: z.string().regex(/^\d+(\.\d+)?$/),
        /** The code hash migrate recorded (config moodleha_codehash), or null if there is none. */
        codehash: z.string().nullable(),
      })
      .strict(),
    /** Counts read just before T (a busy site may have a few more rows in the dump). */
    site: z.object({ users: count, courses: count, forumPosts: count, files: count, fileBytes: count }).strict(),
    parts: z.object({ database: part, moodledata: part }).strict(),
    /** moodledata entries left out (MOODLEDATA_EXCLUDED at the time of the backup). */
    excluded: z.array(z.string()),
  })
  .strict();

export type BackupManifest = z.infer<typeof manifestSchema>;
export type SiteCounts = BackupManifest['site'];
export type PartInfo = BackupManifest['parts']['database'];

/** The folder name of a backup of `cluster` at `at`: "<cluster>-20261107T093015Z". */
export function backupFolderName(cluster: string, at: Date): string {
  return `${cluster}-${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}`;
}

/** Reads and validates a backup folder's manifest; a UserError says what is wrong and that nothing changed. */
export function readManifest(dir: string): BackupManifest {
  const refuse = (why: string) => new UserError(`${dir} is not a usable backup: ${why}. Nothing was changed.`);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw refuse('there is no such folder');
  }
  if (!isDir) throw refuse('it is not a folder (give the backup folder that holds manifest.json)');
  if (basename(dir).endsWith(PARTIAL_SUFFIX))
    throw refuse(`its name ends in ${PARTIAL_SUFFIX}: it is a backup that never finished (interrupted or failed); use a complete one`);
  let text: string;
  try {
    text = readFileSync(join(dir, MANIFEST_FILE), 'utf8');
  } catch {
    throw refuse(`it has no ${MANIFEST_FILE} (a "moodle-ha backup" folder has one, written last)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw refuse(`${MANIFEST_FILE} is not valid JSON (${(e as Error).message})`);
  }
  const format = (raw as { format?: unknown })?.format;
  if (format !== BACKUP_FORMAT)
    throw refuse(`its format is ${JSON.stringify(format)}, and this moodle-ha reads ${BACKUP_FORMAT} (use the moodle-ha version that wrote it)`);
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw refuse(
      `${MANIFEST_FILE} does not match ${BACKUP_FORMAT}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`,
    );
  }
  for (const [name, file] of Object.entries(BACKUP_PARTS)) {
    if (parsed.data.parts[name as BackupPart].file !== file)
      throw refuse(`${MANIFEST_FILE} names ${parsed.data.parts[name as BackupPart].file} as the ${name} part, expected ${file}`);
  }
  return parsed.data;
}

/**
 * Compares two Moodle version numbers ("2024100706.00"): negative when a < b, 0 when equal,
 * positive when a > b. Compared as whole part, then fraction, so no precision is lost.
 */
export function compareMoodleVersions(a: string, b: string): number {
  const split = (v: string) => {
    const [whole, frac = ''] = v.split('.');
    return [BigInt(whole!), frac.padEnd(8, '0')] as const;
  };
  const [aw, af] = split(a);
  const [bw, bf] = split(b);
  if (aw !== bw) return aw < bw ? -1 : 1;
  return af === bf ? 0 : af < bf ? -1 : 1;
}
