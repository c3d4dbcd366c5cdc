// The files half of a backup (src/local/backup/moodledata.ts): the archive and unpack helpers'
// scripts run here with GNU tar on a folder laid out like moodledata, so what is left out (only
// the top-level entries of MOODLEDATA_EXCLUDED) and what a restore leaves are checked for real.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { RUNTIME_IMAGE } from '../../../../src/contract/image.ts';
import { MOODLEDATA_EXCLUDED } from '../../../../src/local/backup/format.ts';
import { ARCHIVE_OK_CODES, archiveHelper, unpackHelper } from '../../../../src/local/backup/moodledata.ts';
import { devSpec, runHelperScript, runningClusterOf, TAGS } from '../fixtures.ts';
import { tempDir } from '../../../support/temp.ts';

const DIR = RUNTIME_IMAGE.sharedDataDir;
const cluster = runningClusterOf(devSpec());

/** A moodledata folder with these files (path → content). */
function moodledata(files: Record<string, string>): string {
  const root = tempDir('moodledata-');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}
const listTar = (tar: Buffer) =>
  spawnSync('tar', ['--list', '--file=-'], { input: tar })
    .stdout.toString()
    .split('\n')
    .filter((l) => l && !l.endsWith('/'))
    .sort();

const SITE = {
  'filedir/ab/cd/abcd1234': 'a file',
  'trashdir/ef/01/ef01aa': 'deleted after T',
  'lang/de/langconfig.php': '<?php',
  'filedir/cache/kept': 'a folder named cache below the top is content',
  'repository/temp/kept': 'so is a temp below the top',
  'cache/cachestore_file/x': 'cache',
  'localcache/x': 'cache',
  'temp/x': 'temp',
  'backuptemp/x': 'temp',
  'sessions/sess_1': 'session',
  'lock/x': 'lock',
  'muc/config.php': "<?php $configuration = ['password' => 'redis'];",
  'climaintenance.html': 'maintenance',
};

describe('the archive helper', () => {
  const root = moodledata(SITE);
  const r = runHelperScript(archiveHelper(cluster), { replace: [[`cd ${DIR}`, `cd ${root}`]] });
  test('keeps the content, the trash and everything else', () => {
    assert.ok(ARCHIVE_OK_CODES.includes(r.status!), r.stderr);
    assert.deepEqual([...ARCHIVE_OK_CODES].sort(), [0, 1], 'GNU tar exits 1 when a file changed while read: the archive is complete');
    assert.deepEqual(listTar(r.stdout), [
      './filedir/ab/cd/abcd1234',
      './filedir/cache/kept',
      './lang/de/langconfig.php',
      './repository/temp/kept',
      './trashdir/ef/01/ef01aa',
    ]);
  });
  test('leaves out exactly the top-level entries of MOODLEDATA_EXCLUDED (muc holds the Redis password)', () => {
    const listed = listTar(r.stdout).join('\n');
    for (const e of MOODLEDATA_EXCLUDED) assert.doesNotMatch(listed, new RegExp(`^\\./${e.path}(/|$)`, 'm'), e.path);
    assert.ok(
      MOODLEDATA_EXCLUDED.some((e) => e.path === 'muc'),
      'muc is excluded',
    );
  });
  test('reads moodledata read-only, as the image user', () => {
    const c = archiveHelper(cluster);
    assert.deepEqual(c.volumes, { 'campus-moodledata': `${DIR}:ro` });
    assert.equal(c.image, TAGS.runtime);
  });
});

describe('the unpack helper', () => {
  test("replaces moodledata with the archive's content: what was there before is gone, modes kept", () => {
    const source = moodledata({ 'filedir/ab/cd/abcd1234': 'restored', 'lang/de/x': 'de' });
    spawnSync('chmod', ['0600', join(source, 'lang/de/x')]);
    const tar = gzipSync(spawnSync('tar', ['--create', '--file=-', '.'], { cwd: source }).stdout);
    const target = moodledata({
      'filedir/ab/cd/abcd1234': 'current',
      'filedir/99/99/9999': 'added after the backup',
      'cache/x': 'stale cache',
      '.hidden': 'x',
    });
    const r = runHelperScript(unpackHelper(cluster), { replace: [[`cd ${DIR}`, `cd ${target}`]], input: tar });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(target, 'filedir/ab/cd/abcd1234'), 'utf8'), 'restored');
    for (const gone of ['filedir/99/99/9999', 'cache/x', '.hidden']) assert.equal(existsSync(join(target, gone)), false, gone);
    assert.equal(statSync(join(target, 'lang/de/x')).mode & 0o777, 0o600);
  });
  test('writes moodledata (not read-only)', () => {
    assert.deepEqual(unpackHelper(cluster).volumes, { 'campus-moodledata': DIR });
  });
  test('a damaged archive fails the helper', () => {
    const target = moodledata({ x: '1' });
    const r = runHelperScript(unpackHelper(cluster), { replace: [[`cd ${DIR}`, `cd ${target}`]], input: Buffer.from('not gzip') });
    assert.notEqual(r.status, 0);
  });
});
