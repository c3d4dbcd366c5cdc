// What `migrate`, `migrate status` and `up` print of a migrate's report (src/cli/migrate-changes.ts):
// one line of what changed, and, when plugins are missing from disk, what that means and the two
// ways out.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { migrateChangesLine, migrateChangesText, missingFromDiskAdvice } from '../../../src/cli/migrate-changes.ts';
import { migrateStatusLines } from '../../../src/cli/migrate-report.ts';
import { upSummary } from '../../../src/cli/up-summary.ts';
import { MIGRATE_REPORT_SCHEMA, type MigrateReport } from '../../../src/contract/migrate-report.ts';
import type { MigrateStatus } from '../../../src/runtime/cluster.ts';
import { validateSpec } from '../../../src/spec/read.ts';

const v453 = { release: '4.5.3 (Build: 20250317)', version: '2024100703.00' };
const v456 = { release: '4.5.6 (Build: 20250811)', version: '2024100706.00' };
const none = { upgraded: [], installed: [], standardInstalled: 0, uninstalled: [], missing: [] };
const upgrade: MigrateReport = {
  schema: MIGRATE_REPORT_SCHEMA,
  action: 'upgraded',
  moodle: { from: v453, to: v456 },
  ...none,
  upgraded: [
    { component: 'local_tool', from: '2024010100', to: '2024060100', standard: false },
    { component: 'mod_forum', from: '2024100700', to: '2024100701', standard: true },
    { component: 'mod_quiz', from: '2024100700', to: '2024100702', standard: true },
  ],
  installed: [{ component: 'local_new', version: '2025010100', standard: false }],
  missing: [
    { component: 'local_broken', version: '2023010100', excluded: true },
    { component: 'theme_old', version: '2022010100', excluded: false },
  ],
};

describe('migrate changes', () => {
  test('an upgrade: Moodle from → to; add-ons named with versions, standard plugins counted; missing named', () => {
    assert.equal(
      migrateChangesLine(upgrade),
      'Moodle 4.5.3 (Build: 20250317) (2024100703.00) → 4.5.6 (Build: 20250811) (2024100706.00); ' +
        '3 plugins upgraded (local_tool 2024010100 → 2024060100, 2 standard plugins); 1 plugin installed (local_new 2025010100); ' +
        '2 missing from disk (local_broken, theme_old)',
    );
  });

  test('an install: the standard plugins counted, the add-ons named', () => {
    const install: MigrateReport = {
      ...upgrade,
      action: 'installed',
      moodle: { from: null, to: v456 },
      ...none,
      standardInstalled: 450,
      installed: [{ component: 'local_tool', version: '1', standard: false }],
    };
    assert.equal(
      migrateChangesLine(install),
      'Moodle 4.5.6 (Build: 20250811) (2024100706.00) installed with its 450 standard plugins; 1 add-on installed (local_tool 1)',
    );
  });

  test('missing from disk: what it means for the operator, and the two ways out with the exact command', () => {
    const advice = missingFromDiskAdvice(upgrade, 'campus-web-1');
    assert.match(
      advice,
      /^2 plugins are missing from disk \(installed in the database, not in the code\): local_broken \(version 2023010100, left out by moodle\.excludePlugins\), theme_old \(version 2022010100\)\.$/m,
    );
    assert.match(advice, /admin\/plugins\.php\) as "Missing from disk"; their settings and data stay in the database, unused/);
    assert.match(advice, /put each back \(in the Moodle tree, the plugin manifest, or out of moodle\.excludePlugins\) and run "moodle-ha up"/);
    assert.match(advice, /docker exec campus-web-1 php admin\/cli\/uninstall_plugins\.php --plugins=local_broken,theme_old --run\.$/m);
    assert.equal(missingFromDiskAdvice({ ...upgrade, missing: [] }), '', 'nothing missing, nothing said');
  });

  test('`migrate` prints the line and the advice; without a report (an older image) nothing', () => {
    assert.match(migrateChangesText(upgrade), /^changes: Moodle 4\.5\.3 .*\n2 plugins are missing from disk/);
    assert.equal(migrateChangesText(null), '');
  });

  test("`migrate status` shows the last run's changes", () => {
    const status: MigrateStatus = {
      database: { ...v456, codehash: 'ab' },
      code: { ...v456, codehash: 'ab' },
      install: null,
      pending: 'none',
      lockHeld: false,
      running: null,
      lastRun: { startedAt: '2026-11-30T17:00:00Z', finishedAt: '2026-11-30T17:00:40Z', result: 'upgraded', exitCode: 0, report: upgrade },
    };
    assert.match(migrateStatusLines(status), /^changes: +Moodle 4\.5\.3 .* 2 missing from disk \(local_broken, theme_old\)$/m);
    assert.doesNotMatch(migrateStatusLines({ ...status, lastRun: { ...status.lastRun!, report: null } }), /^changes:/m);
  });

  test("`up`'s summary: the changes line and the advice when plugins are missing; an unchanged run with nothing missing says nothing more", () => {
    const spec = validateSpec({ name: 'campus' });
    const base = { url: 'http://localhost:8080', mailUrl: 'http://127.0.0.1:8025', adminUser: 'admin', adminPasswordFile: '/x', webNodes: 1 };
    const out = upSummary(spec, { ...base, migrate: 'upgraded', migrateReport: upgrade }, 60);
    assert.match(out, /^ {2}changes: {2}Moodle 4\.5\.3 .* → 4\.5\.6 /m);
    assert.match(out, /docker exec campus-web-1 php admin\/cli\/uninstall_plugins\.php --plugins=local_broken,theme_old --run/);
    const quiet = upSummary(
      spec,
      {
        ...base,
        migrate: 'unchanged',
        migrateReport: { ...upgrade, action: 'unchanged', moodle: { from: v456, to: { ...v456, version: '2024100706' } }, ...none },
      },
      60,
    );
    assert.doesNotMatch(quiet, /changes:|missing from disk/);
  });
});
