// Migrate reports what changed (issue 9): a first `up` names the add-ons it installed; an `up` with
// a plugin of the site tree left out (moodle.excludePlugins) builds an image without it, and its
// migrate names it "missing from disk" with what that means and the two ways out; `migrate
// status` and `migrate log` still show it afterwards. The cached 4.5.6 tree is a real site's, with
// four add-ons (local_assessment, local_assessmentreport, local_corechanges, theme_moove).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { exec } from '../../src/local/containers.ts';
import { clusterNames } from '../../src/local/names.ts';
import { INSTALL_CACHE_ENV } from '../../src/local/install-cache.ts';
import { cli } from '../support/cli.ts';

// This file tests the install itself: never the install cache's copy of one.
delete process.env[INSTALL_CACHE_ENV];
const NAME = 'mh9hrep';
const dir = mkdtempSync(join(tmpdir(), 'moodle-ha-report-'));
const specFile = join(dir, 'moodle-ha.yaml');
const ports = 'ports:\n  http: 36200\n  stats: 36204\n  mail: 36205\n';
const n = clusterNames(NAME);

after(async () => {
  await cli(['down', '--volumes', '--spec', specFile], { timeoutMs: 600_000 });
});

test('up installs and names the add-ons; up with a plugin left out names it missing from disk', { timeout: 2_400_000 }, async () => {
  writeFileSync(specFile, `name: ${NAME}\n${ports}`);
  await cli(['down', '--volumes', '--spec', specFile]);
  const first = await cli(['up', '--spec', specFile], { timeoutMs: 1_200_000 });
  assert.equal(first.code, 0, first.stderr.slice(-3000));
  assert.match(
    first.stdout,
    /^ {2}changes: {2}Moodle 4\.5\.6 \(Build: \d+\) \(2024100706(\.00)?\) installed with its \d+ standard plugins; 4 add-ons installed \(local_assessment \d+, local_assessmentreport \d+, local_corechanges \d+, theme_moove \d+\)$/m,
  );
  assert.match(first.stderr, /migrate-report: Moodle 4\.5\.6 .* installed/, 'the report lines stream with the migrate step');
  assert.doesNotMatch(first.stdout, /missing from disk/);

  writeFileSync(specFile, `name: ${NAME}\n${ports}moodle:\n  excludePlugins: [local_assessmentreport]\n`);
  const second = await cli(['up', '--spec', specFile], { timeoutMs: 1_200_000 });
  assert.equal(second.code, 0, second.stderr.slice(-3000));
  assert.match(second.stdout, /^ {2}changes: {2}Moodle 4\.5\.6 .* unchanged; 1 missing from disk \(local_assessmentreport\)$/m);
  assert.match(
    second.stdout,
    /1 plugin is missing from disk \(installed in the database, not in the code\): local_assessmentreport \(version \d+, left out by moodle\.excludePlugins\)/,
  );
  assert.match(second.stdout, /admin\/plugins\.php\) as "Missing from disk"; their settings and data stay/);
  assert.match(second.stdout, new RegExp(`docker exec ${n.container('web', 1)} php admin/cli/uninstall_plugins\\.php --plugins=local_assessmentreport --run`));
  assert.match(
    second.stderr,
    /migrate-report: missing from disk: local_assessmentreport \(version \d+ in the database\), left out of the image by moodle\.excludePlugins/,
  );

  // The image: the plugin's folder is not there, and its code record names it.
  const web = n.container('web', 1);
  assert.notEqual((await exec(web, ['test', '-e', '/var/www/moodle/local/assessmentreport'])).code, 0, 'the excluded plugin is in the image');
  assert.equal((await exec(web, ['test', '-e', '/var/www/moodle/local/assessment/version.php'])).code, 0, 'a plugin not left out must still be there');
  const record = JSON.parse((await exec(web, ['cat', '/opt/moodle-ha/code-version.json'])).output) as { excludedPlugins: string[] };
  assert.deepEqual(record.excludedPlugins, ['local_assessmentreport']);

  // Afterwards: `migrate status` names the change, `migrate log` has the lines and the JSON line.
  const status = await cli(['migrate', 'status', '--spec', specFile]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^changes: +Moodle 4\.5\.6 .*1 missing from disk \(local_assessmentreport\)$/m);
  const log = await cli(['migrate', 'log', '--spec', specFile]);
  assert.match(log.stdout, /^migrate-report: missing from disk: local_assessmentreport/m);
  assert.match(log.stdout, /^MIGRATE-REPORT \{"schema":"moodle-ha\.migrate-report\/1"/m);

  // Moodle's own view agrees: its CLI lists the plugin as missing from disk.
  const missing = await exec(web, ['php', '/var/www/moodle/admin/cli/uninstall_plugins.php', '--show-missing']);
  assert.match(missing.output, /local_assessmentreport/);
});
