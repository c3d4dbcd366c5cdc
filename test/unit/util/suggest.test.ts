// closest(): the "did you mean" of the CLI (commands, flags) and of the drill names.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { closest } from '../../../src/util/suggest.ts';

describe('closest', () => {
  test('a typo finds the word it was meant to be', () => {
    assert.equal(closest('stauts', ['up', 'down', 'status', 'scale']), 'status');
    assert.equal(closest('volume', ['volumes', 'json']), 'volumes');
    assert.equal(closest('web-los', ['web-loss', 'lb-restart', 'all']), 'web-loss');
  });
  test('nothing is suggested when no candidate is close', () => {
    assert.equal(closest('frobnicate', ['up', 'down', 'status']), undefined);
    assert.equal(closest('x', []), undefined);
  });
  test('the allowed distance grows with the word: at least 2 edits, a third of a long word', () => {
    assert.equal(closest('ab', ['abcd']), 'abcd');
    assert.equal(closest('ab', ['abcde']), undefined);
    assert.equal(closest('abcdefghijkl', ['abcdefghWXYZ']), 'abcdefghWXYZ'); // 12 letters: 4 edits
    assert.equal(closest('abcdefghijkl', ['abcdefgVWXYZ']), undefined);
  });
  test('the closest of several wins; a tie keeps the first', () => {
    assert.equal(closest('scal', ['scale', 'scaled']), 'scale');
    assert.equal(closest('ab', ['ac', 'ad']), 'ac');
  });
});
