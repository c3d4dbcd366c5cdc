// The cluster's scaling events, kept in its state folder (one JSON line each), so `status` can
// show the recent ones whoever scaled: the autoscaler or `moodle-ha scale`.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ClusterEvent } from '../runtime/cluster.ts';
import { clusterStateDir } from '../util/paths.ts';

function file(cluster: string): string {
  return join(clusterStateDir(cluster), 'scaling-events.jsonl');
}

export function logEvent(cluster: string, e: ClusterEvent): void {
  const f = file(cluster);
  mkdirSync(dirname(f), { recursive: true, mode: 0o700 });
  appendFileSync(f, `${JSON.stringify(e)}\n`, { mode: 0o600 });
}

/** The last `count` events, oldest first; lines that are not valid JSON are skipped. */
export function recentEvents(cluster: string, count = 5): ClusterEvent[] {
  const f = file(cluster);
  if (!existsSync(f)) return [];
  const out: ClusterEvent[] = [];
  for (const line of readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(-count * 4)) {
    try {
      out.push(JSON.parse(line) as ClusterEvent);
    } catch {
      // a torn last line after a crash: skip it
    }
  }
  return out.slice(-count);
}
