// Arguments of `moodle-ha drill`, and which clusters can run which drill.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { whyNotApplicable } from '../../../src/ops/drills/applicability.ts';
import { parseDrillArgs } from '../../../src/ops/drills/options.ts';
import { DRILL_NAMES } from '../../../src/ops/drills/registry.ts';
import { UserError } from '../../../src/util/errors.ts';

/** The problems a UserError lists, or [] when parsing succeeded. */
function problems(positionals: string[], values: Record<string, string>): readonly string[] {
  try {
    parseDrillArgs(positionals, values);
    return [];
  } catch (e) {
    assert.ok(e instanceof UserError, String(e));
    assert.match(e.message, /nothing was run/);
    return e.details;
  }
}

describe('drill arguments', () => {
  test('defaults: 6 users, 60 s, fault at 20 s, think 0.5 s, ./drill-results', () => {
    assert.deepEqual(parseDrillArgs(['web-loss'], {}), {
      drills: ['web-loss'],
      users: 6,
      durationSeconds: 60,
      faultAtSeconds: 20,
      thinkSeconds: 0.5,
      rampSeconds: 5,
      outDir: 'drill-results',
    });
  });
  test('flags with units; the ramp is a quarter of the time before the fault, at most 5 s', () => {
    const o = parseDrillArgs(['db-writer-loss'], { users: '4', duration: '2m', 'fault-at': '8s', out: '/tmp/x' });
    assert.deepEqual(o, { drills: ['db-writer-loss'], users: 4, durationSeconds: 120, faultAtSeconds: 8, thinkSeconds: 0.5, rampSeconds: 2, outDir: '/tmp/x' });
  });
  test('"all" runs every drill, full-restart then upgrade last (it leaves the cluster on a newer plugin)', () => {
    assert.deepEqual(parseDrillArgs(['all'], {}).drills, [...DRILL_NAMES]);
    assert.deepEqual(DRILL_NAMES.slice(-2), ['full-restart', 'upgrade']);
  });
  test('a missing or unknown drill, with a suggestion', () => {
    assert.match(problems([], {})[0]!, /name the drill: moodle-ha drill NAME/);
    assert.match(problems(['web-los'], {})[0]!, /unknown drill "web-los" \(did you mean "web-loss"\?\)/);
  });
  test('every bad flag is reported at once', () => {
    const p = problems(['web-loss'], { users: '0', duration: 'ten', 'fault-at': '2s', out: ' ' });
    assert.equal(p.length, 4, p.join('\n'));
    assert.match(p[0]!, /--users "0" must be a whole number from 1 to 50/);
    assert.match(p[1]!, /--duration "ten" is not a duration/);
    assert.match(p[2]!, /--fault-at must be at least 5s/);
    assert.match(p[3]!, /--out needs a folder/);
  });
  test('the fault must leave time to recover, and the duration is bounded', () => {
    assert.match(problems(['web-loss'], { duration: '30s', 'fault-at': '25s' })[0]!, /--fault-at \(25s\) must leave at least 10s .* at most 20s/);
    assert.match(problems(['web-loss'], { duration: '5s' })[0]!, /--duration must be from 15s to 20m/);
    assert.match(problems(['web-loss'], { users: '2.5' })[0]!, /--users "2\.5"/);
  });
});

describe('which cluster can run a drill', () => {
  const dev = { name: 'moodle', profile: 'dev', webNodes: 2, sourcePlugins: 0 };
  const ha = { name: 'moodle', profile: 'ha', webNodes: 2, sourcePlugins: 0 };
  test('drills that need the ha profile are refused on a dev cluster, saying what to change', () => {
    for (const d of ['db-writer-loss', 'cache-primary-loss'] as const) {
      const why = whyNotApplicable(d, dev);
      assert.match(why!, new RegExp(`drill ${d} needs the ha profile`));
      assert.match(why!, /set "profile: ha" in moodle-ha\.yaml .* run "moodle-ha up"/);
      assert.equal(whyNotApplicable(d, ha), undefined);
    }
  });
  test('web-loss and scale-in need two web nodes', () => {
    for (const d of ['web-loss', 'scale-in'] as const) {
      assert.match(whyNotApplicable(d, { ...dev, webNodes: 1 })!, /needs at least 2 running web nodes; cluster "moodle" has 1: run "moodle-ha scale 2"/);
      assert.equal(whyNotApplicable(d, dev), undefined);
    }
  });
  test('lb-restart and full-restart run anywhere', () => {
    assert.equal(whyNotApplicable('lb-restart', { ...dev, webNodes: 1 }), undefined);
    assert.equal(whyNotApplicable('full-restart', { ...dev, webNodes: 1 }), undefined);
  });
  test('upgrade needs a plugin listed with a source folder, and says how to add one', () => {
    assert.match(
      whyNotApplicable('upgrade', dev)!,
      /drill upgrade raises a plugin's version; cluster "moodle" lists no plugin with a source folder: add one under "plugins:"/,
    );
    assert.equal(whyNotApplicable('upgrade', { ...dev, webNodes: 1, sourcePlugins: 1 }), undefined);
  });
});
