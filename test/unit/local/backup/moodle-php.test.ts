// What backup and restore ask of Moodle (src/local/backup/moodle-php.ts): the PHP helpers run
// with the cron container's definition, their PHP is valid (php -l here), and their marked JSON
// result is found among other output.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { afterRestoreHelper, codeVersionHelper, holdHelper, JSON_MARK, parseMarked } from '../../../../src/local/backup/moodle-php.ts';
import { runtimeContainer } from '../../../../src/local/services.ts';
import { devSpec, freshStateRoot, runningClusterOf, SECRETS, TAGS } from '../fixtures.ts';
import { tempDir } from '../../../support/temp.ts';

freshStateRoot('moodle-php');
const cluster = runningClusterOf(devSpec());
const cron = runtimeContainer(cluster.spec, TAGS, SECRETS, 'cron');

/** php -l of the code a helper runs with php -r. */
function lint(code: string): { ok: boolean; output: string } {
  const file = join(tempDir('php-lint-'), 'helper.php');
  writeFileSync(file, `<?php\n${code}`);
  const r = spawnSync('php', ['-l', file], { encoding: 'utf8' });
  assert.equal(r.error, undefined, 'php must be on this machine');
  return { ok: r.status === 0, output: r.stdout + r.stderr };
}

describe('the PHP helpers', () => {
  for (const [what, helper, stdin] of [
    ['hold', holdHelper(cluster), true],
    ['settle', afterRestoreHelper(cluster), false],
  ] as const) {
    test(`${what}: the cron container's image, environment and secrets, running php -r`, () => {
      assert.equal(helper.name, `campus-backup-${what}`);
      assert.equal(helper.image, TAGS.runtime);
      assert.deepEqual(helper.env, cron.env);
      assert.deepEqual(helper.files, cron.files);
      assert.deepEqual(helper.volumes, cron.volumes);
      assert.deepEqual(helper.cmd?.slice(0, 2), ['php', '-r']);
      assert.equal(helper.openStdin, stdin, 'only the hold reads stdin: it releases the lock when stdin closes');
    });
    test(`${what}: its PHP is valid`, () => {
      const r = lint(helper.cmd![2]!);
      assert.ok(r.ok, r.output);
    });
  }
  test('hold: takes the file trash cleanup lock through Moodle, prints the mark, releases when stdin ends', () => {
    const code = holdHelper(cluster).cmd![2]!;
    assert.match(code, /\\core\\task\\file_trash_cleanup_task::class/);
    assert.match(code, new RegExp(`fwrite\\(STDOUT, '${JSON_MARK}' \\. json_encode\\(\\$info\\)`));
    assert.ok(code.indexOf('stream_get_contents(STDIN)') < code.indexOf('$lock->release()'), 'the lock is released after stdin closes');
  });
  test('code version: read from the image with cat, no secrets needed', () => {
    const c = codeVersionHelper(cluster);
    assert.deepEqual([c.entrypoint, c.cmd, c.files], [['cat'], ['/opt/moodle-ha/code-version.json'], []]);
  });
});

describe('parseMarked', () => {
  test('the JSON after the mark, whatever else the helper printed', () => {
    const out = `++ debugging: something deprecated ++\n${JSON_MARK}{"recovered":2,"missing":0}\nbye\n`;
    assert.deepEqual(parseMarked(out, 'the check', ''), { recovered: 2, missing: 0 });
  });
  test('no mark: an error naming the step and quoting the output', () => {
    assert.throws(
      () => parseMarked('Fatal error: Allowed memory size exhausted\n', 'the check after the restore', 'PHP Warning: x'),
      (e: unknown) =>
        e instanceof Error && e.message === 'the check after the restore: no result; its output: Fatal error: Allowed memory size exhausted\nPHP Warning: x',
    );
  });
});
