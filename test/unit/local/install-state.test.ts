// How an install is judged complete, empty or stopped half-way (the image's install-state.php,
// which migrate.php acts on and `migrate status` / `status` report), run with the host's php on
// the facts a database would give; and how migrate.php uses the verdict.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EXIT_HOLDS_DATA, EXIT_INTERRUPTED_INSTALL } from '../../../src/local/migrate.ts';
import { INSTALL_STATE_PHP } from '../../../src/local/migrate-status.ts';
import type { InstallState } from '../../../src/runtime/cluster.ts';
import { cachedMoodleTree } from '../../support/preconditions.ts';

const PHP_DIR = join(import.meta.dirname, '..', '..', '..', 'images', 'runtime', 'rootfs', 'opt', 'moodle-ha', 'php');
const FILE = join(PHP_DIR, 'install-state.php');
const MIGRATE_PHP = readFileSync(join(PHP_DIR, 'migrate.php'), 'utf8');

/** mh_install_state() of `facts`, run by the host's php. */
function judge(facts: object): InstallState {
  const code = `require ${JSON.stringify(FILE)}; echo json_encode(mh_install_state(json_decode($argv[1], true)));`;
  return JSON.parse(execFileSync('php', ['-r', code, JSON.stringify(facts)], { encoding: 'utf8' })) as InstallState;
}

const none = { users: 0, courses: 0, files: 0 };
const complete = { version: '2024100706.00', release: '4.5.6 (Build: 20250811)', rolesactive: '1' };

describe('install state (install-state.php)', () => {
  test('the image carries it where migrate status requires it', () => {
    assert.equal(INSTALL_STATE_PHP, '/opt/moodle-ha/php/install-state.php');
    assert.match(MIGRATE_PHP, /require_once\('\/opt\/moodle-ha\/php\/install-state\.php'\);/);
  });

  test('no table with the prefix: empty', () => {
    assert.equal(judge({ tables: 0, configTable: false, config: {}, data: none }).state, 'empty');
  });

  test('tables without a config table: stopped while creating the core tables', () => {
    const s = judge({ tables: 120, configTable: false, config: {}, data: none });
    assert.equal(s.state, 'interrupted');
    assert.match(s.detail, /120 tables but no config table: the install stopped while creating the core tables/);
  });

  test('a config table without version: stopped in the core install; the upgraderunning flag is named', () => {
    const s = judge({ tables: 450, configTable: true, config: { upgraderunning: '1764529200' }, data: none });
    assert.equal(s.state, 'interrupted');
    assert.equal(s.upgradeRunning, true);
    assert.match(s.detail, /the config table has no version: the install stopped in the core install \(upgraderunning is set\)/);
  });

  test('a version but rolesactive 0 (plugins, admin or settings missing): interrupted, not an install to upgrade', () => {
    const s = judge({ tables: 480, configTable: true, config: { ...complete, rolesactive: '0' }, data: none });
    assert.equal(s.state, 'interrupted');
    assert.match(s.detail, /core version 2024100706\.00 is stored but rolesactive is not 1/);
  });

  test('rolesactive 1: complete, with its release', () => {
    const s = judge({ tables: 480, configTable: true, config: complete, data: none });
    assert.deepEqual([s.state, s.detail, s.upgradeRunning], ['complete', 'Moodle 4.5.6 (Build: 20250811) installed', false]);
  });

  test('stored files are named by where they are; the files an install stores itself are not data', () => {
    const s = judge({ tables: 480, configTable: true, config: {}, data: { ...none, files: 3 }, fileAreas: ['user/private: 2', 'mod_resource/content: 1'] });
    assert.deepEqual(s.found, ['3 stored file(s) (user/private: 2, mod_resource/content: 1)']);
  });

  test("the stamps it leaves out are the very ones Moodle's install stores (with a cached Moodle tree)", (t) => {
    const tree = cachedMoodleTree();
    if (!tree.found) return t.skip(tree.reason);
    const install = readFileSync(join(tree.dir, 'mod', 'assign', 'feedback', 'editpdf', 'db', 'install.php'), 'utf8');
    const stamps = /\$defaultstamps = array\(([^)]*)\)/.exec(install)?.[1];
    assert.ok(stamps, 'editpdf no longer lists its default stamps this way');
    assert.ok(readFileSync(FILE, 'utf8').includes(`filename IN (${stamps})`), stamps);
  });

  test('the data found is said in words; none is []', () => {
    assert.deepEqual(judge({ tables: 480, configTable: true, config: complete, data: none }).found, []);
    assert.deepEqual(judge({ tables: 480, configTable: true, config: {}, data: { users: 2, courses: 1, files: 7 } }).found, [
      '2 user account(s) besides admin and guest',
      '1 course(s) besides the site course',
      '7 stored file(s)',
    ]);
  });
});

describe('migrate.php on an interrupted install', () => {
  test('it exits with the codes the CLI reads, before it installs or upgrades anything', () => {
    assert.ok(MIGRATE_PHP.includes(`exit(${EXIT_INTERRUPTED_INSTALL});`));
    assert.ok(MIGRATE_PHP.includes(`exit(${EXIT_HOLDS_DATA});`));
    const refuse = MIGRATE_PHP.indexOf(`exit(${EXIT_INTERRUPTED_INSTALL});`);
    assert.ok(refuse < MIGRATE_PHP.indexOf("'admin/cli/install_database.php'") && refuse < MIGRATE_PHP.indexOf("['--is-pending']"));
  });

  test('reinstall drops tables only after it found no data, and only on an interrupted install', () => {
    const branch = MIGRATE_PHP.slice(MIGRATE_PHP.indexOf("if ($state['state'] === 'interrupted')"), MIGRATE_PHP.indexOf('$installed = '));
    assert.ok(branch.indexOf("if ($state['found'])") < branch.indexOf('DROP TABLE'), 'the data check must come before any DROP');
    assert.equal(MIGRATE_PHP.split('DROP TABLE').length, 2, 'DROP TABLE appears once, in the interrupted-install branch');
  });
});
