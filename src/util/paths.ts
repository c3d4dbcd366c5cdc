// Where moodle-ha keeps things on the user's machine: a cache (Moodle trees, downloads) and a
// state folder per cluster (generated secrets). Both can be moved with environment variables.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheRoot(): string {
  return process.env.MOODLE_HA_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'moodle-ha');
}

export function stateRoot(): string {
  return process.env.MOODLE_HA_STATE ?? join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'moodle-ha');
}

/** The cluster's state folder under `root` (default: this machine's state root). */
export function clusterStateDir(cluster: string, root = stateRoot()): string {
  return join(root, 'clusters', cluster);
}
