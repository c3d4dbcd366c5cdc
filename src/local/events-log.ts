// The cluster's scaling events, kept in its state folder (one JSON line each), so `status` can
// show the recent ones whoever scaled: the autoscaler or `moodle-ha scale`.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { clusterStateDir } from '../util/paths.ts';

export interface LoggedEvent {
  readonly at: string;
  readonly from: number;
  readonly to: number;
  readonly reason: string;
  readonly by: 'autoscaler' | 'scale';
}

function file(cluster: string): string {
  return join(clusterStateDir(cluster), 'scaling-events.jsonl');
}

export function logEvent(cluster: string, e: LoggedEvent): void {
  const f = file(cluster);
  mkdirSync(dirname(f), { recursive: true, mode: 0o700 });
  appendFileSync(f, `${JSON.stringify(e)}\n`, { mode: 0o600 });
}

/** The last `count` events, oldest first; lines that are not valid JSON are skipped. */
export function recentEvents(cluster: string, count = 5): LoggedEvent[] {
  const f = file(cluster);
  if (!existsSync(f)) return [];
  const out: LoggedEvent[] = [];
  for (const line of readFileSync(f, 'utf8').split('\n').filter(Boolean).slice(-count * 4)) {
    try {
      out.push(JSON.parse(line) as LoggedEvent);
    } catch {
      // a torn last line after a crash: skip it
    }
  }
  return out.slice(-count);
}
