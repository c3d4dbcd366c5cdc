// `migrate status` facts (src/local/migrate-status.ts, migrate-target.ts): the PHP asks for the
// lock migrate.php takes, parses, and is valid PHP; what is pending; when a migrate may run.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { LOCK_NAME_PHP, parseStatusOutput, pendingMigrate, phpString, statusPhp } from '../../../src/local/migrate-status.ts';
import { missingDataTier, runningRuntime } from '../../../src/local/migrate-target.ts';
import { tempDir } from '../../support/temp.ts';

const MIGRATE_PHP = join(import.meta.dirname, '..', '..', '..', 'images', 'runtime', 'rootfs', 'opt', 'moodle-ha', 'php', 'migrate.php');
const STATUS_PHP = statusPhp("o'brien$x");
const code = { release: '4.5.6 (Build: 20250811)', version: '2024100706.00', codehash: 'abc' };

describe('migrate status', () => {
  test('asks IS_USED_LOCK of the very lock name migrate.php takes with GET_LOCK', () => {
    const migrate = readFileSync(MIGRATE_PHP, 'utf8');
    assert.ok(migrate.includes(`$lockName = $db->real_escape_string(${LOCK_NAME_PHP});`), 'migrate.php builds its lock name another way now');
    assert.match(migrate, /GET_LOCK\('\$lockName'/);
    assert.ok(STATUS_PHP.includes(`$lock = $db->real_escape_string(${LOCK_NAME_PHP});`));
    assert.match(STATUS_PHP, /IS_USED_LOCK\('\$lock'\)/);
  });

  test('its PHP is valid (php -l)', () => {
    const file = join(tempDir('mh-status-php-'), 'status.php');
    writeFileSync(file, `<?php\n${STATUS_PHP}`);
    assert.match(execFileSync('php', ['-l', file], { encoding: 'utf8' }), /No syntax errors/);
  });

  test('reads the marked JSON among other output; no mark is an error quoting the output', () => {
    const facts = { database: code, code, lockHeld: true };
    assert.deepEqual(
      parseStatusOutput(`PHP Warning: x\n@@MOODLE-HA-MIGRATE-STATUS@@${JSON.stringify(facts)}\n`),
      { ...facts, install: null },
      'an older image says nothing of the install',
    );
    assert.throws(
      () => parseStatusOutput('database moodle-db unreachable: Connection refused\n'),
      /PHP printed no result; its output: database moodle-db unreachable/,
    );
  });

  test("the spec's admin name reaches PHP as it is, quotes and dollars included", () => {
    assert.ok(STATUS_PHP.includes("mh_install_facts($db, $mh['prefix'], 'o\\'brien$x')"));
    assert.equal(execFileSync('php', ['-r', `echo ${phpString("a'b\\c$d")};`], { encoding: 'utf8' }), "a'b\\c$d");
  });

  test('an install that stopped half-way is pending a reinstall, whatever its version says', () => {
    const install = { state: 'interrupted' as const, detail: 'x', data: { users: 0, courses: 0, files: 0 }, found: [], upgradeRunning: false };
    assert.equal(pendingMigrate(null, code, install), 'reinstall');
    assert.equal(pendingMigrate({ ...code }, code, install), 'reinstall');
    assert.equal(pendingMigrate({ ...code }, code, { ...install, state: 'complete' }), 'none');
  });

  test('pending: install on an empty database, upgrade when the version or the code hash differs, else none', () => {
    assert.equal(pendingMigrate(null, code), 'install');
    assert.equal(pendingMigrate({ ...code }, code), 'none');
    assert.equal(pendingMigrate({ ...code, version: '2024100706' }, code), 'none', 'the same number written another way');
    assert.equal(pendingMigrate({ ...code, version: '2024100703.00' }, code), 'upgrade');
    assert.equal(pendingMigrate({ ...code, codehash: 'old' }, code), 'upgrade', 'a plugin bump changes only the hash');
  });
});

describe('when a migrate may run', () => {
  const m = (name: string, service: string, running = true, image = 'moodle-ha/runtime:a') => ({ name, service, running, image });
  test('the database, its writer endpoint (ha) and both Redis servers must run', () => {
    assert.deepEqual(missingDataTier([m('x-db', 'db'), m('x-redis', 'redis')]), []);
    assert.deepEqual(missingDataTier([]), ['the database', 'Redis']);
    assert.deepEqual(missingDataTier([m('x-db-1', 'db'), m('x-endpoints', 'endpoints', false), m('x-redis', 'redis'), m('x-cache', 'cache', false)]), [
      'the database writer endpoint',
      "the caches' Redis",
    ]);
  });

  test("the image is web-1's (by number, not text: web-2 before web-10), else cron's", () => {
    const web = [m('x-web-10', 'web', true, 'ten'), m('x-web-2', 'web', true, 'two'), m('x-cron', 'cron', true, 'cron')];
    assert.equal(runningRuntime(web)?.image, 'two');
    assert.equal(runningRuntime([m('x-cron', 'cron', true, 'cron'), m('x-db', 'db')])?.image, 'cron');
    assert.equal(runningRuntime([m('x-db', 'db')]), undefined);
  });
});
