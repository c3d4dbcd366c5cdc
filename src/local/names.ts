// Names of a local cluster's Docker resources, derived from the spec's cluster name.
import type { ServiceName } from '../runtime/cluster.ts';

export type { ServiceName };

export interface ClusterNames {
  readonly cluster: string;
  readonly network: string;
  /** The database writer endpoint every runtime container uses (like Aurora's cluster endpoint). */
  readonly dbWriter: string;
  /** The ha profile's database reader endpoint (like Aurora's reader endpoint), on DB_READER_PORT. */
  readonly dbReader: string;
  /** The sessions' Redis primary endpoint (like ElastiCache's primary endpoint). */
  readonly redisPrimary: string;
  /** The caches' Redis primary endpoint (a second replication group, as on AWS). */
  readonly cachePrimary: string;
  readonly volumes: { readonly moodledata: string };
  /** A stateful service's volume: `${cluster}-dbdata` (dev) or `${cluster}-dbdata-2` (ha node 2). */
  volume(service: 'db' | 'redis', index?: number): string;
  /** `${cluster}-web-1`; `${cluster}-db` (one node) or `${cluster}-db-2` (node 2 of several). */
  container(service: ServiceName, index?: number): string;
}

export function clusterNames(cluster: string): ClusterNames {
  return {
    cluster,
    network: `${cluster}-net`,
    dbWriter: `${cluster}-db-writer`,
    dbReader: `${cluster}-db-reader`,
    redisPrimary: `${cluster}-redis-primary`,
    cachePrimary: `${cluster}-cache-primary`,
    volumes: { moodledata: `${cluster}-moodledata` },
    volume: (service, index) => `${cluster}-${service}data${index === undefined ? '' : `-${index}`}`,
    container: (service, index) => (service === 'web' ? `${cluster}-web-${index ?? 1}` : `${cluster}-${service}${index === undefined ? '' : `-${index}`}`),
  };
}
