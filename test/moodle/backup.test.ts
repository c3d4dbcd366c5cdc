// `moodle-ha backup` and `moodle-ha restore` on a real dev cluster brought up with the CLI (its own
// name and ports): data made by Moodle (its generator, an upload, users, posts), a backup, changes
// after it, a restore; then every user, course, post and file (row and content) is as at backup
// time and the later changes are gone. Bad inputs change nothing.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { createGunzip, createGzip, gunzipSync, gzipSync } from 'node:zlib';
import { extract, pack } from 'tar-stream';
import { LABELS } from '../../src/contract/image.ts';
import { docker } from '../../src/local/engine/docker.ts';
import { BACKUP_PARTS, MANIFEST_FILE, type BackupManifest } from '../../src/local/backup/format.ts';
import { exec } from '../../src/local/containers.ts';
import { clusterNames } from '../../src/local/names.ts';
import { readyz } from '../../src/local/readiness.ts';
import { secretFile } from '../../src/local/secrets.ts';
import { cli } from '../support/cli.ts';
import { MoodleClient } from '../support/moodle-client.ts';
import { TEST_CLUSTERS } from '../support/test-clusters.ts';

const NAME = TEST_CLUSTERS.backup;
const HTTP = 18280;
const dir = mkdtempSync(join(tmpdir(), 'moodle-ha-backup-'));
const specFile = join(dir, 'moodle-ha.yaml');
writeFileSync(specFile, `name: ${NAME}\nports:\n  http: ${HTTP}\n  stats: 18484\n  mail: 18486\n`);
const out = join(dir, 'backups');
const base = `http://localhost:${HTTP}`;
const n = clusterNames(NAME);
const WEB = n.container('web', 1);
const ALICE = { username: 'mhb_alice', password: 'Alice-pw-2026!' };

/** Runs PHP with Moodle's config in the web node; returns what it printed as JSON. */
async function php<T>(code: string): Promise<T> {
  const r = await exec(WEB, ['php', '-r', `define('CLI_SCRIPT', true); require '/var/www/moodle/config.php'; ${code}`]);
  const m = /@@J@@([\s\S]*)@@E@@/.exec(r.output);
  assert.ok(r.code === 0 && m, `PHP failed (exit ${r.code}): ${r.output.slice(-2000)}`);
  return JSON.parse(m[1]!) as T;
}

interface SiteState {
  users: Array<Record<string, string>>;
  courses: Array<Record<string, string>>;
  posts: Array<Record<string, string>>;
  files: Array<Record<string, string>>;
  /** contenthash -> SHA-1 of the content in filedir (null: not there). What nginx serves. */
  contents: Record<string, string | null>;
}

// Fields that only people change (not cron, not logins), so they are the data a restore must bring back.
const STATE = `
$rows = fn($sql) => array_values(array_map(fn($r) => (array) $r, $DB->get_records_sql($sql)));
$files = $rows("SELECT id, contenthash, pathnamehash, filesize, component, filearea, itemid, filename FROM {files} WHERE filename <> '.' ORDER BY id");
$contents = [];
foreach ($files as $f) {
  $h = $f['contenthash'];
  $p = $CFG->dataroot . '/filedir/' . substr($h, 0, 2) . '/' . substr($h, 2, 2) . '/' . $h;
  $contents[$h] = $h === sha1('') ? sha1('') : (is_readable($p) ? sha1_file($p) : null);
}
echo '@@J@@', json_encode([
  'users' => $rows('SELECT id, username, password, email, firstname, lastname, deleted, auth FROM {user} ORDER BY id'),
  'courses' => $rows('SELECT id, category, shortname, fullname FROM {course} ORDER BY id'),
  'posts' => $rows('SELECT id, discussion, parent, userid, subject, message FROM {forum_posts} ORDER BY id'),
  'files' => $files, 'contents' => $contents]), '@@E@@';`;

const siteState = () => php<SiteState>(STATE);
const restoreSeconds = (stdout: string) => Number(/^restore time: (\d+(?:\.\d+)?) s$/m.exec(stdout)?.[1]);

/** The folder the backup command printed. */
function backupDir(stdout: string): string {
  const m = /written in [\d.]+ s: (\S+)/.exec(stdout);
  assert.ok(m, `backup printed no folder:\n${stdout}`);
  return m[1]!;
}

/** A copy of a backup, its parts rewritten by `edit`, the manifest made to match (sizes, SHA-256). */
async function tamperedCopy(
  src: string,
  edit: { manifest?: (m: BackupManifest) => void; archive?: (entry: { name: string }) => { name: string } | 'drop' | undefined; database?: Buffer },
): Promise<string> {
  const copy = mkdtempSync(join(dir, 'copy-'));
  cpSync(src, copy, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(copy, MANIFEST_FILE), 'utf8')) as BackupManifest;
  if (edit.database) {
    writeFileSync(join(copy, BACKUP_PARTS.database), edit.database);
    manifest.parts.database = { file: BACKUP_PARTS.database, bytes: edit.database.length, sha256: createHash('sha256').update(edit.database).digest('hex') };
  }
  if (edit.archive) {
    const file = join(copy, BACKUP_PARTS.moodledata);
    const ex = extract();
    const pk = pack();
    ex.on('entry', (header, body, next) => {
      const change = edit.archive!({ name: header.name });
      if (change === 'drop') {
        body.resume();
        body.on('end', next);
        return;
      }
      body.pipe(pk.entry({ ...header, name: change?.name ?? header.name }, next));
    });
    ex.on('finish', () => pk.finalize());
    const tmp = `${file}.new`;
    await Promise.all([pipeline(createReadStream(file), createGunzip(), ex), pipeline(pk, createGzip(), createWriteStream(tmp))]);
    cpSync(tmp, file);
    const bytes = readFileSync(file);
    manifest.parts.moodledata = { file: BACKUP_PARTS.moodledata, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
  edit.manifest?.(manifest);
  writeFileSync(join(copy, MANIFEST_FILE), JSON.stringify(manifest));
  return copy;
}

describe('backup and restore with real Moodle', { timeout: 3_600_000 }, () => {
  let adminPassword = '';
  let backup = '';
  let atBackup: SiteState;
  const alice = new MoodleClient(base);
  let uploaded = { hash: '', fileId: 0 };
  let resource = { path: '', hash: '' };

  before(async () => {
    await cli(['down', '--volumes', '--spec', specFile]);
    const r = await cli(['up', '--spec', specFile], { echo: true, timeoutMs: 1_500_000 });
    assert.equal(r.code, 0, `up failed:\n${r.stderr.slice(-4000)}`);
    adminPassword = readFileSync(secretFile(NAME, 'admin-password'), 'utf8').trim();
  });

  after(async () => {
    if (process.env.MOODLE_HA_KEEP_TEST_CLUSTER !== '1') await cli(['down', '--volumes', '--spec', specFile]);
  });

  test('make a site: a generated course (users, forum posts, files), a user with a session, an upload', async () => {
    const cfg = await exec(WEB, ['php', '/var/www/moodle/admin/cli/cfg.php', '--name=tool_generator_users_password', '--set=Gen-pw-2026!']);
    assert.equal(cfg.code, 0, cfg.output);
    const gen = await exec(WEB, [
      'php',
      '/var/www/moodle/admin/tool/generator/cli/maketestcourse.php',
      '--shortname=mhbackup-s',
      '--fullname=Backup test',
      '--size=S',
      '--filesizelimit=262144',
      '--bypasscheck',
      '--quiet',
    ]);
    assert.equal(gen.code, 0, gen.output.slice(-2000));
    await php(`$u = create_user_record('${ALICE.username}', '${ALICE.password}'); echo '@@J@@', json_encode($u->id), '@@E@@';`);
    assert.ok(MoodleClient.loggedIn(await alice.login(ALICE.username, ALICE.password)), 'alice logs in before the backup');

    const admin = new MoodleClient(base);
    assert.ok(MoodleClient.loggedIn(await admin.login('admin', adminPassword)));
    const page = (await admin.get('/user/files.php')).body;
    const sesskey = MoodleClient.sesskey(page)!;
    const itemid = /"itemid":(\d+)/.exec(page)?.[1] ?? /name="files_filemanager" value="(\d+)"/.exec(page)?.[1];
    const repo = await php<string>(
      `echo '@@J@@', json_encode($DB->get_field_sql("SELECT i.id FROM {repository_instances} i JOIN {repository} r ON r.id = i.typeid WHERE r.type = 'upload'")), '@@E@@';`,
    );
    const content = Buffer.from(`backup probe ${Date.now()} ${Math.random()}\n`);
    const up = await admin.postMultipart(
      '/repository/repository_ajax.php?action=upload',
      { sesskey, repo_id: String(repo), itemid: itemid!, ctx_id: '1', savepath: '/', title: 'backup-probe.txt', author: 'test', license: 'allrightsreserved' },
      { field: 'repo_upload_file', name: 'backup-probe.txt', content },
    );
    assert.equal(up.status, 200, up.body.slice(0, 300));
    const hash = createHash('sha1').update(content).digest('hex');
    uploaded = {
      hash,
      fileId: await php<number>(
        `echo '@@J@@', json_encode((int) $DB->get_field('files', 'id', ['contenthash' => '${hash}', 'filename' => 'backup-probe.txt'])), '@@E@@';`,
      ),
    };
    assert.ok(uploaded.fileId > 0, 'the upload has a file row');

    // A resource file of the generated course, to download through the load balancer later.
    resource = await php(`$f = $DB->get_record_sql("SELECT f.contextid, f.filepath, f.filename, f.contenthash, r.revision FROM {files} f
      JOIN {context} x ON x.id = f.contextid AND x.contextlevel = 70 JOIN {course_modules} cm ON cm.id = x.instanceid
      JOIN {modules} m ON m.id = cm.module AND m.name = 'resource' JOIN {resource} r ON r.id = cm.instance
      WHERE f.component = 'mod_resource' AND f.filearea = 'content' AND f.filename <> '.' ORDER BY f.id", [], IGNORE_MULTIPLE);
      echo '@@J@@', json_encode(['path' => "/pluginfile.php/$f->contextid/mod_resource/content/$f->revision$f->filepath" . rawurlencode($f->filename), 'hash' => $f->contenthash]), '@@E@@';`);

    atBackup = await siteState();
    assert.ok(atBackup.users.length >= 100, `the generator made users (${atBackup.users.length})`);
    assert.ok(atBackup.posts.length >= 20, `the generator made forum posts (${atBackup.posts.length})`);
    assert.ok(atBackup.files.length >= 60, `the generator made files (${atBackup.files.length})`);
    assert.ok(
      Object.values(atBackup.contents).every((c) => c !== null),
      'every file has its content before the backup',
    );
  });

  test('backup: a complete, private folder with a manifest that matches its parts', async () => {
    const r = await cli(['backup', '--out', out, '--spec', specFile], { echo: true, timeoutMs: 900_000 });
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    backup = backupDir(r.stdout);
    assert.equal(statSync(backup).mode & 0o777, 0o700);
    for (const f of readdirSync(backup)) assert.equal(statSync(join(backup, f)).mode & 0o777, 0o600, `${f} is private`);
    assert.deepEqual(readdirSync(out), [backup.split('/').pop()], 'only the finished folder is left (no .partial)');
    const m = JSON.parse(readFileSync(join(backup, MANIFEST_FILE), 'utf8')) as BackupManifest;
    assert.equal(m.cluster, NAME);
    assert.equal(m.profile, 'dev');
    assert.match(m.moodle.release, /^4\.5\.6/);
    assert.match(m.moodle.codehash ?? '', /^[0-9a-f]{64}$/);
    assert.equal(m.site.users, atBackup.users.filter((u) => u.deleted === '0').length);
    for (const part of Object.values(m.parts)) {
      const bytes = readFileSync(join(backup, part.file));
      assert.equal(bytes.length, part.bytes);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), part.sha256);
    }
    assert.ok(Date.parse(m.pointInTime) <= Date.parse(m.finishedAt));
    // No secret of the cluster is in it: not in the dump, not in the archive (muc/config.php holds the Redis password).
    const plain = [BACKUP_PARTS.database, BACKUP_PARTS.moodledata].map((f) => gunzipSync(readFileSync(join(backup, f))).toString('latin1')).join('');
    for (const s of ['db-password', 'redis-password', 'admin-password'] as const) {
      assert.ok(!plain.includes(readFileSync(secretFile(NAME, s), 'utf8').trim()), `the ${s} is not in the backup`);
    }
    const names = await archiveNames(join(backup, BACKUP_PARTS.moodledata));
    assert.ok(
      names.some((f) => f.startsWith('./filedir/')),
      'filedir is in the archive',
    );
    assert.ok(names.includes('./trashdir/'), 'trashdir is in the archive');
    const top = new Set(names.map((f) => f.split('/')[1]));
    for (const left of m.excluded) assert.ok(!top.has(left), `${left} is left out`);
    const exec1 = await exec(WEB, ['ls', '/var/www/moodledata']);
    assert.match(exec1.output, /\bmuc\b/, 'muc exists in the live moodledata (so leaving it out is tested)');
  });

  test('restore: every user, course, post and file is back as at backup time; later changes are gone', async () => {
    // Changes after the backup: a user, a post and a file deleted; a user, a post and a file added.
    const victimPost = atBackup.posts.find((p) => p.parent !== '0')!;
    await php(`require_once($CFG->dirroot . '/user/lib.php');
      delete_user($DB->get_record('user', ['username' => '${ALICE.username}']));
      $DB->delete_records('forum_posts', ['id' => ${victimPost.id}]);
      get_file_storage()->get_file_by_id(${uploaded.fileId})->delete();
      $bob = create_user_record('mhb_bob', 'Bob-pw-2026!');
      $p = $DB->get_record('forum_posts', ['id' => ${atBackup.posts[0]!.id}]); unset($p->id); $p->subject = 'added after the backup';
      $newpost = $DB->insert_record('forum_posts', $p);
      $f = get_file_storage()->create_file_from_string(['contextid' => context_user::instance($bob->id)->id, 'component' => 'user', 'filearea' => 'private', 'itemid' => 0, 'filepath' => '/', 'filename' => 'later.txt'], 'added after the backup ' . random_string(20));
      echo '@@J@@', json_encode([$bob->id, $newpost, $f->get_id()]), '@@E@@';`);
    const changed = await siteState();
    assert.notDeepEqual(changed.users, atBackup.users);
    assert.equal(changed.contents[uploaded.hash] ?? null, null, 'the deleted upload left filedir (Moodle moved it to trashdir)');

    const r = await cli(['restore', backup, '--yes', '--spec', specFile], { echo: true, timeoutMs: 900_000 });
    assert.equal(r.code, 0, r.stderr.slice(-4000));
    const seconds = restoreSeconds(r.stdout);
    assert.ok(Number.isFinite(seconds) && seconds > 0, `restore time printed as a number: ${r.stdout}`);
    assert.match(
      r.stdout,
      new RegExp(
        `restored: +${atBackup.users.filter((u) => u.deleted === '0').length} users, 1 courses, ${atBackup.posts.length} forum posts, ${atBackup.files.length} files`,
      ),
    );

    const now = await siteState();
    assert.deepEqual(now.users, atBackup.users, 'users');
    assert.deepEqual(now.courses, atBackup.courses, 'courses');
    assert.deepEqual(now.posts, atBackup.posts, 'forum posts');
    assert.deepEqual(now.files, atBackup.files, 'file rows');
    assert.deepEqual(now.contents, atBackup.contents, 'file contents by contenthash');
    assert.ok(!now.users.some((u) => u.username === 'mhb_bob') && !now.posts.some((p) => p.subject === 'added after the backup'), 'later additions are gone');
  });

  test('after the restore: old sessions are gone, users log in again, files download through the load balancer', async () => {
    assert.equal(MoodleClient.loggedIn((await alice.get('/my/')).body), false, "alice's session from before the restore was flushed");
    // Moodle tells her so: her cookie names a session that no longer exists.
    const timedOut = await alice.get('/login/index.php');
    assert.equal(timedOut.status, 303);
    assert.match((await alice.get(timedOut.location!.replace(base, ''))).body, /session has timed out/i);
    assert.ok(MoodleClient.loggedIn(await alice.login(ALICE.username, ALICE.password)), 'alice (deleted after the backup) logs in again with her password');
    const admin = new MoodleClient(base);
    assert.ok(MoodleClient.loggedIn(await admin.login('admin', adminPassword)));
    const file = await admin.get(resource.path);
    assert.equal(file.status, 200, `GET ${resource.path}`);
    assert.equal(createHash('sha1').update(file.bytes).digest('hex'), resource.hash, 'the downloaded file is the content of its row');
    assert.equal((await readyz(WEB)).ready, true);
  });

  test('a file deleted between the snapshot and the copy comes back from trashdir', async () => {
    // The archive as a backup would have it had the upload been deleted after T: content in trashdir, not filedir.
    const rel = `${uploaded.hash.slice(0, 2)}/${uploaded.hash.slice(2, 4)}/${uploaded.hash}`;
    let moved = false;
    const copy = await tamperedCopy(backup, {
      archive: ({ name }) => {
        if (name.replace(/^\.\//, '') !== `filedir/${rel}`) return undefined;
        moved = true;
        return { name: `./trashdir/${rel}` };
      },
    });
    assert.ok(moved, `the upload's content filedir/${rel} is in the archive`);
    const r = await cli(['restore', copy, '--yes', '--spec', specFile], { echo: true, timeoutMs: 900_000 });
    assert.equal(r.code, 0, r.stderr.slice(-4000));
    assert.match(r.stdout, /1 file content\(s\) deleted after the snapshot were taken back from trashdir/);
    const now = await siteState();
    assert.equal(now.contents[uploaded.hash], uploaded.hash, 'the content is in filedir again, where nginx serves it from');
    assert.doesNotMatch(r.stdout, /missing/);
  });

  test('a damaged backup is refused with the part named, and nothing changes', async () => {
    await php(`create_user_record('mhb_marker', 'Marker-pw-2026!'); echo '@@J@@1@@E@@';`);
    const copy = mkdtempSync(join(dir, 'damaged-'));
    cpSync(backup, copy, { recursive: true });
    const file = join(copy, BACKUP_PARTS.moodledata);
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(file, bytes);
    const r = await cli(['restore', copy, '--yes', '--spec', specFile], { timeoutMs: 300_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /moodledata\.tar\.gz .* does not match its checksum/);
    assert.match(r.stderr, /Nothing was changed/);
    assert.ok(
      (await siteState()).users.some((u) => u.username === 'mhb_marker'),
      'the site still has the user made before the refused restore',
    );
    assert.equal((await docker().getContainer(WEB).inspect()).State.Running, true, 'the web node was not stopped');
  });

  test('refused without a change: a newer Moodle, no confirmation, a cluster that is not up, an unfinished folder', async () => {
    const newer = await tamperedCopy(backup, {
      manifest: (m) => {
        m.moodle.version = '2099010100.00';
        m.moodle.release = '9.9';
      },
    });
    let r = await cli(['restore', newer, '--yes', '--spec', specFile], { timeoutMs: 300_000 });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /newer than this cluster's code.*Set moodle\.version.*Nothing was changed/s);

    r = await cli(['restore', backup, '--spec', specFile], { timeoutMs: 300_000 });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /run it with --yes/);

    const other = join(dir, 'absent.yaml');
    writeFileSync(other, 'name: mhbackup-absent\nports:\n  http: 18281\n  stats: 18485\n  mail: 18487\n');
    for (const args of [
      ['restore', backup, '--yes'],
      ['backup', '--out', out],
    ]) {
      r = await cli([...args, '--spec', other], { timeoutMs: 120_000 });
      assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
      // The command to run next names the spec this run was given.
      assert.ok(r.stderr.includes(`cluster "mhbackup-absent" is not running`) && r.stderr.includes(`"moodle-ha up -f ${other}" first`), r.stderr);
    }
    const partial = join(dir, `.${NAME}-x.partial`);
    mkdirSync(partial);
    r = await cli(['restore', partial, '--yes', '--spec', specFile]);
    assert.match(r.stderr, /never finished/);
    assert.ok(
      (await siteState()).users.some((u) => u.username === 'mhb_marker'),
      'nothing was restored',
    );
  });

  test('a restore that fails half-way says what state it left, keeps the site stopped, and a good restore repairs it', async () => {
    // A dump the database rejects after the old database was dropped.
    const bad = await tamperedCopy(backup, { database: gzipSync(Buffer.from('CREATE TABLE mdl_broken (id BIGINT NOT NULL,;\n')) });
    let r = await cli(['restore', bad, '--yes', '--spec', specFile], { timeoutMs: 600_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /restore failed at "database: replace it with the dump/);
    assert.match(r.stderr, /state: the database is partly loaded or empty; moodledata is still the old one/);
    assert.match(r.stderr, /the web nodes and cron are stopped/);
    assert.match(r.stderr, /run "moodle-ha restore .*" again/);
    assert.equal((await docker().getContainer(WEB).inspect()).State.Running, false, 'nobody is served a half-restored site');
    r = await cli(['restore', backup, '--yes', '--spec', specFile], { timeoutMs: 900_000 });
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    const now = await siteState();
    assert.deepEqual(now.users, atBackup.users);
    assert.deepEqual(now.files, atBackup.files);
  });

  test('Ctrl-C during a backup leaves no folder and no helper container', async () => {
    const interrupted = mkdtempSync(join(dir, 'interrupted-'));
    const { code, stderr, interrupted: sent } = await cli(['backup', '--out', interrupted, '--spec', specFile], { interrupt: { when: /\[2\] database dump/ } });
    assert.ok(sent, `the backup ended before its database dump:\n${stderr.slice(-3000)}`);
    assert.equal(code, 130, stderr);
    assert.match(stderr, /backup interrupted; its unfinished folder .* was removed/);
    assert.deepEqual(readdirSync(interrupted), [], 'nothing is left in the output folder');
    const helpers = await docker().listContainers({ all: true, filters: { label: [`${LABELS.cluster}=${NAME}`, `${LABELS.service}=backup`] } });
    assert.deepEqual(
      helpers.map((c) => c.Names[0]),
      [],
    );
    assert.ok(existsSync(backup), 'the earlier backup is untouched');
  });
});

/** Member names of a .tar.gz. */
async function archiveNames(file: string): Promise<string[]> {
  const names: string[] = [];
  const ex = extract();
  ex.on('entry', (h, body, next) => {
    names.push(h.name);
    body.resume();
    body.on('end', next);
  });
  await pipeline(createReadStream(file), createGunzip(), ex);
  return names;
}
