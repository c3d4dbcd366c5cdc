// What `up` and `status` print for the user to run next names the spec they were given, so the
// next command, run elsewhere, acts on the same cluster.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeAutoscaler } from '../../../src/cli/commands/status.ts';
import { upSummary } from '../../../src/cli/up-summary.ts';
import { chooseSpec } from '../../../src/spec/hint.ts';
import { validateSpec } from '../../../src/spec/read.ts';

const FILE = '/srv/moodle/campus.yaml';

test("up's summary: every command in it carries -f (--profile is up's and drill's only)", () => {
  const spec = validateSpec({ name: 'campus', autoscaler: { enabled: true } });
  const out = upSummary(
    spec,
    {
      url: 'http://localhost:8080',
      mailUrl: 'http://127.0.0.1:8025',
      adminUser: 'admin',
      adminPasswordFile: '/home/u/.local/state/moodle-ha/campus/secrets/admin-password',
      webNodes: 2,
      migrate: 'installed',
    },
    93,
    { file: FILE, profile: 'ha' },
  );
  const commands = out.match(/moodle-ha [^)\n]*/g) ?? [];
  assert.deepEqual(commands, [
    `moodle-ha logs autoscaler --follow -f ${FILE}`,
    `moodle-ha status -f ${FILE}`,
    `moodle-ha logs web -f ${FILE}`,
    `moodle-ha down -f ${FILE}`,
  ]);
  assert.match(out, /Moodle is up in 93 s \(2 web nodes, migrate: installed\)/);
});

test('without -f the commands are the plain ones', () => {
  const spec = validateSpec({ name: 'campus' });
  const out = upSummary(
    spec,
    {
      url: 'http://localhost:8080',
      mailUrl: 'http://127.0.0.1:8025',
      adminUser: 'admin',
      adminPasswordFile: '/tmp/admin-password',
      webNodes: 1,
      migrate: 'unchanged',
    },
    5,
    {},
  );
  assert.match(out, /stop: +moodle-ha down\n/);
});

test("status's autoscaler line carries the spec of the run", () => {
  chooseSpec({ file: FILE });
  try {
    assert.match(describeAutoscaler('campus', { detached: 'running' }), new RegExp(`live view: moodle-ha logs autoscaler --follow -f ${FILE}\\)`));
    assert.match(describeAutoscaler('campus', { detached: 'stopped' }), new RegExp(`run "moodle-ha up -f ${FILE}" to start it`));
    chooseSpec({ file: FILE, profile: 'ha' });
    assert.match(describeAutoscaler('campus', { detached: 'stopped' }), new RegExp(`run "moodle-ha up -f ${FILE} --profile ha" to start it`));
    assert.match(describeAutoscaler('campus', { detached: 'absent' }), new RegExp(`"moodle-ha autoscale -f ${FILE}"`));
  } finally {
    chooseSpec({});
  }
});
