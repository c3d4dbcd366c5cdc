import assert from 'node:assert/strict';
import { appendFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { logEvent, recentEvents } from '../../src/local/events-log.ts';
import { describeClusterEvent } from '../../src/runtime/cluster.ts';
import { clusterStateDir } from '../../src/util/paths.ts';
import { tempDir } from '../support/temp.ts';

test('scaling events: appended, read back newest last, torn lines skipped, file private', () => {
  process.env.MOODLE_HA_STATE = tempDir('events-');
  assert.deepEqual(recentEvents('c1'), []);
  for (let i = 1; i <= 7; i++) logEvent('c1', { at: `2026-11-25T00:0${i}:00Z`, from: i, to: i + 1, reason: `r${i}`, by: i % 2 ? 'autoscaler' : 'scale' });
  appendFileSync(join(clusterStateDir('c1'), 'scaling-events.jsonl'), '{"at":"torn');
  const last = recentEvents('c1', 3);
  assert.deepEqual(
    last.map((e) => (e.by === 'healer' ? e.member : e.to)),
    [6, 7, 8],
  );
  assert.equal(statSync(join(clusterStateDir('c1'), 'scaling-events.jsonl')).mode & 0o777, 0o600);
  assert.deepEqual(recentEvents('other'), [], 'clusters do not share events');
});

test('heal events share the log with scaling events, in order, and read back whole', () => {
  process.env.MOODLE_HA_STATE = tempDir('events-');
  logEvent('c1', { at: '2026-11-25T00:01:00Z', from: 1, to: 2, reason: 'load', by: 'autoscaler' });
  const heal = {
    at: '2026-11-25T00:02:00Z',
    by: 'healer',
    member: 'c1-web-2',
    action: 'started',
    reason: 'stopped 2.1 s ago (exit 137)',
    seconds: 6.2,
  } as const;
  logEvent('c1', heal);
  const events = recentEvents('c1');
  assert.deepEqual(events.at(-1), heal);
  assert.deepEqual(events.map(describeClusterEvent), ['1 → 2  (autoscaler) load', 'healer: started c1-web-2 in 6.2 s: stopped 2.1 s ago (exit 137)']);
  assert.equal(
    describeClusterEvent({ ...heal, action: 'crashed', reason: 'its process died by itself once', seconds: 0 }),
    'healer: c1-web-2 crashed: its process died by itself once',
  );
});
