// The unit tier's processes (scripts/unit-groups.ts): the AWS files share one process, through an
// entry that imports each of them, so the CDK is loaded and warmed once.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { unitProcesses } from '../../scripts/unit-groups.ts';
import { tempDir } from '../support/temp.ts';

const aws = (f: string) => join('test', 'unit', 'aws', f);

describe('unit processes', () => {
  test('the AWS files become one entry, first, that imports each in order; cli.test.ts and the other files stay as they were', () => {
    const dir = tempDir('moodle-ha-unit-groups-');
    const files = [join('test', 'unit', 'a.test.ts'), aws('cli.test.ts'), aws('data.test.ts'), aws('mail.test.ts'), join('test', 'unit', 'z.test.ts')];
    const out = unitProcesses(files, dir);
    assert.deepEqual(out, [join(dir, 'aws-unit-files.test.mjs'), join('test', 'unit', 'a.test.ts'), aws('cli.test.ts'), join('test', 'unit', 'z.test.ts')]);
    const imports = readFileSync(out[0]!, 'utf8').trim().split('\n');
    assert.deepEqual(
      imports,
      [aws('data.test.ts'), aws('mail.test.ts')].map((f) => `import ${JSON.stringify(pathToFileURL(resolve(f)).href)};`),
    );
  });
  test('one AWS file (a filtered run) stays a file of its own', () => {
    const files = [aws('data.test.ts'), join('test', 'unit', 'a.test.ts')];
    assert.deepEqual(unitProcesses(files, tempDir('moodle-ha-unit-groups-')), files);
  });
});
