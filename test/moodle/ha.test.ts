// One ha cluster with real Moodle, brought up once with the CLI for three suites in this order
// (each in its own file under ha/): the drills under load (first: each holds the cluster to a
// steady state before its fault and restores it after, and the last, full-restart, ends with a
// down and an up), the data tier's rolls (they change the database's definition and roll Redis,
// then roll it back), and the profile's own checks (last: they kill every Galera member at once
// and remove members for the controller to re-create, which a later suite would start from).
// One `up` and one `down` where each suite had its own: about 2 min of CI's time each.
// MOODLE_HA_HA_SUITES=drills (or profile, data-roll; comma-separated) runs only those suites.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { cli } from '../support/cli.ts';
import { specFile, upRun } from './ha/cluster.ts';
import { dataRollSuite } from './ha/data-roll.ts';
import { drillsSuite } from './ha/drills.ts';
import { profileSuite } from './ha/profile.ts';

const SUITES = [
  { name: 'drills', title: 'drills under load', register: drillsSuite, timeout: 5_400_000 },
  { name: 'data-roll', title: 'rolling the data tier while a user is served', register: dataRollSuite, timeout: 3_000_000 },
  { name: 'profile', title: 'the ha profile', register: profileSuite, timeout: 2_400_000 },
] as const;
const chosen = process.env.MOODLE_HA_HA_SUITES?.split(',').map((s) => s.trim());
const unknown = chosen?.filter((c) => !SUITES.some((s) => s.name === c)) ?? [];
if (unknown.length) throw new Error(`MOODLE_HA_HA_SUITES: no suite ${unknown.join(', ')}; use ${SUITES.map((s) => s.name).join(', ')}`);

describe('one ha cluster with real Moodle', () => {
  before(async () => {
    await cli(['down', '--volumes', '--spec', specFile]);
    const r = await cli(['up', '--spec', specFile], { echo: true, timeoutMs: 1_500_000 });
    assert.equal(r.code, 0, `up failed:\n${r.stderr.slice(-4000)}`);
    assert.match(r.stdout, /2 web nodes/);
    upRun.stderr = r.stderr;
  });

  after(async () => {
    if (process.env.MOODLE_HA_KEEP_TEST_CLUSTER !== '1') await cli(['down', '--volumes', '--spec', specFile]);
  });

  for (const s of SUITES) if (!chosen || chosen.includes(s.name)) describe(s.title, { timeout: s.timeout }, s.register);
});
