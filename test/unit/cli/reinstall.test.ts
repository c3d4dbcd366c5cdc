// `migrate --reinstall` and `status` on an install that stopped half-way (src/cli/reinstall-decision.ts,
// database-verdict.ts): only a half-installed site with no one's data is reinstalled, after a
// confirmation; everything else is refused saying what was found; status names the way out.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { databaseVerdict } from '../../../src/cli/database-verdict.ts';
import { reinstallDecision } from '../../../src/cli/reinstall-decision.ts';
import type { InstallState, MigrateStatus } from '../../../src/runtime/cluster.ts';
import { chooseSpec } from '../../../src/spec/hint.ts';

const v = { release: '4.5.6 (Build: 20250811)', version: '2024100706.00', codehash: 'abc' };
const none = { users: 0, courses: 0, files: 0 };
const half: InstallState = {
  state: 'interrupted',
  detail: 'core version 2024100706.00 is stored but rolesactive is not 1',
  data: none,
  found: [],
  upgradeRunning: true,
};
const status = (install: InstallState | null, more: Partial<MigrateStatus> = {}): MigrateStatus => ({
  database: v,
  code: v,
  install,
  pending: install?.state === 'interrupted' ? 'reinstall' : 'none',
  lockHeld: false,
  running: null,
  lastRun: null,
  ...more,
});
const withData: InstallState = { ...half, data: { users: 3, courses: 0, files: 2 }, found: ['3 user account(s) besides admin and guest', '2 stored file(s)'] };
const tty = { yes: false, tty: true };

chooseSpec({ file: '/srv/campus.yaml' });
after(() => chooseSpec({}));

describe('migrate --reinstall', () => {
  test('an interrupted install without data: asked at a terminal, done with --yes, saying what it drops', () => {
    const asked = reinstallDecision(status(half), tty);
    assert.equal(asked.kind, 'confirm');
    assert.match((asked as { what: string }).what, /stopped half-way \(core version .*\) and no one's data .* drops its tables and installs Moodle 4\.5\.6/);
    assert.equal(reinstallDecision(status(half), { yes: true, tty: false }).kind, 'go');
  });

  test('without a terminal and without --yes: refused, naming the command with --yes', () => {
    const d = reinstallDecision(status(half), { yes: false, tty: false });
    assert.equal(d.kind, 'refuse');
    assert.match(
      (d as { why: string }).why,
      /no terminal to ask in: run "moodle-ha migrate --reinstall --yes -f \/srv\/campus\.yaml" to confirm\. Nothing was changed\.$/,
    );
  });

  test('a half-installed site with data: never, even with --yes; the data is named', () => {
    const d = reinstallDecision(status(withData), { yes: true, tty: true });
    assert.equal(d.kind, 'refuse');
    assert.match(
      (d as { why: string }).why,
      /holds data \(3 user account\(s\) besides admin and guest; 2 stored file\(s\)\): a site with data is never reinstalled/,
    );
  });

  test('a complete site: never', () => {
    const d = reinstallDecision(status({ ...half, state: 'complete', detail: 'Moodle 4.5.6 installed' }), { yes: true, tty: true });
    assert.match((d as { why: string }).why, /the install is complete \(Moodle 4\.5\.6 installed\): a complete site is never reinstalled/);
  });

  test('an empty database: nothing to reinstall, migrate installs it', () => {
    const d = reinstallDecision(status({ ...half, state: 'empty' }, { database: null }), { yes: true, tty: true });
    assert.match((d as { why: string }).why, /the database is empty, so there is nothing to reinstall: "moodle-ha migrate -f \/srv\/campus\.yaml"/);
  });

  test('a migrate running now (its container, or only its lock): refused, an install under way is not interrupted', () => {
    for (const more of [{ running: { startedAt: '2026-11-30T19:00:00Z' } }, { lockHeld: true }]) {
      const d = reinstallDecision(status(half, more), { yes: true, tty: true });
      assert.equal(d.kind, 'refuse');
      assert.match(
        (d as { why: string }).why,
        /a migrate is running now.*: an install in progress is not interrupted\. Follow it with "moodle-ha logs migrate --follow/,
      );
    }
  });

  test('an image that cannot tell (no install-state.php): refused, up first', () => {
    assert.match((reinstallDecision(status(null), { yes: true, tty: true }) as { why: string }).why, /cannot tell whether its install is complete/);
  });
});

describe('status: the database line', () => {
  test('an interrupted install: named plainly, with the way out', () => {
    const d = databaseVerdict(status(half));
    assert.equal(d.kind, 'interrupted');
    assert.equal(
      d.line,
      'INTERRUPTED INSTALL: the install stopped half-way (core version 2024100706.00 is stored but rolesactive is not 1); the site does not work; ' +
        'the way out: "moodle-ha migrate --reinstall -f /srv/campus.yaml" (drops it and installs again, after you confirm)',
    );
  });

  test('with data: interrupted, and no reinstall offered', () => {
    const d = databaseVerdict(status(withData));
    assert.equal(d.kind, 'interrupted');
    assert.match(d.line, /it holds data \(3 user account.*\), so it is never reinstalled: restore a backup/);
    assert.doesNotMatch(d.line, /--reinstall/);
  });

  test('tables without a complete install while a migrate runs: an install under way, not an interruption', () => {
    const d = databaseVerdict(status(half, { running: { startedAt: '2026-11-30T19:00:00Z' }, lockHeld: true }));
    assert.equal(d.kind, 'installing');
    assert.match(d.line, /^install under way \(a migrate started at 2026-11-30 19:00:00 UTC is running; follow it: "moodle-ha logs migrate --follow/);
  });

  test('complete: its release, and an upgrade when one is pending', () => {
    const complete = { ...half, state: 'complete' as const, detail: 'Moodle 4.5.6 (Build: 20250811) installed' };
    assert.deepEqual(databaseVerdict(status(complete)), { kind: 'ok', line: 'Moodle 4.5.6 (Build: 20250811) installed' });
    assert.match(databaseVerdict(status(complete, { pending: 'upgrade' })).line, /installed; an upgrade is pending/);
  });

  test('empty, unreadable', () => {
    assert.equal(databaseVerdict(status({ ...half, state: 'empty' }, { database: null })).kind, 'empty');
    assert.deepEqual(databaseVerdict('database x-db unreachable'), { kind: 'unknown', line: 'could not be read: database x-db unreachable' });
  });
});
