// readMoodleVersion: $version, $release and $branch from a Moodle tree's version.php, without PHP.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readMoodleVersion } from '../../src/moodle/version.ts';
import { tempDir } from '../support/temp.ts';

const root = tempDir('mh-version-');
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function tree(versionPhp: string | undefined): string {
  const dir = join(root, `t${++n}`);
  mkdirSync(dir);
  if (versionPhp !== undefined) writeFileSync(join(dir, 'version.php'), versionPhp);
  return dir;
}

// As Moodle 4.5.6 ships it (comments and layout included).
const MOODLE_456 = `<?php
// This file is part of Moodle - https://moodle.org/
//
// $version = 1999010100.00; (an old value in a comment must not be read)
defined('MOODLE_INTERNAL') || die();

$version  = 2024100706.00;              // 20241007      = branching date YYYYMMDD - do not modify!
                                        //         RR    = release increments - 00 in DEV branches.
                                        //           .XX = incremental changes.
$release  = '4.5.6 (Build: 20250811)'; // Human-friendly version name
$branch   = '405';                     // This version's branch.
$maturity = MATURITY_STABLE;             // This version's maturity level.
`;

describe('readMoodleVersion', () => {
  test('a release tree', () => {
    assert.deepEqual(readMoodleVersion(tree(MOODLE_456)), { version: '2024100706.00', release: '4.5.6 (Build: 20250811)', number: '4.5.6', branch: '405' });
  });
  test('a weekly build keeps its "+"', () => {
    const v = readMoodleVersion(tree(MOODLE_456.replace("'4.5.6 (Build: 20250811)'", "'4.5.6+ (Build: 20250815)'").replace('2024100706.00', '2024100706.03')));
    assert.equal(v?.number, '4.5.6+');
    assert.equal(v?.version, '2024100706.03');
  });
  test('a two-part release number (the image tier probe tree)', () => {
    const probe = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'probe-tree');
    assert.deepEqual(readMoodleVersion(probe), { version: '2024100700.00', release: '4.5 (probe)', number: '4.5', branch: '405' });
  });
  test('Moodle 5.x layout (branch 500)', () => {
    const v = readMoodleVersion(tree("<?php\n$version = 2025041400.00;\n$release = '5.0 (Build: 20250414)';\n$branch = '500';\n"));
    assert.deepEqual(v, { version: '2025041400.00', release: '5.0 (Build: 20250414)', number: '5.0', branch: '500' });
  });
  test('no version.php: undefined', () => {
    assert.equal(readMoodleVersion(tree(undefined)), undefined);
    assert.equal(readMoodleVersion(join(root, 'does-not-exist')), undefined);
  });
  test('a plugin version.php (no $release, no $branch) is not a Moodle tree', () => {
    assert.equal(readMoodleVersion(tree("<?php\n$plugin->version = 2024100700;\n$plugin->release = '1.0';\n")), undefined);
  });
  for (const missing of ['$version', '$release', '$branch']) {
    test(`a version.php without ${missing}: undefined`, () => {
      const text = MOODLE_456.split('\n')
        .filter((l) => !l.startsWith(missing))
        .join('\n');
      assert.equal(readMoodleVersion(tree(text)), undefined);
    });
  }
});
