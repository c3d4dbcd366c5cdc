// The database half of a backup (src/local/backup/database.ts): the dump and load helpers'
// definitions, and their scripts run here with bash (mariadb and mariadb-dump replaced by stand-ins
// that print their arguments), so the quoting and the snapshot mark are checked as bash sees them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { SERVICE_UIDS } from '../../../../src/image/service-images.ts';
import { dumpHelper, loadHelper, SNAPSHOT_MARK, snapshotTime } from '../../../../src/local/backup/database.ts';
import { manifestSchema } from '../../../../src/local/backup/format.ts';
import { devSpec, haSpec, runHelperScript, runningClusterOf, SECRETS, TAGS } from '../fixtures.ts';

const ARGS = 'printf "<%s>" "$(basename "$0")" "$@"; echo';
const cluster = runningClusterOf(devSpec());

describe('the dump and load helpers', () => {
  for (const [task, helper] of [
    ['dump', dumpHelper(cluster)],
    ['load', loadHelper(cluster)],
  ] as const) {
    test(`${task}: the MariaDB image's client, not its server entrypoint, on the cluster network`, () => {
      assert.deepEqual([helper.name, helper.image, helper.network, helper.service], [`campus-backup-${task}`, TAGS.mariadb, 'campus-net', 'backup']);
      assert.deepEqual(helper.entrypoint, ['/usr/bin/tini', '--']);
    });
    test(`${task}: the password reaches it in a 0400 option file for the mariadb user, never on a command line`, () => {
      assert.equal(helper.files?.length, 1);
      const f = helper.files![0]!;
      assert.deepEqual([f.name, f.mode, f.uid, f.gid], ['/run/mysqld/secrets/moodle-ha-client.cnf', 0o400, SERVICE_UIDS.mariadb, SERVICE_UIDS.mariadb]);
      assert.equal(f.content, `[client]\nhost=campus-db-writer\nport=3306\nuser=moodle\npassword="${SECRETS['db-password']}"\ndefault-character-set=utf8mb4\n`);
      assert.ok(!JSON.stringify([helper.cmd, helper.env]).includes(SECRETS['db-password']), 'the password is in the command or environment');
    });
  }
  test('through the writer endpoint in ha too (the current Galera writer)', () => {
    assert.match(dumpHelper(runningClusterOf(haSpec())).files![0]!.content, /^host=campus-db-writer$/m);
  });
});

describe('the dump script', () => {
  const r = runHelperScript(dumpHelper(cluster), { shims: { 'mariadb-dump': ARGS } });
  test('one consistent snapshot while the site runs: a single transaction, no table locks', () => {
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout.toString(),
      '<mariadb-dump><--defaults-extra-file=/run/mysqld/secrets/moodle-ha-client.cnf><--single-transaction><--quick><--hex-blob><--triggers><--skip-add-locks><--max-allowed-packet=256M><moodle>\n',
    );
  });
  test('prints T, the snapshot time, on stderr, in a form the manifest accepts', () => {
    assert.match(r.stderr, new RegExp(`^${SNAPSHOT_MARK} `));
    const t = snapshotTime(r.stderr);
    assert.ok(t, r.stderr);
    assert.equal(manifestSchema.shape.pointInTime.safeParse(t).success, true, `pointInTime would refuse ${t}`);
    assert.ok(Math.abs(Date.parse(t) - Date.now()) < 60_000, t);
  });
  test('snapshotTime: the time after the mark, among other stderr lines; none without it', () => {
    assert.equal(snapshotTime(`warning: x\n${SNAPSHOT_MARK} 2026-11-07T09:30:15.123Z\nmore\n`), '2026-11-07T09:30:15.123Z');
    assert.equal(snapshotTime('mariadb-dump: Got error: 2002\n'), undefined);
  });
});

describe('the load script', () => {
  // The stand-in mariadb reads stdin as the real one does: not with -e.
  const mariadb = `${ARGS}; [[ " $* " == *" -e "* ]] || cat`;
  const r = runHelperScript(loadHelper(cluster), { shims: { mariadb }, input: gzipSync('CREATE TABLE mdl_user (id BIGINT);\n') });
  const lines = r.stdout.toString().split('\n');
  test('drops and recreates the database (utf8mb4), the names quoted as MariaDB wants', () => {
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      lines[0],
      '<mariadb><--defaults-extra-file=/run/mysqld/secrets/moodle-ha-client.cnf><-e><DROP DATABASE IF EXISTS `moodle`; CREATE DATABASE `moodle` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci>',
    );
  });
  test('then loads the dump from stdin, decompressed, into it', () => {
    assert.equal(lines[1], '<mariadb><--defaults-extra-file=/run/mysqld/secrets/moodle-ha-client.cnf><--max-allowed-packet=256M><moodle>');
    assert.equal(lines[2], 'CREATE TABLE mdl_user (id BIGINT);');
  });
  test('a failed drop stops the script before the load (set -e)', () => {
    const failed = runHelperScript(loadHelper(cluster), { shims: { mariadb: `${ARGS}; exit 1` }, input: gzipSync('') });
    assert.equal(failed.status, 1);
    assert.equal(failed.stdout.toString().trim().split('\n').length, 1, failed.stdout.toString());
  });
});
