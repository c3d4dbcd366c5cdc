// One dev cluster with real Moodle (two web nodes), brought up once with the CLI for three suites
// in this order (each in its own file under dev/): mail, PDF annotation and the settings after
// install (first: the admin's first login is tested), `moodle-ha load`, and the tiered caches
// across the two nodes (last: they change a language string and a setting). One `up` and one
// `down` where each suite had its own.
// MOODLE_HA_DEV_SUITES=load (or mail, muc; comma-separated) runs only those suites.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { cli } from '../support/cli.ts';
import { MAIL, specFile } from './dev/cluster.ts';
import { loadSuite } from './dev/load.ts';
import { mailSuite } from './dev/mail.ts';
import { mucSuite } from './dev/muc.ts';

const SUITES = [
  { name: 'mail', title: 'mail, PDF annotation and the settings after install', register: mailSuite, timeout: 1_800_000 },
  { name: 'load', title: 'moodle-ha load', register: loadSuite, timeout: 900_000 },
  { name: 'muc', title: 'tiered MUC caches on two web nodes', register: mucSuite, timeout: 900_000 },
] as const;
const chosen = process.env.MOODLE_HA_DEV_SUITES?.split(',').map((s) => s.trim());
const unknown = chosen?.filter((c) => !SUITES.some((s) => s.name === c)) ?? [];
if (unknown.length) throw new Error(`MOODLE_HA_DEV_SUITES: no suite ${unknown.join(', ')}; use ${SUITES.map((s) => s.name).join(', ')}`);

describe('one dev cluster with real Moodle', () => {
  before(async () => {
    await cli(['down', '--volumes', '--spec', specFile]);
    const r = await cli(['up', '--spec', specFile], { echo: true, timeoutMs: 1_500_000 });
    assert.equal(r.code, 0, `up failed:\n${r.stderr.slice(-4000)}`);
    assert.match(r.stdout, /2 web nodes/);
    assert.match(r.stdout, new RegExp(`mail: +http://127\\.0\\.0\\.1:${MAIL}/`), 'up names the mail catcher');
  });

  after(async () => {
    if (process.env.MOODLE_HA_KEEP_TEST_CLUSTER !== '1') await cli(['down', '--volumes', '--spec', specFile]);
  });

  for (const s of SUITES) if (!chosen || chosen.includes(s.name)) describe(s.title, { timeout: s.timeout }, s.register);
});
