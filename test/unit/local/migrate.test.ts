// The migrate run's output (src/local/migrate.ts): which lines `up` shows as it runs, lines cut
// between chunks of the stream, and the result read from the log.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EXIT_HOLDS_DATA, EXIT_INTERRUPTED_INSTALL, isMigrateProgress, lineSplitter, migrateFailure, migrateResult } from '../../../src/local/migrate.ts';
import { chooseSpec } from '../../../src/spec/hint.ts';

const MIGRATE_PHP = join(import.meta.dirname, '..', '..', '..', 'images', 'runtime', 'rootfs', 'opt', 'moodle-ha', 'php', 'migrate.php');

// A migrate log as the runtime image writes it: its own steps among Moodle's installer output.
const LOG = `migrate[  0.0s]: waiting for the migrate lock
migrate[  0.3s]: installing Moodle 4.5.6 (Build: 20250811)
-->System
++ Success ++
-->mod_forum
++ Success ++
Installation completed successfully.
MUC: store redis added
MUC: application caches mapped to redis, session caches to the session
recorded code hash 7f3a
site defaults: timezone = Europe/London
site defaults: no new setting left to ask for
moodle-ha: language pack 'cy' is not installed and could not be downloaded
Default exception handler: Error writing to database
PHP Fatal error:  Uncaught Exception: boom
migrate[ 41.2s]: MIGRATE-RESULT installed
`;

describe('the lines up shows while migrate runs', () => {
  test("migrate's steps, the cache and site-default settings, warnings and errors; not Moodle's installer chatter", () => {
    assert.deepEqual(LOG.split('\n').filter(isMigrateProgress), [
      'migrate[  0.0s]: waiting for the migrate lock',
      'migrate[  0.3s]: installing Moodle 4.5.6 (Build: 20250811)',
      'MUC: store redis added',
      'MUC: application caches mapped to redis, session caches to the session',
      'recorded code hash 7f3a',
      'site defaults: timezone = Europe/London',
      'site defaults: no new setting left to ask for',
      "moodle-ha: language pack 'cy' is not installed and could not be downloaded",
      'Default exception handler: Error writing to database',
      'PHP Fatal error:  Uncaught Exception: boom',
      'migrate[ 41.2s]: MIGRATE-RESULT installed',
    ]);
  });
  test("the prefix migrate.php's say() writes is one of them", () => {
    const format = /fprintf\(STDERR, "(migrate\[%5\.1fs\]: )%s\\n"/.exec(readFileSync(MIGRATE_PHP, 'utf8'));
    assert.ok(format, 'say() in migrate.php no longer has the format this test knows');
    assert.equal(isMigrateProgress(`${format[1]!.replace('%5.1f', '  2.5')}anything`), true);
  });
});

describe('lines cut between chunks', () => {
  const feed = (chunks: string[]) => {
    const out: string[] = [];
    const push = lineSplitter((l) => out.push(l));
    for (const c of chunks) push(c);
    return out;
  };
  test('a line is passed on once, whole, when its end arrives', () => {
    assert.deepEqual(feed(['migrate[  0.1s]: inst', 'alling Moo', 'dle\nMUC: st', 'ore added\n']), ['migrate[  0.1s]: installing Moodle', 'MUC: store added']);
  });
  test('several lines in one chunk, empty lines kept', () => {
    assert.deepEqual(feed(['a\n\nb\n']), ['a', '', 'b']);
  });
  test('an unfinished last line is held until its newline comes', () => {
    assert.deepEqual(feed(['a\nb']), ['a']);
    assert.deepEqual(feed(['a\nb', '\n']), ['a', 'b']);
  });
});

describe('the result', () => {
  test('the word after MIGRATE-RESULT', () => {
    assert.equal(migrateResult(LOG), 'installed');
    assert.equal(migrateResult('migrate[ 3.0s]: MIGRATE-RESULT upgraded; maintenance mode off\n'), 'upgraded');
    assert.equal(migrateResult('migrate[ 0.5s]: MIGRATE-RESULT unchanged\n'), 'unchanged');
  });
  test('"unknown" when migrate never said (it died first)', () => {
    assert.equal(migrateResult('migrate[  0.0s]: waiting for the migrate lock\nKilled\n'), 'unknown');
  });
  test('every result migrate.php can print is read as its first word', () => {
    const results = [...readFileSync(MIGRATE_PHP, 'utf8').matchAll(/MIGRATE-RESULT ([^'"]*)/g)].map((m) => m[1]!);
    assert.ok(results.length >= 4, `found: ${results.join(' | ')}`);
    for (const r of results) assert.equal(migrateResult(`migrate[  1.0s]: MIGRATE-RESULT ${r}\n`), /^[a-z]+/.exec(r)?.[0], r);
    for (const w of ['installed', 'upgraded', 'unchanged'])
      assert.ok(
        results.some((r) => r.startsWith(w)),
        `migrate.php no longer prints ${w}`,
      );
  });
});

describe('a run that refused an interrupted install', () => {
  const interrupted =
    'migrate[  0.4s]: holding the migrate lock\n' +
    'migrate[  0.5s]: interrupted install: 431 tables, but the config table has no version: the install stopped in the core install (upgraderunning is set)\n' +
    'migrate[  0.5s]: MIGRATE-RESULT interrupted-install\n';

  test('says plainly what the database holds and names the one way out, with the spec of this run; no log dump', () => {
    chooseSpec({ file: '/srv/campus.yaml' });
    const m = migrateFailure({ exitCode: EXIT_INTERRUPTED_INSTALL, log: interrupted }, 'the web tier was not started or changed');
    assert.match(
      m,
      /^the database holds an install that stopped half-way \(431 tables, but the config table has no version: .*\(upgraderunning is set\)\)\. Installing over it/,
    );
    assert.match(m, /The way out: "moodle-ha migrate --reinstall -f \/srv\/campus\.yaml" reinstalls a site that holds no one's data/);
    assert.match(m, /The web tier was not started or changed\.$/);
    assert.doesNotMatch(m, /migrate failed|holding the migrate lock/);
    chooseSpec({});
  });

  test('a reinstall refused for data names the data migrate.php found', () => {
    const log =
      'migrate[  0.5s]: not reinstalling: the database holds data (3 user account(s) besides admin and guest; 2 stored file(s)). Nothing was changed.\n';
    const m = migrateFailure({ exitCode: EXIT_HOLDS_DATA, log }, 'the web nodes were not changed');
    assert.match(m, /^not reinstalled: the half-installed database holds data \(3 user account\(s\) besides admin and guest; 2 stored file\(s\)\)/);
  });

  test('any other failure still quotes the last 20 lines of its log', () => {
    const m = migrateFailure({ exitCode: 70, log: 'a\nb\n' }, 'the web tier was not started or changed');
    assert.match(m, /^migrate failed \(exit 70\); the web tier was not started or changed\. Last lines of its log .*:\na\nb$/);
  });
});
