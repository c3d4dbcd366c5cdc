// The start of a backup (readHeld in src/local/backup/backup.ts): the hold helper prints the site's
// version and counts once it holds the file trash cleanup lock; the backup waits for that line.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { readHeld } from '../../../../src/local/backup/backup.ts';
import type { Helper } from '../../../../src/local/backup/helper.ts';
import { JSON_MARK, type SiteInfo } from '../../../../src/local/backup/moodle-php.ts';
import { UserError } from '../../../../src/util/errors.ts';

const INFO: SiteInfo = {
  release: '4.5.6 (Build: 20250811)',
  version: '2024100706.00',
  codehash: 'abc',
  site: { users: 3, courses: 1, forumPosts: 0, files: 2, fileBytes: 10 },
};
const LINE = `${JSON_MARK}${JSON.stringify(INFO)}\n`;

function helper(exitCode = 0, stderr = ''): Helper & { output: PassThrough } {
  return {
    name: 'campus-backup-hold',
    output: new PassThrough(),
    input: undefined,
    stderr: () => stderr,
    exited: async () => exitCode,
    remove: async () => {},
  };
}

describe('waiting for the hold', () => {
  test('the site info from the marked line', async () => {
    const h = helper();
    const got = readHeld(h);
    h.output.write(LINE);
    assert.deepEqual(await got, INFO);
  });
  test('the marked line cut in two chunks', async () => {
    const h = helper();
    const got = readHeld(h);
    h.output.write(LINE.slice(0, 30));
    h.output.write(LINE.slice(30));
    assert.deepEqual(await got, INFO);
  });
  test("Moodle's debugging output before it (debugdisplay on prints to stdout in CLI scripts)", async () => {
    const h = helper();
    const got = readHeld(h);
    h.output.write('++ Function foo() is deprecated. ++\n* line 12 of /lib/x.php: call to debugging()\n');
    h.output.write(LINE);
    assert.deepEqual(await got, INFO);
  });
  test('the helper ends without the line: refused with its exit code and output', async () => {
    const h = helper(3, 'the lock of \\core\\task\\file_trash_cleanup_task was not free within 600 s\n');
    const got = readHeld(h);
    h.output.end('some output\n');
    await assert.rejects(
      got,
      (e: unknown) =>
        e instanceof UserError &&
        /^could not read the site or hold its file trash cleanup \(exit 3\): some output\nthe lock of .* was not free within 600 s$/.test(e.message),
    );
  });
});
