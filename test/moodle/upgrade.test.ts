// An upgrade under users (issue 9): `up` with an image whose plugin version is newer, while
// clients poll the site through the load balancer the whole time. Every answer must be a page
// (200/303) or Moodle's own maintenance page (503 with Retry-After, the body of climaintenance.html):
// never the load balancer's "no server available", a reset, or an error from old code against the
// new schema. The maintenance window (first to last maintenance answer) may last migrate's own run
// and 5 s more; afterwards only nodes with the new image serve, and a logged-in user stays logged in.
// A node of the new image started before migrate is not ready; the plugin's upgrade step runs once
// per version, in maintenance mode (also when up is interrupted after migrate and run again); each
// up keeps the previous runtime image and prunes the one before it.
// Migrate reports what changed: the first `up` names the add-ons it installed; an `up` with a plugin
// of the site tree left out (moodle.excludePlugins) builds an image without it, and its migrate
// names it "missing from disk" with what that means and the two ways out; `migrate status` and
// `migrate log` still show it afterwards. The cached 4.5.6 tree is a real site's, with four add-ons
// (local_assessment, local_assessmentreport, local_corechanges, theme_moove), and the probe is a fifth.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { docker, imageExists } from '../../src/local/engine/docker.ts';
import { ensureContainer, exec, inspectContainer, removeContainer, sleep } from '../../src/local/containers.ts';
import { webServers } from '../../src/local/lb-runtime.ts';
import { MAINTENANCE_MARKER } from '../../src/local/maintenance.ts';
import { lastMigrateRun } from '../../src/local/migrate-log.ts';
import { clusterNames } from '../../src/local/names.ts';
import { INSTALL_CACHE_ENV } from '../../src/local/install-cache.ts';
import { readyz } from '../../src/local/readiness.ts';
import { recordedRuntimeImages } from '../../src/local/runtime-images.ts';
import { ensureSecrets, secretFile } from '../../src/local/secrets.ts';
import { runtimeContainer } from '../../src/local/services.ts';
import { readSpec } from '../../src/spec/read.ts';
import { cli } from '../support/cli.ts';
import { MoodleClient } from '../support/moodle-client.ts';
import { TEST_CLUSTERS } from '../support/test-clusters.ts';

// The first up's install report is tested: never the install cache's copy of an install.
delete process.env[INSTALL_CACHE_ENV];
const NAME = TEST_CLUSTERS.upgrade;
const HTTP = 36100;
const dir = mkdtempSync(join(tmpdir(), 'moodle-ha-upgrade-'));
const specFile = join(dir, 'moodle-ha.yaml');
const base = `http://localhost:${HTTP}`;
const n = clusterNames(NAME);
const PROBE = join(import.meta.dirname, '..', 'fixtures', 'plugins', 'moodlehaprobe');

/**
 * The spec with the probe plugin at `version` (a copy of the fixture with its version.php changed),
 * and the site tree's plugins in `excluded` left out of the image.
 */
function withPlugin(version: number, excluded: readonly string[] = []): void {
  const pluginDir = join(dir, `probe-${version}`);
  cpSync(PROBE, pluginDir, { recursive: true });
  const vfile = join(pluginDir, 'version.php');
  writeFileSync(vfile, readFileSync(vfile, 'utf8').replace(/\$plugin->version = \d+;/, `$plugin->version = ${version};`));
  writeFileSync(
    specFile,
    `name: ${NAME}\nports:\n  http: ${HTTP}\n  stats: 36104\n  mail: 36105\nweb:\n  nodes: 2\n` +
      `plugins:\n  - component: local_moodlehaprobe\n    source: ${pluginDir}\n    version: ${version}\n` +
      (excluded.length ? `moodle:\n  excludePlugins: [${excluded.join(', ')}]\n` : ''),
  );
}

/** The probe plugin's settings: its version, and what its upgrade step recorded (runs, maintenance seen). */
const probeConfig = async () =>
  JSON.parse(
    (
      await exec(n.container('web', 1), [
        'php',
        '-r',
        `define('CLI_SCRIPT', true); require '/var/www/moodle/config.php'; echo json_encode(get_config('local_moodlehaprobe'));`,
      ])
    ).output,
  ) as Record<string, string>;
/** The image ID web-1 runs, after each up that changed it (install, v2, v3, v3 without a plugin). */
const images: string[] = [];
const webImage = async () => (await inspectContainer(n.container('web', 1)))!.Image;

interface Answer {
  readonly at: number;
  readonly status: number | 'error';
  readonly what: string;
  readonly maintenance: boolean;
}

/** Clients asking for pages until `stop()`; each answer classified. */
function poll(clients: readonly { client: MoodleClient; path: string }[]) {
  const answers: Answer[] = [];
  let stopped = false;
  const loops = clients.map(async ({ client, path }) => {
    while (!stopped) {
      const at = Date.now();
      try {
        const r = await client.get(path);
        const maintenance = r.status === 503 && r.headers['retry-after'] !== undefined && /undergoing maintenance/.test(r.body);
        answers.push({
          at,
          status: r.status,
          what: `${path}: ${r.body
            .replace(/<[^>]*>/g, ' ')
            .replace(/\s+/g, ' ')
            .trim()
            .slice(0, 160)}`,
          maintenance,
        });
      } catch (e) {
        answers.push({ at, status: 'error', what: `${path}: ${(e as Error).message}`, maintenance: false });
      }
      await sleep(50);
    }
  });
  return {
    answers,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

let firstUp: { stdout: string; stderr: string };
before(async () => {
  await cli(['down', '--volumes', '--spec', specFile]);
  withPlugin(2026010100);
  const r = await cli(['up', '--spec', specFile], { timeoutMs: 900_000 });
  assert.equal(r.code, 0, `up failed:\n${r.stderr.slice(-4000)}`);
  firstUp = r;
  images.push(await webImage());
});

after(async () => {
  if (process.env.MOODLE_HA_KEEP_TEST_CLUSTER !== '1') await cli(['down', '--volumes', '--spec', specFile]);
});

test('the first up installs and names the add-ons', () => {
  assert.match(
    firstUp.stdout,
    /^ {2}changes: {2}Moodle 4\.5\.6 \(Build: \d+\) \(2024100706(\.00)?\) installed with its \d+ standard plugins; 5 add-ons installed \(local_assessment \d+, local_assessmentreport \d+, local_corechanges \d+, local_moodlehaprobe 2026010100, theme_moove \d+\)$/m,
  );
  assert.match(firstUp.stderr, /migrate-report: Moodle 4\.5\.6 .* installed/, 'the report lines stream with the migrate step');
  assert.doesNotMatch(firstUp.stdout, /missing from disk/);
});

test('a plugin upgrade under users: only pages and the maintenance page, for migrate plus at most 5 s, then only new code', {
  timeout: 1_500_000,
}, async (t) => {
  const admin = new MoodleClient(base);
  const password = readFileSync(secretFile(NAME, 'admin-password'), 'utf8').trim();
  assert.ok(MoodleClient.loggedIn(await admin.login('admin', password)), 'the admin could not log in');

  withPlugin(2026010200);
  const built = await cli(['build', '--spec', specFile], { timeoutMs: 900_000 });
  assert.equal(built.code, 0, built.stderr.slice(-3000));
  const newImage = built.stdout.split('\n')[0]!.trim();

  // A node of the new code started before migrate ran is not ready: the load balancer would send
  // users to code whose plugin versions the database does not have yet.
  const early = runtimeContainer(
    readSpec({ file: specFile }).spec,
    { runtime: newImage, mariadb: '', redis: '', haproxy: '', mail: '' },
    ensureSecrets(NAME),
    'web',
    9,
  );
  await ensureContainer(early);
  try {
    let answer = { ready: true, answer: '' };
    for (let i = 0; i < 30; i++) {
      answer = await readyz(early.name).catch(() => answer);
      if (/migrate must run/.test(answer.answer)) break;
      await sleep(1000);
    }
    assert.equal(answer.ready, false, 'a node whose code is newer than the database must not be ready');
    assert.match(answer.answer, /plugin versions in the database differ from the code: migrate must run/);
  } finally {
    await removeContainer(early.name);
  }

  const p = poll([
    { client: admin, path: '/my/' },
    { client: new MoodleClient(base), path: '/login/index.php' },
    { client: new MoodleClient(base), path: '/login/index.php' },
  ]);
  await sleep(2000);
  const r = await cli(['up', '--spec', specFile], { timeoutMs: 900_000 });
  await sleep(2000);
  await p.stop();
  assert.equal(r.code, 0, r.stderr.slice(-4000));
  assert.match(r.stdout, /migrate: upgraded/);
  assert.match(r.stderr, /upgrade pending: maintenance mode on/);
  const probe = await probeConfig();
  assert.deepEqual([probe.version, probe.upgraderuns, probe.maintenanceseen], ['2026010200', '1', '1'], 'the upgrade step ran once, in maintenance mode');
  images.push(await webImage());
  assert.notEqual(images[1], images[0], 'a new plugin version makes a new runtime image');
  assert.ok(await imageExists(images[0]!), 'the image the cluster ran before this up is kept');

  const maint = p.answers.filter((a) => a.maintenance);
  const other = p.answers.filter((a) => !a.maintenance && a.status !== 200 && a.status !== 303);
  const run = lastMigrateRun(NAME)!;
  const migrateMs = Date.parse(run.finishedAt) - Date.parse(run.startedAt);
  // Answers are in the order they came back, from 3 clients at once: the window is by start time.
  const firstMaint = Math.min(...maint.map((a) => a.at));
  const lastMaint = Math.max(...maint.map((a) => a.at));
  const windowMs = maint.length ? lastMaint - firstMaint : 0;
  const cutover = /maintenance mode off ([\d.]+) s after migrate/.exec(r.stderr)?.[1] ?? '?';
  const figures = `${p.answers.length} answers: ${p.answers.length - maint.length - other.length} pages, ${maint.length} maintenance 503s, ${other.length} others; maintenance window ${(windowMs / 1000).toFixed(1)} s, migrate's run ${(migrateMs / 1000).toFixed(1)} s; from migrate's end to maintenance off ${cutover} s`;
  t.diagnostic(figures);
  console.log(`upgrade: ${figures}`);
  for (const a of other.slice(0, 5)) console.log(`  not a page nor the maintenance page: ${a.status} ${a.what}`);
  // The old cron is stopped before migrate: its keep-alive loop would run old code against the new schema.
  const cronStopped = r.stderr.indexOf(`${n.container('cron')}: stopped before migrate`);
  assert.ok(cronStopped >= 0 && cronStopped < r.stderr.indexOf('upgrade pending: maintenance mode on'), 'the old cron ran on into the upgrade');
  assert.deepEqual(
    other.slice(0, 10).map((a) => `${a.status} ${a.what}`),
    [],
    `${other.length} answers were neither a page nor the maintenance page (${figures})`,
  );
  assert.ok(maint.length > 0, `no maintenance page was seen: the test saw no upgrade window (${figures})`);
  assert.ok(windowMs <= migrateMs + 5000, `the maintenance window outlasted migrate's run by more than 5 s (${figures})`);
  // After the window, pages only (no maintenance page came back).
  const afterWindow = p.answers.filter((a) => a.at > lastMaint);
  assert.ok(afterWindow.length > 0, 'no answer after the maintenance window: the site did not come back while the clients polled');
  assert.ok(
    afterWindow.every((a) => a.status === 200 || a.status === 303),
    'after the maintenance window, only pages',
  );

  // Only the new code serves: the planned nodes, on the new image, and no extra node left.
  const spec = readSpec({ file: specFile }).spec;
  const listed = await webServers(spec);
  assert.deepEqual(
    listed.map((s) => `${s.server} ${s.status}`),
    [`${n.container('web', 1)} UP`, `${n.container('web', 2)} UP`],
  );
  const imageId = (await inspectContainer(n.container('web', 1)))!.Image;
  for (const i of [1, 2]) assert.equal((await inspectContainer(n.container('web', i)))!.Config.Image, newImage, `web-${i} is not on the new image`);
  assert.equal((await inspectContainer(n.container('web', 2)))!.Image, imageId);
  assert.equal(await inspectContainer(n.container('web', 3)), undefined, "the cutover's extra node is still there");
  assert.notEqual((await exec(n.container('web', 1), ['test', '-e', '/var/www/moodledata/climaintenance.html'])).code, 0, 'maintenance mode is still on');
  assert.notEqual((await exec(n.container('web', 1), ['test', '-e', MAINTENANCE_MARKER])).code, 0, "migrate's maintenance marker is still there");
  assert.ok(MoodleClient.loggedIn((await admin.get('/my/')).body), 'the upgrade logged the admin out');
});

// One up for two things a site does at once (each up here costs CI a build and a cutover, 90 s): a
// plugin upgrade interrupted right after its migrate, and a plugin of the tree left out.
test('Ctrl-C on up right after an upgrade that also leaves a plugin of the tree out: the site stays on the maintenance page; the next up cuts over and turns it off, and migrate, migrate status and Moodle name the plugin missing from disk', {
  timeout: 1_500_000,
}, async () => {
  withPlugin(2026010300, ['local_assessmentreport']);
  const built = await cli(['build', '--spec', specFile], { timeoutMs: 1_200_000 });
  assert.equal(built.code, 0, built.stderr.slice(-3000));
  const newImage = built.stdout.split('\n')[0]!.trim();
  // Interrupted at migrate's last line: after MIGRATE-RESULT it still configures caches and reports
  // for some seconds, and a next up that finds it running attaches and reports its upgrade as its own.
  const first = await cli(['up', '--spec', specFile], { timeoutMs: 1_200_000, interrupt: { when: /done \(upgraded\); lock released/ } });
  assert.equal(first.signal, 'SIGINT', `up was not interrupted after its migrate:\n${first.stderr.slice(-3000)}`);
  for (let i = 0; (await inspectContainer(n.container('migrate')))?.State.Running; i++) {
    assert.ok(i < 60, 'the migrate container still runs 30 s after its last line');
    await sleep(500);
  }
  assert.match(first.stderr, /\ninterrupted: \S+ is partly up: .*Run "moodle-ha up .*" to finish/, 'the interrupted up did not say what it left');
  assert.equal((await exec(n.container('web', 1), ['test', '-e', MAINTENANCE_MARKER])).code, 0, "migrate's maintenance is not on after the interrupted up");
  const page = await new MoodleClient(base).get('/login/index.php');
  assert.equal(page.status, 503, 'users must meet the maintenance page, not the old code, while the upgrade is left half-done');
  assert.match(page.body, /undergoing maintenance/);

  const p = poll([
    { client: new MoodleClient(base), path: '/login/index.php' },
    { client: new MoodleClient(base), path: '/login/index.php' },
  ]);
  const r = await cli(['up', '--spec', specFile], { timeoutMs: 900_000 });
  await sleep(2000);
  await p.stop();
  assert.equal(r.code, 0, r.stderr.slice(-4000));
  assert.match(r.stderr, /the new code serves alone, maintenance mode off/);
  const other = p.answers.filter((a) => !a.maintenance && a.status !== 200 && a.status !== 303);
  assert.deepEqual(
    other.slice(0, 10).map((a) => `${a.status} ${a.what}`),
    [],
  );
  assert.notEqual((await exec(n.container('web', 1), ['test', '-e', '/var/www/moodledata/climaintenance.html'])).code, 0, 'maintenance mode is still on');
  for (const i of [1, 2]) assert.equal((await inspectContainer(n.container('web', i)))!.Config.Image, newImage, `web-${i} is not on the new image`);
  assert.equal(await inspectContainer(n.container('web', 3)), undefined, "the cutover's extra node is still there");
  const listed = await webServers(readSpec({ file: specFile }).spec);
  assert.deepEqual(
    listed.map((s) => s.server),
    [n.container('web', 1), n.container('web', 2)],
  );
  // The interrupted up's migrate ran the step; the next up (the same image) did not run it again.
  const probe = await probeConfig();
  assert.deepEqual([probe.version, probe.upgraderuns], ['2026010300', '2'], 'the upgrade step ran once for this version');
  images.push(await webImage());

  // The plugin left out: the next up's migrate (unchanged) names it missing from disk, with what that means.
  assert.match(r.stdout, /^ {2}changes: {2}Moodle 4\.5\.6 .* unchanged; 1 missing from disk \(local_assessmentreport\)$/m);
  assert.match(
    r.stdout,
    /1 plugin is missing from disk \(installed in the database, not in the code\): local_assessmentreport \(version \d+, left out by moodle\.excludePlugins\)/,
  );
  assert.match(r.stdout, /admin\/plugins\.php\) as "Missing from disk"; their settings and data stay/);
  assert.match(r.stdout, new RegExp(`docker exec ${n.container('web', 1)} php admin/cli/uninstall_plugins\\.php --plugins=local_assessmentreport --run`));
  assert.match(
    r.stderr,
    /migrate-report: missing from disk: local_assessmentreport \(version \d+ in the database\), left out of the image by moodle\.excludePlugins/,
  );

  // The image: the plugin's folder is not there, and its code record names it.
  const web = n.container('web', 1);
  assert.notEqual((await exec(web, ['test', '-e', '/var/www/moodle/local/assessmentreport'])).code, 0, 'the excluded plugin is in the image');
  assert.equal((await exec(web, ['test', '-e', '/var/www/moodle/local/assessment/version.php'])).code, 0, 'a plugin not left out must still be there');
  const record = JSON.parse((await exec(web, ['cat', '/opt/moodle-ha/code-version.json'])).output) as { excludedPlugins: string[] };
  assert.deepEqual(record.excludedPlugins, ['local_assessmentreport']);

  // Old runtime images go after an up: the one two ups ago, not the previous nor the current. (Another
  // cluster on this engine may run it, or have it recorded: then it rightly stays.)
  const [twoAgo, previous] = images;
  assert.ok(twoAgo && previous && images.length === 3, `images recorded by the tests before: ${images.join(', ')}`);
  assert.match(r.stderr, /old runtime images?/, 'up did not prune');
  assert.ok(await imageExists(previous), 'the previous image was pruned');
  assert.ok(await imageExists(await webImage()), 'the running image was pruned');
  const othersNeed =
    (await docker().listContainers({ all: true })).some((c) => c.ImageID === twoAgo) ||
    recordedRuntimeImages().some((i) => i.id === twoAgo && i.cluster !== NAME);
  if (!othersNeed) {
    assert.equal(await imageExists(twoAgo), false, 'the image two ups ago was not pruned');
    assert.match(r.stderr, /removed \d+ old runtime images? \([^)]*\): [\d.]+ (B|kB|MB|GB) freed/);
  }

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
