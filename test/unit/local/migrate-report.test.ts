// The migrate report (the image's migrate-report.php, run with the host's php on the versions a
// database and Moodle's plugin manager would give), its JSON line parsed by the one typed reader
// (src/contract/migrate-report.ts), and how migrate.php and migrate's live output use it.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MIGRATE_REPORT_MARK, MIGRATE_REPORT_PREFIX, MIGRATE_REPORT_SCHEMA, parseMigrateReport } from '../../../src/contract/migrate-report.ts';
import { isMigrateProgress } from '../../../src/local/migrate.ts';

const PHP_DIR = join(import.meta.dirname, '..', '..', '..', 'images', 'runtime', 'rootfs', 'opt', 'moodle-ha', 'php');
const FILE = join(PHP_DIR, 'migrate-report.php');
const MIGRATE_PHP = readFileSync(join(PHP_DIR, 'migrate.php'), 'utf8');

/** What migrate-report.php prints for these facts (mh_report_text of mh_report), run by the host's php. */
function reportText(action: string, before: object, after: object, plugins: object, excluded: string[] = []): string {
  const code = `require ${JSON.stringify(FILE)}; [$a, $b, $c, $d, $e] = array_map(fn($j) => json_decode($j, true), array_slice($argv, 1)); echo mh_report_text(mh_report($a, $b, $c, $d, $e));`;
  return execFileSync('php', ['-r', code, ...[action, before, after, plugins, excluded].map((x) => JSON.stringify(x))], { encoding: 'utf8' });
}

const v453 = { release: '4.5.3 (Build: 20250317)', version: '2024100703.00' };
const v456 = { release: '4.5.6 (Build: 20250811)', version: '2024100706.00' };
const pm = {
  mod_forum: { status: 'uptodate', standard: true },
  mod_quiz: { status: 'uptodate', standard: true },
  local_tool: { status: 'uptodate', standard: false },
  local_new: { status: 'uptodate', standard: false },
  local_broken: { status: 'missing', standard: false },
  theme_old: { status: 'missing', standard: false },
};

describe('migrate report (migrate-report.php)', () => {
  test('an upgrade: Moodle from → to, plugins upgraded (from → to), installed, and missing from disk with the reason', () => {
    const text = reportText(
      'upgraded',
      {
        moodle: v453,
        plugins: { mod_forum: '2024100700', mod_quiz: '2024100700', local_tool: '2024010100', local_broken: '2023010100', theme_old: '2022010100' },
      },
      {
        moodle: v456,
        plugins: {
          mod_forum: '2024100701',
          mod_quiz: '2024100700',
          local_tool: '2024060100',
          local_new: '2025010100',
          local_broken: '2023010100',
          theme_old: '2022010100',
        },
      },
      pm,
      ['local_broken'],
    );
    const r = parseMigrateReport(text);
    assert.ok(r, text);
    assert.equal(r.schema, MIGRATE_REPORT_SCHEMA);
    assert.equal(r.action, 'upgraded');
    assert.deepEqual(r.moodle, { from: v453, to: v456 });
    assert.deepEqual(r.upgraded, [
      { component: 'local_tool', from: '2024010100', to: '2024060100', standard: false },
      { component: 'mod_forum', from: '2024100700', to: '2024100701', standard: true },
    ]);
    assert.deepEqual(r.installed, [{ component: 'local_new', version: '2025010100', standard: false }]);
    assert.deepEqual(r.missing, [
      { component: 'local_broken', version: '2023010100', excluded: true },
      { component: 'theme_old', version: '2022010100', excluded: false },
    ]);
    // For people, in the log (and the AWS task's log group): the same facts, and what missing means.
    assert.match(text, /^migrate-report: Moodle 4\.5\.3 \(Build: 20250317\) \(2024100703\.00\) -> 4\.5\.6 \(Build: 20250811\) \(2024100706\.00\)$/m);
    assert.match(text, /^migrate-report: upgraded: local_tool 2024010100 -> 2024060100$/m);
    assert.match(text, /^migrate-report: installed: local_new 2025010100$/m);
    assert.match(
      text,
      /^migrate-report: missing from disk: local_broken \(version 2023010100 in the database\), left out of the image by moodle\.excludePlugins$/m,
    );
    assert.match(text, /^migrate-report: missing from disk: theme_old \(version 2022010100 in the database\)$/m);
    assert.match(text, /"Missing from disk"; their settings and data stay .* admin\/cli\/uninstall_plugins\.php --plugins=local_broken,theme_old --run$/m);
    assert.match(text, /^migrate-report: 2 upgraded, 1 installed, 0 uninstalled, 2 missing from disk$/m);
  });

  test('a fresh install counts the standard plugins and names the add-ons', () => {
    const r = parseMigrateReport(
      reportText('installed', { moodle: null, plugins: {} }, { moodle: v456, plugins: { mod_forum: '1', mod_quiz: '1', local_tool: '2' } }, pm),
    );
    assert.ok(r);
    assert.equal(r.moodle.from, null);
    assert.equal(r.standardInstalled, 2);
    assert.deepEqual(r.installed, [{ component: 'local_tool', version: '2', standard: false }]);
    assert.deepEqual([r.upgraded, r.missing, r.uninstalled], [[], [], []]);
  });

  test('a plugin Moodle dropped is reported uninstalled; nothing changed is said so', () => {
    const r = parseMigrateReport(
      reportText('upgraded', { moodle: v456, plugins: { mod_forum: '1', mod_gone: '3' } }, { moodle: v456, plugins: { mod_forum: '1' } }, pm),
    );
    assert.deepEqual(r?.uninstalled, [{ component: 'mod_gone', version: '3', standard: false }]);
    // 2024100706.00 (version.php) and 2024100706 (as Moodle stores it) are the same version.
    const same = reportText(
      'unchanged',
      { moodle: v456, plugins: { mod_forum: '1' } },
      { moodle: { ...v456, version: '2024100706' }, plugins: { mod_forum: '1' } },
      pm,
    );
    assert.match(same, /^migrate-report: Moodle 4\.5\.6 \(Build: 20250811\) \(2024100706\), unchanged$/m);
  });

  test('run as a script without a snapshot: a usage line and exit 64, before Moodle is started', () => {
    const r = spawnSync('php', [FILE, '/nonexistent', 'upgraded'], { encoding: 'utf8' });
    assert.equal(r.status, 64);
    assert.match(r.stderr, /^migrate-report: usage: php migrate-report\.php SNAPSHOT_FILE installed\|upgraded\|unchanged$/m);
  });

  test('the marks the PHP prints are the ones the reader looks for', () => {
    const php = readFileSync(FILE, 'utf8');
    assert.ok(php.includes(`const MH_REPORT_MARK = '${MIGRATE_REPORT_MARK}';`));
    assert.ok(php.includes(`const MH_REPORT_SCHEMA = '${MIGRATE_REPORT_SCHEMA}';`));
    assert.ok(php.includes(`const MH_REPORT_PREFIX = '${MIGRATE_REPORT_PREFIX}';`));
  });

  test('migrate.php snapshots the database before it installs or upgrades, and reports once it is done', () => {
    assert.match(MIGRATE_PHP, /require_once\('\/opt\/moodle-ha\/php\/migrate-report\.php'\);/);
    const snapshot = MIGRATE_PHP.indexOf("$reportBefore = mh_report_snapshot($db, $mh['prefix']);");
    const install = MIGRATE_PHP.indexOf("php_cli('admin/cli/install_database.php'");
    const upgrade = MIGRATE_PHP.indexOf("php_cli('admin/cli/upgrade.php', ['--non-interactive'");
    const report = MIGRATE_PHP.indexOf('mh_report_run($reportBefore,');
    const release = MIGRATE_PHP.lastIndexOf("RELEASE_LOCK('$lockName')");
    assert.ok(snapshot > 0 && snapshot < install && snapshot < upgrade, 'the snapshot comes before the install and the upgrade');
    assert.ok(report > upgrade && report < release, 'the report comes after the work, before the lock is released');
  });
});

describe('reading the report', () => {
  const line = (o: object) => `${MIGRATE_REPORT_MARK} ${JSON.stringify(o)}`;
  const ok = {
    schema: MIGRATE_REPORT_SCHEMA,
    action: 'unchanged',
    moodle: { from: v456, to: v456 },
    upgraded: [],
    installed: [],
    standardInstalled: 0,
    uninstalled: [],
    missing: [],
  };

  test('the last report line of a log; none, another schema or a line cut short is null', () => {
    const log = `migrate[  0.1s]: holding the migrate lock\n${line({ ...ok, action: 'installed' })}\n${line(ok)}\nmigrate[  9.0s]: done\n`;
    assert.equal(parseMigrateReport(log)?.action, 'unchanged');
    assert.equal(parseMigrateReport('migrate[  0.1s]: done\n'), null);
    assert.equal(parseMigrateReport(line({ ...ok, schema: 'moodle-ha.migrate-report/0' })), null);
    assert.equal(parseMigrateReport(line(ok).slice(0, 60)), null);
  });

  test("migrate's live output shows the report's lines, not its JSON line (even when a name looks like an error)", () => {
    assert.equal(isMigrateProgress('migrate-report: missing from disk: local_errorlog (version 1 in the database)'), true);
    assert.equal(isMigrateProgress(line({ ...ok, missing: [{ component: 'local_errorlog', version: '1', excluded: false }] })), false);
  });
});
