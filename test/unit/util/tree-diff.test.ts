// treeDifferences (src/util/tree-diff.ts): what makes two folders differ, and what does not.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { treeDifferences } from '../../../src/util/tree-diff.ts';
import { tempDir } from '../../support/temp.ts';

const work = tempDir('tree-diff-');
after(() => rmSync(work, { recursive: true, force: true }));

/** A small tree: two files in two folders and a link. */
function tree(name: string): string {
  const d = join(work, name);
  mkdirSync(join(d, 'lib', 'deep'), { recursive: true });
  writeFileSync(join(d, 'version.php'), '<?php $version = 1;\n');
  writeFileSync(join(d, 'lib', 'deep', 'a.php'), 'aaaa');
  symlinkSync('lib/deep/a.php', join(d, 'link.php'));
  return d;
}

describe('treeDifferences', () => {
  test('a copy is the same tree', () => {
    const a = tree('same');
    cpSync(a, join(work, 'same-copy'), { recursive: true, verbatimSymlinks: true });
    assert.deepEqual(treeDifferences(a, join(work, 'same-copy')), []);
  });

  test('contents of the same size, a file on one side only, a link elsewhere: each named', () => {
    const a = tree('a');
    const b = tree('b');
    writeFileSync(join(b, 'lib', 'deep', 'a.php'), 'aaab');
    writeFileSync(join(a, 'extra.php'), 'x');
    rmSync(join(b, 'link.php'));
    symlinkSync('version.php', join(b, 'link.php'));
    assert.deepEqual(treeDifferences(a, b), [
      `extra.php: only in ${a}`,
      'lib/deep/a.php: different contents',
      'link.php: a link to lib/deep/a.php against version.php',
    ]);
  });

  test('skipped paths do not count, on either side; the limit stops the search', () => {
    const a = tree('skip-a');
    const b = tree('skip-b');
    writeFileSync(join(a, 'config.php'), 'site');
    mkdirSync(join(b, '.git'));
    writeFileSync(join(b, '.git', 'HEAD'), 'ref');
    assert.deepEqual(treeDifferences(a, b, { skipA: (r) => r === 'config.php', skipB: (r) => r.startsWith('.git') }), []);
    for (const n of ['1', '2', '3']) writeFileSync(join(a, `${n}.php`), n);
    assert.equal(treeDifferences(a, b, { limit: 2 }).length, 2);
  });
});
