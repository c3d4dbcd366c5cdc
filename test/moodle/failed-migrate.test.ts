// A migrate that fails leaves nothing half-started: `up` exits 2 quoting the migrate log, and the
// containers, network, volumes and secrets that run created are gone again (its log is kept).
// An install interrupted half-way (issue 9): Ctrl-C on a first `up` leaves its migrate running and
// `status` says the install is under way; that migrate killed mid-install leaves a half-installed
// database that `status` and `up` name, and `migrate --reinstall` is the one way out (a site with
// data is never reinstalled); `down` waits for a running migrate (here the reinstall's). One
// install in all: each install here takes minutes of the CI's time.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LABELS } from '../../src/contract/image.ts';
import { exec, inspectContainer, sleep } from '../../src/local/containers.ts';
import { docker } from '../../src/local/engine/docker.ts';
import { migrateLogDir } from '../../src/local/migrate-log.ts';
import { clusterNames } from '../../src/local/names.ts';
import { secretsDir } from '../../src/local/secrets.ts';
import { INSTALL_CACHE_ENV } from '../../src/local/install-cache.ts';
import { BIN, type CliRun, cli } from '../support/cli.ts';
import { TEST_CLUSTERS } from '../support/test-clusters.ts';

// This file tests the install itself: never the install cache's copy of one.
delete process.env[INSTALL_CACHE_ENV];
const NAME = TEST_CLUSTERS.failedMigrate;
const dir = mkdtempSync(join(tmpdir(), 'moodle-ha-fail-'));
const specFile = join(dir, 'moodle-ha.yaml');
const plugin = join(import.meta.dirname, '..', 'fixtures', 'plugins', 'moodlehabroken');
writeFileSync(
  specFile,
  `name: ${NAME}\nports:\n  http: 18280\n  stats: 18604\n  mail: 18605\nplugins:\n  - component: local_moodlehabroken\n    source: ${plugin}\n`,
);

const HALF = 'mhhalf';
const HALF_HTTP = 18290;
const halfSpec = join(dir, 'half.yaml');
writeFileSync(halfSpec, `name: ${HALF}\nports:\n  http: ${HALF_HTTP}\n  stats: 18294\n  mail: 18295\n`);
const h = clusterNames(HALF);

after(async () => {
  await cli(['down', '--volumes', '--spec', specFile]);
  await cli(['down', '--volumes', '--spec', halfSpec], { timeoutMs: 1_200_000 });
});

test('a failed migrate: exit 2, the migrate log quoted, nothing left behind', { timeout: 900_000 }, async () => {
  await cli(['down', '--volumes', '--spec', specFile]);
  const r = await cli(['up', '--spec', specFile], { timeoutMs: 900_000 });
  assert.equal(r.code, 2, r.stderr.slice(-3000));
  assert.match(r.stderr, /error: migrate failed \(exit 70\); the web tier was not started or changed/);
  // The plugin needs a newer Moodle: Moodle's installer refuses before it installs anything.
  assert.match(r.stderr, /Dependencies check failed for local_moodlehabroken/);
  assert.match(r.stderr, /rolling back what this run created/);
  const filters = { label: [`${LABELS.cluster}=${NAME}`] };
  assert.deepEqual(
    (await docker().listContainers({ all: true, filters })).map((c) => c.Names[0]),
    [],
  );
  assert.deepEqual(
    (await docker().listNetworks({ filters })).map((n) => n.Name),
    [],
  );
  assert.deepEqual(
    ((await docker().listVolumes({ filters })).Volumes ?? []).map((v) => v.Name),
    [],
  );
  assert.equal(existsSync(secretsDir(NAME)), false, 'the generated secrets of a cluster that never started must go too');
  assert.equal(
    readdirSync(migrateLogDir(NAME)).filter((f) => f.endsWith('.log')).length,
    1,
    'the failed run\'s log is kept: the error points to "migrate log"',
  );
  const log = await cli(['migrate', 'log', '--spec', specFile]);
  assert.equal(log.code, 0, log.stderr);
  assert.match(log.stdout, /You must solve all the plugin requirements/);
});

/**
 * Starts a command as a person would, and sends it SIGINT (Ctrl-C) once its migrate has begun
 * installing Moodle (and `afterMs` more have passed). Returns its exit code and what it said.
 */
async function interruptedWhileInstalling(args: readonly string[], afterMs: number): Promise<CliRun> {
  // The first run builds the images.
  const r = await cli([...args, '--spec', halfSpec], { timeoutMs: 1_200_000, interrupt: { when: /empty database: installing Moodle/, afterMs } });
  assert.ok(r.interrupted, `${args[0]} ended before migrate installed:\n${r.stderr.slice(-3000)}`);
  return r;
}

const sql = (q: string) => exec(h.container('db'), ['mariadb', '--protocol=socket', '-N', '-s', 'moodle', '-e', q]);

test('an interrupted install: status and up say so, down waits for a running migrate, migrate --reinstall is the way out, a site with data is never reinstalled', {
  timeout: 3_600_000,
}, async () => {
  await cli(['down', '--volumes', '--spec', halfSpec], { timeoutMs: 1_200_000 });

  // 1. Ctrl-C on a first `up` during the install: its migrate goes on; status says the install is under way.
  const first = await interruptedWhileInstalling(['up'], 3000); // core tables are being created
  assert.notEqual(first.code, 0, first.stderr.slice(-2000));
  assert.equal((await inspectContainer(h.container('migrate')))?.State.Running, true, 'Ctrl-C on up must not stop its migrate');
  const busy = await cli(['status', '--spec', halfSpec]);
  assert.match(busy.stdout, /database: install (under way|starting)/, busy.stdout + busy.stderr);

  // 2. That migrate now killed mid-install (a crash, an OOM, what the old second `up` did): a half-installed database.
  await docker().getContainer(h.container('migrate')).kill();
  const status = await cli(['status', '--spec', halfSpec]);
  assert.equal(status.code, 1, status.stdout + status.stderr);
  assert.match(status.stdout, /database: INTERRUPTED INSTALL: the install stopped half-way \(.+\)/);
  assert.match(status.stdout, new RegExp(`the way out: "moodle-ha migrate --reinstall -f ${halfSpec.replace(/[/.]/g, '\\$&')}"`));
  const json = JSON.parse((await cli(['status', '--json', '--spec', halfSpec])).stdout) as { database: { kind: string } };
  assert.equal(json.database.kind, 'interrupted');

  // 4. `up` refuses to build on it, says what the database holds and names the way out; it changes nothing.
  //    Even after a `down` in between: the data tier it started stays running for the way out.
  const tables = (await sql("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'moodle'")).output.trim();
  assert.equal((await cli(['down', '--spec', halfSpec], { timeoutMs: 600_000 })).code, 0);
  const again = await cli(['up', '--spec', halfSpec], { timeoutMs: 900_000 });
  assert.equal(again.code, 2, again.stderr.slice(-3000));
  assert.match(again.stderr, /the database holds an install that stopped half-way \(.+\)/);
  assert.match(again.stderr, /The way out: "moodle-ha migrate --reinstall -f /);
  assert.doesNotMatch(again.stderr, /migrate failed \(exit/);
  assert.doesNotMatch(again.stderr, /rolling back/);
  assert.equal((await inspectContainer(h.container('db')))?.State.Running, true, 'the database must stay running for migrate --reinstall');
  assert.equal((await sql("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'moodle'")).output.trim(), tables, 'up changed the database');

  // 5. The way out: without a terminal it asks for --yes; with it, it reinstalls. Ctrl-C on it
  //    leaves its migrate running, and `down` waits for that migrate's end (it is never removed half-way).
  const noTty = await cli(['migrate', '--reinstall', '--spec', halfSpec]);
  assert.equal(noTty.code, 2, noTty.stderr);
  assert.match(noTty.stderr, /no terminal to ask in: run "moodle-ha migrate --reinstall --yes -f /);
  const reinstall = await interruptedWhileInstalling(['migrate', '--reinstall', '--yes'], 0);
  assert.match(reinstall.stderr, /reinstall: dropped the \d+ tables of the interrupted install/);
  assert.equal((await inspectContainer(h.container('migrate')))?.State.Running, true, 'Ctrl-C on migrate must not stop the migrate container');
  const installing = await cli(['status', '--spec', halfSpec]);
  assert.match(installing.stdout, /database: install under way/, installing.stdout + installing.stderr);
  const down = await cli(['down', '--spec', halfSpec], { timeoutMs: 1_200_000 });
  assert.equal(down.code, 0, down.stderr.slice(-3000));
  assert.match(down.stderr + down.stdout, /is running: waiting for its end before stopping anything/);
  const kept = await cli(['migrate', 'log', '--spec', halfSpec]);
  assert.match(kept.stdout, /MIGRATE-RESULT installed/, 'the migrate down waited for ended its install');
  const up = await cli(['up', '--spec', halfSpec], { timeoutMs: 900_000 });
  assert.equal(up.code, 0, up.stderr.slice(-3000));
  const login = await fetch(`http://localhost:${HALF_HTTP}/login/index.php`);
  assert.equal(login.status, 200);
  const ok = await cli(['status', '--spec', halfSpec]);
  assert.equal(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /database: Moodle .* installed/);

  // 5b. An upgrade or install killed half-way leaves Moodle's upgraderunning flag (for 5 min it makes
  //     upgrade.php throw): the next migrate, holding the lock, clears it and goes on.
  await sql("INSERT INTO mdl_config (name, value) VALUES ('upgraderunning', UNIX_TIMESTAMP() + 300)");
  const flagged = await cli(['migrate', '--spec', halfSpec], { timeoutMs: 600_000 });
  assert.equal(flagged.code, 0, flagged.stderr.slice(-3000));
  assert.match(flagged.stderr, /upgraderunning is set, but no other migrate runs/);
  assert.equal((await sql("SELECT COUNT(*) FROM mdl_config WHERE name = 'upgraderunning'")).output.trim(), '0');

  // 5c. `scale` interrupted between a new node's start and the load balancer's reload: the next `scale` adds it.
  const scaling = spawn(process.execPath, [BIN, 'scale', '2', '--spec', halfSpec], { stdio: 'ignore' });
  const scaled = new Promise((resolve) => scaling.on('close', resolve));
  for (let i = 0; i < 600 && !(await inspectContainer(h.container('web', 2)))?.State.Running; i++) await sleep(200);
  scaling.kill('SIGINT');
  await scaled;
  const rescale = await cli(['scale', '2', '--spec', halfSpec], { timeoutMs: 600_000 });
  assert.equal(rescale.code, 0, rescale.stderr);
  const lbAfter = JSON.parse((await cli(['status', '--json', '--spec', halfSpec])).stdout) as { lb: { server: string; status: string }[] };
  assert.deepEqual(
    lbAfter.lb.map((l) => l.server),
    [h.container('web', 1), h.container('web', 2)],
    `the node an interrupted scale started must be in the load balancer: ${rescale.stderr}`,
  );
  assert.equal((await cli(['scale', '1', '--spec', halfSpec], { timeoutMs: 600_000 })).code, 0);

  // 6. A complete site is never reinstalled; nor is a half-installed one that holds someone's data.
  const complete = await cli(['migrate', '--reinstall', '--yes', '--spec', halfSpec]);
  assert.equal(complete.code, 2);
  assert.match(complete.stderr, /the install is complete .*a complete site is never reinstalled\. Nothing was changed\./);
  await sql(
    "INSERT INTO mdl_user (auth, confirmed, mnethostid, username, password, firstname, lastname, email) VALUES ('manual', 1, 1, 'student1', 'x', 'Ann', 'Lee', 'ann@example.invalid'); UPDATE mdl_config SET value = '0' WHERE name = 'rolesactive'",
  );
  const withData = await cli(['migrate', '--reinstall', '--yes', '--spec', halfSpec]);
  assert.equal(withData.code, 2, withData.stderr);
  assert.match(withData.stderr, /holds data \(1 user account\(s\) besides admin and guest\): a site with data is never reinstalled/);
  assert.equal((await sql("SELECT COUNT(*) FROM mdl_user WHERE username = 'student1'")).output.trim(), '1');
  const upWithData = await cli(['up', '--spec', halfSpec], { timeoutMs: 900_000 });
  assert.equal(upWithData.code, 2);
  assert.match(upWithData.stderr, /the database holds an install that stopped half-way/);
});
