// The migrate run's output (src/local/migrate.ts): which lines `up` shows as it runs, lines cut
// between chunks of the stream, and the result read from the log.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isMigrateProgress, lineSplitter, migrateResult } from '../../../src/local/migrate.ts';

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
MUC: application and session caches mapped to redis
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
      'MUC: application and session caches mapped to redis',
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
