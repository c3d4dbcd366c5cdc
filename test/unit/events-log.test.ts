import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { logEvent, recentEvents } from '../../src/local/events-log.ts';
import { clusterStateDir } from '../../src/util/paths.ts';

test('scaling events: appended, read back newest last, torn lines skipped, file private', () => {
  process.env.MOODLE_HA_STATE = mkdtempSync(join(tmpdir(), 'events-'));
  assert.deepEqual(recentEvents('c1'), []);
  for (let i = 1; i <= 7; i++) logEvent('c1', { at: `2026-11-25T00:0${i}:00Z`, from: i, to: i + 1, reason: `r${i}`, by: i % 2 ? 'autoscaler' : 'scale' });
  appendFileSync(join(clusterStateDir('c1'), 'scaling-events.jsonl'), '{"at":"torn');
  const last = recentEvents('c1', 3);
  assert.deepEqual(
    last.map((e) => e.to),
    [6, 7, 8],
  );
  assert.equal(statSync(join(clusterStateDir('c1'), 'scaling-events.jsonl')).mode & 0o777, 0o600);
  assert.deepEqual(recentEvents('other'), [], 'clusters do not share events');
});
