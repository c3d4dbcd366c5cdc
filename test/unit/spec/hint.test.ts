// The commands moodle-ha prints for the user to run next carry the spec the run was given.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { chooseSpec, hint, shellWord, specChoice } from '../../../src/spec/hint.ts';
import { readSpec } from '../../../src/spec/read.ts';
import { tempDir } from '../../support/temp.ts';

describe('hint: a command to run next, with the spec of this run', () => {
  afterEach(() => chooseSpec({}));

  test('no spec given: the bare command', () => {
    assert.equal(hint('status', {}), 'moodle-ha status');
  });

  test('-f and --profile come after the command and its words', () => {
    assert.equal(hint('logs web', { file: '/srv/campus.yaml' }), 'moodle-ha logs web -f /srv/campus.yaml');
    assert.equal(hint('up', { file: '/srv/campus.yaml', profile: 'ha' }), 'moodle-ha up -f /srv/campus.yaml --profile ha');
    assert.equal(hint('drill node-kill', { profile: 'ha' }), 'moodle-ha drill node-kill --profile ha');
  });

  test('--profile only for the commands that take it (the others find the cluster by name, and refuse the flag)', () => {
    assert.equal(hint('down', { file: '/srv/campus.yaml', profile: 'ha' }), 'moodle-ha down -f /srv/campus.yaml');
    assert.equal(hint('status', { profile: 'ha' }), 'moodle-ha status');
  });

  test('a path a shell would split is quoted', () => {
    assert.equal(hint('status', { file: "/home/a b/it's.yaml" }), `moodle-ha status -f '/home/a b/it'\\''s.yaml'`);
    assert.equal(shellWord('/srv/x-1_2.yaml'), '/srv/x-1_2.yaml');
  });

  test('readSpec records what the command line gave: -f as an absolute path, --profile', () => {
    const dir = tempDir('hint-');
    writeFileSync(join(dir, 'campus.yaml'), 'name: campus\n');
    readSpec({ file: 'campus.yaml', cwd: dir, overrides: { profile: 'ha' } });
    assert.deepEqual(specChoice(), { file: join(dir, 'campus.yaml'), profile: 'ha' });
    assert.equal(hint('up'), `moodle-ha up -f ${join(dir, 'campus.yaml')} --profile ha`);
    // ./moodle-ha.yaml read without -f: nothing to repeat (the same folder reads it again).
    writeFileSync(join(dir, 'moodle-ha.yaml'), 'name: campus\n');
    readSpec({ cwd: dir });
    assert.equal(hint('status'), 'moodle-ha status');
  });
});
