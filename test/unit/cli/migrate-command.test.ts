// `moodle-ha migrate` refusals that need no cluster: an unknown action (with a suggestion), --json
// without status, --reinstall with an action and --yes without it, and `migrate log` before any run was kept.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cli } from './run-cli.ts';
import { tempDir } from '../../support/temp.ts';

describe('moodle-ha migrate', () => {
  test('an unknown action: exit 2, the closest action, the three forms', async () => {
    const r = await cli(['migrate', 'stauts']);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /unknown migrate action "stauts" \(did you mean "status"\?\): use "moodle-ha migrate", "moodle-ha migrate status" or "moodle-ha migrate log"/,
    );
  });

  test('--json goes with status only', async () => {
    const r = await cli(['migrate', '--json']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--json goes with "moodle-ha migrate status --json"/);
  });

  test('--reinstall goes with migrate alone, --yes with --reinstall', async () => {
    const a = await cli(['migrate', 'status', '--reinstall']);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /--reinstall goes with migrate alone: "moodle-ha migrate --reinstall"/);
    const b = await cli(['migrate', '--yes']);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /--yes goes with --reinstall: "moodle-ha migrate --reinstall --yes"/);
  });

  test('migrate log before any run is kept: exit 2, what runs one', async () => {
    const saved = process.env.MOODLE_HA_STATE;
    process.env.MOODLE_HA_STATE = tempDir('mh-migrate-cmd-');
    try {
      const r = await cli(['migrate', 'log']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /no migrate run is kept for cluster "[^"]+" yet: "moodle-ha migrate" or "moodle-ha up" runs one/);
    } finally {
      if (saved === undefined) delete process.env.MOODLE_HA_STATE;
      else process.env.MOODLE_HA_STATE = saved;
    }
  });
});
