// Test data for the load run, made by Moodle's own generator (admin/tool/generator) inside a web
// node of the cluster, and found again by a PHP query there: the generated users, the course, its
// forum with discussions, a file of a resource. Idempotent: an existing course is reused. What was
// found is kept in a small JSON state in the cluster's state folder. The cluster is reached through
// its runtime (exec in a web node), whatever runs it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterRuntime } from '../../runtime/cluster.ts';
import { UserError } from '../../util/errors.ts';
import { generatePassword } from '../../util/password.ts';
import { clusterStateDir } from '../../util/paths.ts';

/** Sizes of admin/tool/generator's courses used here, and how many users each enrols. */
export const COURSE_SIZES = { S: 100, M: 1000 } as const;
export type CourseSize = keyof typeof COURSE_SIZES;

const MOODLE = '/var/www/moodle';
/** Generated resource files are capped (the M course would otherwise make 5 × 16 MB files). */
const FILE_SIZE_LIMIT = 1024 * 1024;

export interface LoadFixture {
  readonly cluster: string;
  readonly course: { readonly id: number; readonly shortname: string; readonly size: CourseSize };
  readonly forum: { readonly id: number; readonly cmid: number };
  /** Discussions of the forum, each with its first post (the one the journey replies to). */
  readonly discussions: ReadonlyArray<{ readonly id: number; readonly firstPostId: number }>;
  /** A resource's file: its pluginfile.php path (relative to wwwroot) and size. */
  readonly file: { readonly path: string; readonly bytes: number };
  /** Generated users enrolled in the course (tool_generator_000001, ...). */
  readonly usernames: readonly string[];
  /** True when this call ran the generator; false when the course was there already. */
  readonly created: boolean;
  readonly preparedAt: string;
}

export function courseSizeFor(users: number): CourseSize {
  return users <= COURSE_SIZES.S ? 'S' : 'M';
}

export function shortnameFor(size: CourseSize): string {
  return `moodleha-load-${size}`;
}

export function fixtureStateFile(cluster: string): string {
  return join(clusterStateDir(cluster), 'load', 'fixture.json');
}

/** A running web node of the cluster (the first one); throws a UserError when none runs. */
export async function webNode(runtime: ClusterRuntime): Promise<string> {
  await runtime.requireEngine();
  const first = (await runtime.webNodes())[0];
  if (first === undefined) throw new UserError(`cluster "${runtime.loaded.spec.name}" has no running web node; start it with "moodle-ha up"`);
  return first;
}

/** Runs PHP with Moodle's config loaded in a web node; returns the JSON it printed between the markers `out()` writes. */
export async function moodlePhp<T>(runtime: ClusterRuntime, node: string, body: string, input: unknown = {}): Promise<T> {
  const payload = Buffer.from(JSON.stringify(input)).toString('base64');
  const code = `define('CLI_SCRIPT', true); require '${MOODLE}/config.php'; $in = json_decode(base64_decode('${payload}'), true); ${body}`;
  const r = await runtime.exec(node, ['php', '-r', code]);
  const m = /@@JSON@@([\s\S]*)@@END@@/.exec(r.output);
  if (r.code !== 0 || !m) throw new Error(`PHP in ${node} failed (exit ${r.code}): ${r.output.trim().slice(-1500)}`);
  return JSON.parse(m[1]!) as T;
}

const out = (expr: string) => `echo '@@JSON@@', json_encode(${expr}), '@@END@@';`;

/** The generated users' password ($CFG->tool_generator_users_password), set first when missing. */
export async function generatorPassword(runtime: ClusterRuntime, node: string): Promise<string> {
  const cfg = `${MOODLE}/admin/cli/cfg.php`;
  const r = await runtime.exec(node, ['php', cfg, '--name=tool_generator_users_password']);
  if (r.code === 0 && r.output.trim()) return r.output.trim();
  const password = generatePassword();
  const set = await runtime.exec(node, ['php', cfg, '--name=tool_generator_users_password', `--set=${password}`]);
  if (set.code !== 0) throw new Error(`cannot set tool_generator_users_password: ${set.output.trim()}`);
  return password;
}

interface Discovered {
  course: { id: number } | null;
  forum?: { id: number; cmid: number } | null;
  discussions?: Array<{ id: number; firstPostId: number }>;
  file?: { contextid: number; filepath: string; filename: string; filesize: number; revision: number } | null;
  usernames?: string[];
  passwordsReset?: number;
}

// Everything the journey needs, in one query round. Users whose password is not the generator's
// (made before it was set) get it, so every enrolled generated user can log in.
const DISCOVER = `
$course = $DB->get_record('course', ['shortname' => $in['shortname']]);
if (!$course) { ${out("['course' => null]")} exit(0); }
$forum = $DB->get_record_sql("SELECT f.id, cm.id AS cmid FROM {forum} f JOIN {course_modules} cm ON cm.instance = f.id
  JOIN {modules} m ON m.id = cm.module AND m.name = 'forum' WHERE f.course = ? AND f.type = 'general' AND cm.deletioninprogress = 0 ORDER BY f.id", [$course->id], IGNORE_MULTIPLE);
$discussions = [];
if ($forum) foreach ($DB->get_records('forum_discussions', ['forum' => $forum->id], 'id', 'id, firstpost') as $d) $discussions[] = ['id' => (int)$d->id, 'firstPostId' => (int)$d->firstpost];
$file = $DB->get_record_sql("SELECT f.contextid, f.filepath, f.filename, f.filesize, r.revision FROM {files} f
  JOIN {context} x ON x.id = f.contextid AND x.contextlevel = 70 JOIN {course_modules} cm ON cm.id = x.instanceid
  JOIN {modules} m ON m.id = cm.module AND m.name = 'resource' JOIN {resource} r ON r.id = cm.instance
  WHERE cm.course = ? AND f.component = 'mod_resource' AND f.filearea = 'content' AND f.filename <> '.' AND f.filesize >= 1024
  ORDER BY f.filesize, f.id", [$course->id], IGNORE_MULTIPLE);
$users = $DB->get_records_sql("SELECT DISTINCT u.id, u.username, u.password, u.auth FROM {user} u JOIN {user_enrolments} ue ON ue.userid = u.id
  JOIN {enrol} e ON e.id = ue.enrolid AND e.courseid = ? WHERE " . $DB->sql_like('u.username', '?') . " AND u.deleted = 0 AND u.suspended = 0
  ORDER BY u.username", [$course->id, $DB->sql_like_escape('tool_generator_') . '%']);
$reset = 0;
$pw = $CFG->tool_generator_users_password ?? '';
foreach ($users as $u) {
  if ($pw !== '' && !validate_internal_user_password($u, $pw)) { update_internal_user_password($u, $pw); $reset++; }
  if ($reset === 0) break; // the first one matches: the generator made them all with this password
}
${out(`['course' => ['id' => (int)$course->id], 'forum' => $forum ? ['id' => (int)$forum->id, 'cmid' => (int)$forum->cmid] : null,
  'discussions' => $discussions, 'file' => $file ? ['contextid' => (int)$file->contextid, 'filepath' => $file->filepath, 'filename' => $file->filename,
  'filesize' => (int)$file->filesize, 'revision' => (int)$file->revision] : null,
  'usernames' => array_values(array_map(fn($u) => $u->username, $users)), 'passwordsReset' => $reset]`)}
`;

export interface PrepareOptions {
  /** Users the run needs: decides the course size (S: 100 users, M: 1000). */
  readonly users: number;
  readonly log?: (line: string) => void;
}

/** Makes (or finds) the test course and returns what the journeys need, with the users' password. */
export async function prepareFixture(runtime: ClusterRuntime, opts: PrepareOptions): Promise<{ fixture: LoadFixture; password: string }> {
  const log = opts.log ?? (() => {});
  const cluster = runtime.loaded.spec.name;
  const node = await webNode(runtime);
  const size = courseSizeFor(opts.users);
  const shortname = shortnameFor(size);
  const password = await generatorPassword(runtime, node);
  let found = await moodlePhp<Discovered>(runtime, node, DISCOVER, { shortname });
  let created = false;
  if (!found.course) {
    log(`creating the test course ${shortname} (size ${size}, ${COURSE_SIZES[size]} users) with admin/tool/generator in ${node}`);
    const t0 = Date.now();
    const r = await runtime.exec(node, [
      'php',
      `${MOODLE}/admin/tool/generator/cli/maketestcourse.php`,
      `--shortname=${shortname}`,
      `--fullname=moodle-ha load test (${size})`,
      `--size=${size}`,
      `--filesizelimit=${FILE_SIZE_LIMIT}`,
      '--bypasscheck',
      '--quiet',
    ]);
    found = await moodlePhp<Discovered>(runtime, node, DISCOVER, { shortname });
    // Another run may have made it at the same time: then the course is there and that is fine.
    if (!found.course)
      throw new UserError(`the Moodle generator could not make the test course ${shortname} (exit ${r.code}):`, r.output.trim().split('\n').slice(-10));
    created = r.code === 0;
    log(`test course ${shortname} made in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  const fixture = toFixture(cluster, shortname, size, found, created);
  if (found.passwordsReset) log(`${found.passwordsReset} generated user(s) had another password; set to the generator's`);
  saveFixture(fixture);
  return { fixture, password };
}

export function toFixture(cluster: string, shortname: string, size: CourseSize, d: Discovered, created: boolean): LoadFixture {
  const problems: string[] = [];
  if (!d.forum) problems.push('no forum in the course');
  if (!d.discussions?.length) problems.push('no forum discussion in the course');
  if (!d.file) problems.push('no resource file of 1 KiB or more in the course');
  if (!d.usernames?.length) problems.push('no generated user (tool_generator_*) enrolled in the course');
  if (problems.length || !d.course)
    throw new UserError(`the test course ${shortname} is not usable; delete it in Moodle and run "moodle-ha load --prepare" again:`, problems);
  const f = d.file!;
  const path = `/pluginfile.php/${f.contextid}/mod_resource/content/${f.revision}${f.filepath}${f.filename.split('/').map(encodeURIComponent).join('/')}`;
  return {
    cluster,
    course: { id: d.course.id, shortname, size },
    forum: d.forum!,
    discussions: d.discussions!,
    file: { path, bytes: f.filesize },
    usernames: d.usernames!,
    created,
    preparedAt: new Date().toISOString(),
  };
}

export function saveFixture(f: LoadFixture): string {
  const file = fixtureStateFile(f.cluster);
  mkdirSync(join(clusterStateDir(f.cluster), 'load'), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(f, null, 2)}\n`, { mode: 0o600 });
  return file;
}

export interface PostCheck {
  readonly checked: number;
  readonly found: number;
  /** Ids with no row in forum_posts (or marked deleted). */
  readonly missing: number[];
}

const VERIFY = `$ids = [];
foreach ($DB->get_records_list('forum_posts', 'id', $in['ids'], '', 'id, deleted') as $p) if ((int)$p->deleted === 0) $ids[] = (int)$p->id;
${out('$ids')}`;

/** Checks that each forum post id exists (and is not deleted) in the cluster's database. */
export async function verifyPosts(runtime: ClusterRuntime, postIds: readonly number[]): Promise<PostCheck> {
  const ids = [...new Set(postIds)];
  if (ids.length === 0) return { checked: 0, found: 0, missing: [] };
  const node = await webNode(runtime);
  const present = new Set<number>();
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    const rows = await moodlePhp<number[]>(runtime, node, VERIFY, { ids: chunk });
    for (const id of rows) present.add(id);
  }
  const missing = ids.filter((id) => !present.has(id));
  return { checked: ids.length, found: ids.length - missing.length, missing };
}
