// The config bundle digest (src/contract/bundle.ts): what a task definition names its bundle by.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { bundleDigest, folderDigest } from '../../src/contract/bundle.ts';
import { tempDir } from '../support/temp.ts';

function folder(files: Record<string, string>): string {
  const dir = tempDir('moodle-ha-bundle-test-');
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}

describe('bundle digest', () => {
  test('depends on every path and every byte, not on the order files were written', () => {
    const a = folderDigest(folder({ 'php.ini': 'x = 1\n', 'nginx.conf': 'add_header a b;\n' }));
    assert.equal(a, folderDigest(folder({ 'nginx.conf': 'add_header a b;\n', 'php.ini': 'x = 1\n' })));
    assert.notEqual(a, folderDigest(folder({ 'php.ini': 'x = 2\n', 'nginx.conf': 'add_header a b;\n' })));
    assert.notEqual(a, folderDigest(folder({ 'php.ini.bak': 'x = 1\n', 'nginx.conf': 'add_header a b;\n' })));
    assert.notEqual(a, folderDigest(folder({ 'php.ini': 'x = 1\n' })));
  });
  test('covers files in sub-folders by their "/" path', () => {
    assert.equal(folderDigest(folder({ 'a/b.txt': 'b' })), bundleDigest([{ path: 'a/b.txt', content: 'b' }]));
  });
  test('is the documented formula (the image computes the same in bundle-digest.php)', () => {
    const sha = (x: string) => createHash('sha256').update(x).digest('hex');
    assert.equal(
      bundleDigest([
        { path: 'b.txt', content: 'B' },
        { path: 'a.txt', content: 'A' },
      ]),
      sha(`a.txt\0${sha('A')}\nb.txt\0${sha('B')}\n`),
    );
  });
});
