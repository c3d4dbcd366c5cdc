// `down` of a name with nothing on the engine says so and lists the clusters that are there.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unknownClusterMessage } from '../../../src/local/down.ts';

test('an unknown cluster: the message lists the clusters on the engine and changes nothing', () => {
  assert.equal(
    unknownClusterMessage('campsu', ['campus', 'staging']),
    'no cluster named "campsu" here; clusters on this engine: campus, staging. Check the name in the spec (name:), or give the spec of the cluster to stop with -f FILE. Nothing was changed.',
  );
});

test('no cluster at all on the engine: says that instead of an empty list', () => {
  assert.match(unknownClusterMessage('campus', []), /^no cluster named "campus" here; this engine has no moodle-ha cluster\./);
});
