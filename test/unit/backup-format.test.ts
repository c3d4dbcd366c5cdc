// The local backup's folder format without Docker: the manifest is read strictly, parts are
// checked by size and SHA-256, Moodle versions compare exactly, Docker's multiplexed stream is
// split with stdout kept in order.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { DockerDemux } from '../../src/local/backup/demux.ts';
import {
  BACKUP_FORMAT,
  BACKUP_PARTS,
  backupFolderName,
  compareMoodleVersions,
  MANIFEST_FILE,
  PARTIAL_SUFFIX,
  readManifest,
  type BackupManifest,
} from '../../src/local/backup/format.ts';
import { verifyParts } from '../../src/local/backup/integrity.ts';
import { UserError } from '../../src/util/errors.ts';
import { tempDir } from '../support/temp.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function makeBackup(over: (m: BackupManifest) => unknown = (m) => m): { dir: string; manifest: BackupManifest } {
  const dir = join(tempDir('backup-format-'), 'mh-20261107T093015Z');
  mkdirSync(dir);
  const db = Buffer.from('dump bytes');
  const files = Buffer.from('archive bytes, a few more');
  writeFileSync(join(dir, BACKUP_PARTS.database), db);
  writeFileSync(join(dir, BACKUP_PARTS.moodledata), files);
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    cluster: 'mh',
    profile: 'dev',
    pointInTime: '2026-11-07T09:30:15.123Z',
    finishedAt: '2026-11-07T09:31:02.000Z',
    moodle: { release: '4.5.6 (Build: 20250811)', version: '2024100706.00', codehash: 'abc' },
    site: { users: 3, courses: 1, forumPosts: 10, files: 4, fileBytes: 1234 },
    parts: {
      database: { file: BACKUP_PARTS.database, bytes: db.length, sha256: sha(db) },
      moodledata: { file: BACKUP_PARTS.moodledata, bytes: files.length, sha256: sha(files) },
    },
    excluded: ['cache'],
  };
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(over(manifest)));
  return { dir, manifest };
}

const refused = (re: RegExp) => (e: unknown) => e instanceof UserError && re.test(e.message) && /Nothing was changed/.test(e.message);

test('manifest: a complete backup reads back as written', () => {
  const { dir, manifest } = makeBackup();
  assert.deepEqual(readManifest(dir), manifest);
});

test('manifest: missing, unfinished, foreign or malformed folders are refused, saying why', () => {
  assert.throws(() => readManifest('/nonexistent/backup'), refused(/no such folder/));
  const { dir } = makeBackup();
  const partial = `${dir}${PARTIAL_SUFFIX}`;
  mkdirSync(partial);
  writeFileSync(join(partial, MANIFEST_FILE), '{}');
  assert.throws(() => readManifest(partial), refused(/never finished/));
  const empty = tempDir('backup-empty-');
  assert.throws(() => readManifest(empty), refused(/has no manifest\.json/));
  const broken = makeBackup().dir;
  writeFileSync(join(broken, MANIFEST_FILE), '{ "format": "moodle-ha.backup/1", ');
  assert.throws(() => readManifest(broken), refused(/manifest\.json is not valid JSON/));
  writeFileSync(join(empty, MANIFEST_FILE), '{ "format": "moodle-ha.backup/9" }');
  assert.throws(() => readManifest(empty), refused(/format is "moodle-ha\.backup\/9".*reads moodle-ha\.backup\/1/));
  assert.throws(() => readManifest(makeBackup((m) => ({ ...m, pointInTime: 'yesterday' })).dir), refused(/pointInTime/));
  assert.throws(
    () => readManifest(makeBackup((m) => ({ ...m, parts: { ...m.parts, database: { ...m.parts.database, file: '../../etc/passwd' } } })).dir),
    refused(/names \.\.\/\.\.\/etc\/passwd as the database part/),
  );
});

test('parts: an intact backup passes; a changed byte, a truncated or a missing part is refused by name', async () => {
  const { dir, manifest } = makeBackup();
  let seen = 0;
  await verifyParts(dir, manifest, (n) => (seen += n));
  assert.equal(seen, manifest.parts.database.bytes + manifest.parts.moodledata.bytes, 'progress counts every byte read');

  writeFileSync(join(dir, BACKUP_PARTS.moodledata), 'archive bytes, a few moRe');
  await assert.rejects(
    verifyParts(dir, manifest),
    refused(/moodledata\.tar\.gz .* does not match its checksum \(SHA-256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}\)/),
  );
  writeFileSync(join(dir, BACKUP_PARTS.moodledata), 'archive');
  await assert.rejects(verifyParts(dir, manifest), refused(/moodledata\.tar\.gz .* has 7 bytes, the manifest says 25/));
  writeFileSync(join(dir, BACKUP_PARTS.database), '');
  await assert.rejects(verifyParts(dir, manifest), refused(/database\.sql\.gz .* has 0 bytes/));
});

test('Moodle versions compare exactly, with or without the fraction', () => {
  assert.equal(compareMoodleVersions('2024100706.00', '2024100706'), 0);
  assert.ok(compareMoodleVersions('2024100706.01', '2024100706.00') > 0);
  assert.ok(compareMoodleVersions('2024100705.99', '2024100706') < 0);
  assert.ok(compareMoodleVersions('2025041400', '2024100706.00') > 0, 'a 5.0 backup is newer than 4.5 code');
  assert.ok(compareMoodleVersions('2022112800', '2024100706.00') < 0);
});

test('folder names sort by time and carry the cluster', () => {
  assert.equal(backupFolderName('mh', new Date('2026-11-07T09:30:15.123Z')), 'mh-20261107T093015Z');
});

test("Docker's multiplexed stream: stdout in order across split frames, stderr to the callback, a cut frame is an error", async () => {
  const frame = (type: number, text: string) => {
    const body = Buffer.from(text);
    const h = Buffer.alloc(8);
    h[0] = type;
    h.writeUInt32BE(body.length, 4);
    return Buffer.concat([h, body]);
  };
  const all = Buffer.concat([frame(1, 'hello '), frame(2, 'warning: x\n'), frame(1, 'world'), frame(1, '!')]);
  // Chunks cut through headers and payloads.
  const chunks = [all.subarray(0, 3), all.subarray(3, 11), all.subarray(11, 30), all.subarray(30)];
  let err = '';
  const demux = new DockerDemux((t) => (err += t));
  let out = '';
  for await (const c of Readable.from(chunks).pipe(demux)) out += (c as Buffer).toString();
  assert.equal(out, 'hello world!');
  assert.equal(err, 'warning: x\n');
  assert.equal(demux.stderr, 'warning: x\n');

  const cut = new DockerDemux();
  await assert.rejects(async () => {
    for await (const _ of Readable.from([frame(1, 'abcdef').subarray(0, 10)]).pipe(cut)) {
      /* drain */
    }
  }, /ended inside a frame/);
});

test('a restore that failed after changing data says, for each stage, what the data is and what to do', async () => {
  const { stateAfterFailure } = await import('../../src/local/backup/restore.ts');
  const db = stateAfterFailure('database', '/b/mh-1', true);
  assert.match(db[0]!, /the database is partly loaded or empty; moodledata is still the old one/);
  assert.match(db[1]!, /web nodes and cron are stopped, and so is the autoscaler/);
  assert.match(db[2]!, /run "moodle-ha restore \/b\/mh-1" again/);
  assert.match(db[3]!, /"moodle-ha up" alone would start the site on half-restored data: restore first/);
  assert.match(stateAfterFailure('files', '/b', false)[0]!, /the database is the backup's; moodledata is partly replaced/);
  const settled = stateAfterFailure('settled', '/b', false);
  assert.doesNotMatch(settled[1]!, /autoscaler/);
  assert.match(settled[3]!, /"moodle-ha up" starts the web nodes and cron on the restored data/);
});
