// Which test tiers must run (scripts/test-tiers.ts), and scripts/test.ts acting on it: in CI a
// missing Moodle tree fails the run, saying how to get one; elsewhere it is skipped loudly.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { TIERS, whyMandatory } from '../../scripts/test-tiers.ts';
import { tempDir } from '../support/temp.ts';

describe('whyMandatory', () => {
  test('in CI every tier is mandatory: image, and the real-Moodle tiers moodle and twin', () => {
    for (const tier of TIERS) assert.match(whyMandatory(tier, { explicit: false, ci: true }) ?? 'skipped', /^CI=true/, tier);
  });
  test('outside CI, `npm test` skips a tier whose needs are missing', () => {
    for (const tier of TIERS) assert.equal(whyMandatory(tier, { explicit: false, ci: false }), undefined, tier);
  });
  test('a tier asked for by name is mandatory anywhere', () => {
    for (const ci of [false, true]) assert.match(whyMandatory('moodle', { explicit: true, ci }) ?? 'skipped', /asked for by name/);
  });
});

describe('scripts/test.ts with no Moodle tree cached', () => {
  const cache = tempDir('moodle-ha-empty-cache-');
  after(() => rmSync(cache, { recursive: true, force: true }));
  // A filter that matches no test file: the tiers that can run run nothing, quickly.
  const run = (ci: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/test.ts', 'all', 'no-such-test-file'], {
      cwd: join(import.meta.dirname, '..', '..'),
      env: { ...process.env, CI: ci, MOODLE_HA_CACHE: cache },
      encoding: 'utf8',
    });

  test('CI=true: the moodle and twin tiers cannot run, the run fails and says how to import a tree', () => {
    const r = run('true');
    assert.equal(r.status, 1, r.stdout + r.stderr);
    for (const tier of ['moodle', 'twin'])
      assert.match(r.stdout, new RegExp(`CANNOT RUN: the ${tier} tier \\(CI=true: in CI the ${tier} tier is mandatory\\): `));
    assert.doesNotMatch(r.stdout, /test clusters \(/, "a run whose Moodle tier cannot run leaves the engine's clusters alone");
    if (!/no Docker engine answers/.test(r.stdout)) assert.match(r.stdout, /npx moodle-ha moodle import DIR.* or "npx moodle-ha moodle download /);
  });
  test('outside CI: the same tiers are skipped loudly and the run passes', () => {
    const r = run('false');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SKIPPED: the moodle tier: /);
    assert.match(r.stdout, /SKIPPED: the twin tier: /);
  });
});
