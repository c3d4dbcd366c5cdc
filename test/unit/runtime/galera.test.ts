// What makes a Galera member whole (src/runtime/galera.ts): the drills, the data roll and the steady
// state wait for it, so a member that is Synced but alone must not pass.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { galeraMemberState } from '../../../src/runtime/galera.ts';

const answer = (state: string, size: number, status: string) => ({
  code: 0,
  output: `wsrep_cluster_size\t${size}\nwsrep_cluster_status\t${status}\nwsrep_local_state_comment\t${state}\n`,
});

describe('a Galera member is whole', () => {
  test('Synced in a Primary component that counts every member', () => {
    assert.deepEqual(galeraMemberState(answer('Synced', 3, 'Primary'), 3), { whole: true, seen: 'Synced, cluster size 3 of 3, Primary' });
  });
  test('not when Synced alone: a one-member cluster after a bootstrap from the wrong member', () => {
    const s = galeraMemberState(answer('Synced', 1, 'Primary'), 3);
    assert.equal(s.whole, false);
    assert.equal(s.seen, 'Synced, cluster size 1 of 3, Primary');
  });
  test('not while it joins, nor in a non-primary component', () => {
    assert.equal(galeraMemberState(answer('Joined', 3, 'Primary'), 3).whole, false);
    assert.equal(galeraMemberState(answer('Synced', 3, 'non-Primary'), 3).whole, false);
  });
  test('not when the client failed; what it printed is what the caller logs', () => {
    const s = galeraMemberState({ code: 1, output: "ERROR 2002 (HY000): Can't connect to local server through socket\n" }, 3);
    assert.equal(s.whole, false);
    assert.match(s.seen, /ERROR 2002/);
    assert.deepEqual(galeraMemberState({ code: 137, output: '' }, 3), { whole: false, seen: 'exit 137, no answer' });
  });
});
