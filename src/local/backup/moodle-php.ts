// What backup and restore ask of Moodle itself, as PHP run with the cluster's config.php in a
// helper made from the runtime image (the same environment, secrets and config bundle as the
// cron container): the site's version and counts, the hold on the file trash cleanup, and the
// work after a restore (content back from trashdir, a check that every file has its content,
// caches purged, counts). Also the code's version, read from the image.
import type { ContainerSpec } from '../containers.ts';
import { runtimeContainer } from '../services.ts';
import { recordedWebBundle } from '../web-bundle.ts';
import type { RunningCluster } from './cluster.ts';
import type { SiteCounts } from './format.ts';

const BOOT = "define('CLI_SCRIPT', true); require '/var/www/moodle/config.php';";
const JSON_MARK = '@@MOODLE-HA-JSON@@';
const counts = `['users' => $DB->count_records('user', ['deleted' => 0]),
  'courses' => $DB->count_records_select('course', 'id <> ?', [SITEID]),
  'forumPosts' => $DB->count_records('forum_posts'),
  'files' => $DB->count_records_select('files', "filename <> '.'"),
  'fileBytes' => (int) $DB->get_field_sql("SELECT COALESCE(SUM(filesize), 0) FROM {files} WHERE filename <> '.'")]`;

export interface SiteInfo {
  readonly release: string;
  readonly version: string;
  readonly codehash: string | null;
  readonly site: SiteCounts;
}

/**
 * Holds the lock of Moodle's "file trash cleanup" scheduled task (through Moodle's own lock API,
 * under the name the task manager uses), so the cleanup cannot empty trashdir between the
 * database snapshot and the end of the moodledata copy; cron skips the task while the lock is
 * held and runs it at a later round. Waits up to 10 min if the cleanup runs right now. Prints the
 * site's version and counts with the mark once held; releases the lock when stdin closes (the
 * backup is done, or the moodle-ha process died: the lock never outlives it).
 */
const HOLD = `${BOOT}
$task = \\core\\task\\manager::get_canonical_class_name(\\core\\task\\file_trash_cleanup_task::class);
$lock = \\core\\lock\\lock_config::get_lock_factory('cron')->get_lock($task, 600);
if (!$lock) { fwrite(STDERR, "the lock of $task was not free within 600 s\\n"); exit(3); }
$info = ['release' => (string) $CFG->release, 'version' => (string) $CFG->version,
  'codehash' => isset($CFG->moodleha_codehash) ? (string) $CFG->moodleha_codehash : null, 'site' => ${counts}];
fwrite(STDOUT, '${JSON_MARK}' . json_encode($info) . "\\n");
stream_get_contents(STDIN);
$lock->release();
`;

export interface AfterRestore {
  /** Contents moved back from trashdir to filedir (their row is in the restored database). */
  readonly recovered: number;
  /** Contents a row needs that are in neither filedir nor trashdir, and a few of their hashes. */
  readonly missing: number;
  readonly missingSample: readonly string[];
  readonly site: SiteCounts;
}

const AFTER_RESTORE = `${BOOT}
$filedir = $CFG->filedir ?? $CFG->dataroot . '/filedir';
$trashdir = $CFG->trashdir ?? $CFG->dataroot . '/trashdir';
$pool = fn(string $h) => $filedir . '/' . substr($h, 0, 2) . '/' . substr($h, 2, 2) . '/' . $h;
$recovered = 0;
if (is_dir($trashdir)) {
  foreach (new RecursiveIteratorIterator(new RecursiveDirectoryIterator($trashdir, FilesystemIterator::SKIP_DOTS)) as $f) {
    $h = $f->getFilename();
    if (!preg_match('/^[0-9a-f]{40}$/', $h) || file_exists($pool($h)) || !$DB->record_exists('files', ['contenthash' => $h])) continue;
    if (sha1_file($f->getPathname()) !== $h) continue; // damaged: left in the trash, as Moodle's recover_file() does
    if (!is_dir(dirname($pool($h)))) mkdir(dirname($pool($h)), $CFG->directorypermissions, true);
    if (rename($f->getPathname(), $pool($h))) $recovered++;
  }
}
$missing = [];
$rs = $DB->get_recordset_sql("SELECT DISTINCT contenthash FROM {files} WHERE filename <> '.' AND contenthash <> ?", [sha1('')]);
foreach ($rs as $r) if (!is_readable($pool($r->contenthash))) $missing[] = $r->contenthash;
$rs->close();
// The restored database's cache revisions are those of the backup: new ones make every node drop
// what it cached since (its localcachedir included), and browsers fetch theme and JS again.
purge_all_caches();
fwrite(STDOUT, '${JSON_MARK}' . json_encode(['recovered' => $recovered, 'missing' => count($missing),
  'missingSample' => array_slice($missing, 0, 5), 'site' => ${counts}]) . "\\n");
`;

function phpHelper(c: RunningCluster, task: string, code: string, stdin = false): ContainerSpec {
  const base = runtimeContainer(c.spec, c.images, c.secrets, 'cron', 1, recordedWebBundle(c.spec));
  return { ...base, name: `${c.spec.name}-backup-${task}`, cmd: ['php', '-r', code], openStdin: stdin };
}

export function holdHelper(c: RunningCluster): ContainerSpec {
  return phpHelper(c, 'hold', HOLD, true);
}

export function afterRestoreHelper(c: RunningCluster): ContainerSpec {
  return phpHelper(c, 'settle', AFTER_RESTORE);
}

/** The code's version, recorded in the runtime image at build (images/runtime: code-version.php). */
export function codeVersionHelper(c: RunningCluster): ContainerSpec {
  return { ...phpHelper(c, 'code', ''), entrypoint: ['cat'], cmd: ['/opt/moodle-ha/code-version.json'], files: [] };
}

export interface CodeVersion {
  readonly release: string;
  readonly version: string;
  readonly codehash: string;
}

/** The JSON a PHP helper printed after its mark; throws with the helper's output when there is none. */
export function parseMarked<T>(stdout: string, what: string, stderr: string): T {
  const line = stdout.split('\n').find((l) => l.startsWith(JSON_MARK));
  if (!line) throw new Error(`${what}: no result; its output: ${(stdout + stderr).trim().slice(-1500)}`);
  return JSON.parse(line.slice(JSON_MARK.length)) as T;
}

export { JSON_MARK };
