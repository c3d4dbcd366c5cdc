// What `migrate` prints (src/cli/migrate-report.ts): status lines, a run's end, a failure with
// the end of its log and the command that shows all of it, with the spec this run was given.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { keptRunHeader, migrateDone, migrateFailed, migrateStatusLines } from '../../../src/cli/migrate-report.ts';
import type { MigrateStatus } from '../../../src/runtime/cluster.ts';
import { chooseSpec } from '../../../src/spec/hint.ts';

const v = { release: '4.5.6 (Build: 20250811)', version: '2024100706.00', codehash: '0123456789abcdef' };
const status: MigrateStatus = {
  database: v,
  code: v,
  install: null,
  pending: 'none',
  lockHeld: false,
  running: null,
  lastRun: { startedAt: '2026-11-30T17:00:00.5Z', finishedAt: '2026-11-30T17:00:12.5Z', result: 'unchanged', exitCode: 0, report: null },
};
const run = { ...status.lastRun!, log: `${Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n')}\n`, attached: false };

describe('migrate report', () => {
  test('status: both versions, nothing pending, the lock free, the last run with its time and the command for its log', () => {
    chooseSpec({ file: '/srv/campus.yaml' });
    const out = migrateStatusLines(status);
    assert.match(out, /^database: +Moodle 4\.5\.6 \(Build: 20250811\), version 2024100706\.00, code hash 0123456789ab$/m);
    assert.match(out, /^code: +Moodle 4\.5\.6 \(Build: 20250811\), version 2024100706\.00/m);
    assert.match(out, /^pending: +nothing: the database matches the code$/m);
    assert.match(out, /^lock: +free$/m);
    assert.match(out, /^running: +no migrate container runs$/m);
    assert.match(out, /^last run: +2026-11-30 17:00:00 UTC, unchanged, exit 0 \(12\.0 s\); its log: "moodle-ha migrate log -f \/srv\/campus\.yaml"$/m);
    chooseSpec({});
  });

  test('status: an upgrade pending says how to run it; a held lock and a running migrate are said', () => {
    const out = migrateStatusLines({ ...status, pending: 'upgrade', lockHeld: true, running: { startedAt: '2026-11-30T17:05:00Z' }, lastRun: null });
    assert.match(out, /^pending: +an upgrade: .*"moodle-ha migrate"/m);
    assert.match(out, /^lock: +held/m);
    assert.match(out, /^running: +a migrate started at 2026-11-30 17:05:00 UTC$/m);
    assert.match(out, /^last run: +none kept$/m);
    assert.match(migrateStatusLines({ ...status, database: null, pending: 'install' }), /^database: +empty \(nothing installed\)$/m);
  });

  test("a run's end: its result and time; one that was waited for says so", () => {
    assert.match(migrateDone(run), /^migrate: unchanged \(exit 0, 12\.0 s\)/);
    assert.match(migrateDone({ ...run, attached: true }), /^the migrate that was running ended: unchanged/);
  });

  test('a failure: exit code, the last 20 lines of the log, where the rest is', () => {
    const out = migrateFailed({ ...run, exitCode: 70, result: 'failed' });
    assert.match(out, /^migrate failed \(exit 70\); .*"moodle-ha migrate log"\):\nline 11\n/);
    assert.ok(out.endsWith('line 30'));
    assert.ok(!out.includes('line 10\n'));
  });

  test('a kept run starts with its times, result and exit code', () => {
    assert.equal(keptRunHeader(run), '# migrate run of 2026-11-30 17:00:00 UTC to 2026-11-30 17:00:12 UTC: unchanged, exit 0\n');
  });
});
