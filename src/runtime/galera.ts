// What makes a Galera member whole, asked of the member itself (Docker's health check says Synced
// only, every 3 s): Synced, in a primary component, counting every member of the cluster. Synced
// alone would pass three one-member clusters after a bad bootstrap. The drills, the data roll and
// the steady state all ask this one question.
import { keyValues } from '../util/key-values.ts';
import type { ExecResult } from './cluster.ts';

/** The client command that reads the three status variables, over the member's own socket. */
export const GALERA_STATUS_ARGV: readonly string[] = [
  'mariadb',
  '--protocol=socket',
  '-N',
  '-s',
  '-e',
  "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state_comment','wsrep_cluster_size','wsrep_cluster_status')",
];

export interface GaleraMemberState {
  readonly whole: boolean;
  /** What the member said, for a log or an error: "Synced, cluster size 3 of 3, Primary". */
  readonly seen: string;
}

/** Reads the member's answer to GALERA_STATUS_ARGV; whole when it is Synced in a Primary component of `members`. */
export function galeraMemberState(r: ExecResult, members: number): GaleraMemberState {
  const kv = keyValues(r.output);
  const state = kv.wsrep_local_state_comment;
  if (r.code !== 0 || !state) return { whole: false, seen: r.output.trim().slice(0, 120) || `exit ${r.code}, no answer` };
  const size = Number(kv.wsrep_cluster_size);
  const status = kv.wsrep_cluster_status ?? '?';
  return {
    whole: state === 'Synced' && size === members && status === 'Primary',
    seen: `${state}, cluster size ${kv.wsrep_cluster_size ?? '?'} of ${members}, ${status}`,
  };
}

/** Asks the member through `exec` (a runtime's, or the engine's). */
export async function galeraMember(exec: (argv: readonly string[]) => Promise<ExecResult>, members: number): Promise<GaleraMemberState> {
  return galeraMemberState(await exec(GALERA_STATUS_ARGV), members);
}
