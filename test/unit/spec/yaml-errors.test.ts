// A YAML syntax error in moodle-ha.yaml names the line and column of the mistake (not the end of
// the file), shows that line with a caret under the column, and says in a complete sentence what
// to change.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readSpec } from '../../../src/spec/read.ts';
import { excerpt } from '../../../src/spec/yaml-errors.ts';
import { UserError } from '../../../src/util/errors.ts';
import { tempDir } from '../../support/temp.ts';

const dir = tempDir('yaml-errors-');

/** The error loading a spec file with this text: its message and the lines printed under it. */
function failure(name: string, text: string): { message: string; details: string[]; file: string } {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  try {
    readSpec({ file });
  } catch (e) {
    assert.ok(e instanceof UserError, `a YAML error must be a user error, got ${String(e)}`);
    return { message: e.message, details: [...e.details], file };
  }
  assert.fail(`${name}: the broken file was accepted`);
}

function expectAt(f: ReturnType<typeof failure>, line: number, col: number, source: string, fix: RegExp): void {
  assert.match(
    f.message,
    new RegExp(`^${f.file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not valid YAML \\(line ${line}, column ${col}\\); nothing was changed:$`),
  );
  const [first] = f.details;
  const [sentence, numbered, caret] = first!.split('\n');
  assert.match(sentence!, fix);
  assert.match(sentence!, /\.$/, `the message must be a complete sentence, not end in a dangling colon: ${sentence}`);
  assert.equal(numbered, `    ${line} | ${source}`);
  assert.equal(caret, `    ${' '.repeat(String(line).length)} | ${source.slice(0, col - 1).replace(/[^\t]/g, ' ')}^`);
}

describe('YAML syntax errors point at the mistake', () => {
  test('an unclosed quote: at its opening quote, not at the end of the file', () => {
    const f = failure('unclosed', 'name: "campus\nprofile: dev\nweb:\n  nodes: 2\n');
    expectAt(f, 1, 7, 'name: "campus', /double quote opened here is never closed: add the closing "/);
    const single = failure('unclosed-single', "name: campus\nsite:\n  fullName: 'Campus\n  shortName: c\n");
    expectAt(single, 3, 13, "  fullName: 'Campus", /single quote opened here is never closed/);
  });

  test('a key indented deeper than the one above it, which already has a value', () => {
    const f = failure('deeper', 'name: campus\nweb:\n  nodes: 2\n    memory: 1G\n');
    expectAt(f, 4, 5, '    memory: 1G', /indented deeper than line 3, which already has a value: line it up with the key on line 3 \(column 3\)/);
  });

  test('a key indented less than its siblings', () => {
    const f = failure('shallower', 'web:\n    nodes: 2\n  memory: 1G\n');
    expectAt(f, 3, 3, '  memory: 1G', /lines it up with no key above it \(line 2 starts at column 5\): indent it by exactly as many spaces/);
  });

  test('a tab used for indentation', () => {
    const f = failure('tab', 'name: campus\nweb:\n\tnodes: 2\n');
    expectAt(f, 3, 1, '\tnodes: 2', /a tab indents this line.*replace the tab with spaces/);
    expectAt(failure('tab-inside', 'web:\n  nodes: 2\n \t memory: 1G\n'), 3, 2, ' \t memory: 1G', /a tab indents this line/);
  });

  test('a duplicate key: both lines named', () => {
    const f = failure('duplicate', 'name: campus\nweb:\n  nodes: 2\n  memory: 1G\n  nodes: 3\n');
    expectAt(f, 5, 3, '  nodes: 3', /the key "nodes" appears twice in the same mapping \(first on line 3\): keep one of them/);
  });

  test('a missing colon, an unclosed list, two keys on one line, a reserved first character', () => {
    expectAt(failure('colon', 'name: campus\nprofile dev\n'), 2, 1, 'profile dev', /this line has no colon: write it as "key: value"/);
    expectAt(
      failure('bracket', 'name: campus\nplugins: [a, b\nprofile: dev\n'),
      2,
      10,
      'plugins: [a, b',
      /the list opened with \[ here is never closed: add \]/,
    );
    expectAt(failure('compact', 'web: nodes: 2\n'), 1, 6, 'web: nodes: 2', /a second "key: value" on the same line/);
    expectAt(
      failure('reserved', 'name: @campus\n'),
      1,
      7,
      'name: @campus',
      /an unquoted value cannot start with reserved character @: put the value in quotes/,
    );
  });

  test('the caret stays under the column when the line has tabs', () => {
    assert.deepEqual(excerpt('a:\n\tb: "x\n', { line: 2, col: 5 }), ['2 | \tb: "x', '  | \t   ^']);
  });
});
