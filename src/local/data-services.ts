// The data tier's containers. dev: one MariaDB and two Redis servers (sessions; caches), each
// answering on the endpoint names itself. ha: a 3-node Galera cluster and two Redis primary +
// replica pairs (sessions; caches) watched by 3 Sentinels, behind an endpoints container (HAProxy)
// whose names follow the current writer and primaries — the local stand-ins for Aurora's cluster
// endpoint and ElastiCache's primary endpoints. As on AWS, sessions and caches never share a
// server: the sessions' never evicts (an evicted session logs its user out), the caches' evicts
// the least recently used key and keeps nothing on disk (a cache is rebuilt from the database).
import { SERVICE_UIDS } from '../image/service-images.ts';
import type { Spec } from '../spec/schema.ts';
import type { ContainerSpec } from './containers.ts';
import { ENDPOINTS_SECRETS, renderEndpointsConfig } from './endpoints.ts';
import { clusterNames } from './names.ts';
import type { Secrets } from './secrets.ts';
import { DB_NAME, DB_USER, secretFiles, type ImageTags } from './services.ts';

export const HA_DB_NODES = 3;
export const HA_REDIS_NODES = 2;

export const HA_SENTINELS = 3;

const idx = (spec: Spec, i: number) => (spec.profile === 'ha' ? i : undefined);

export function dbContainers(spec: Spec, tags: ImageTags, secrets: Secrets): ContainerSpec[] {
  const n = clusterNames(spec.name);
  const count = spec.profile === 'ha' ? HA_DB_NODES : 1;
  const peers = Array.from({ length: count }, (_, i) => n.container('db', i + 1)).join(',');
  return Array.from({ length: count }, (_, k) => {
    const i = idx(spec, k + 1);
    return {
      name: n.container('db', i),
      cluster: spec.name,
      service: 'db',
      image: tags.mariadb,
      env: {
        MARIADB_DATABASE: DB_NAME,
        MARIADB_USER: DB_USER,
        MARIADB_PASSWORD_FILE: '/run/mysqld/secrets/db-password',
        ...(spec.profile === 'ha' ? { GALERA_PEERS: peers, GALERA_CLUSTER_NAME: spec.name, GALERA_FIRST: k === 0 ? '1' : '0' } : {}),
      },
      network: n.network,
      aliases: spec.profile === 'ha' ? [] : [n.dbWriter],
      volumes: { [n.volume('db', i)]: '/var/lib/mysql' },
      files: secretFiles(secrets, ['db-password'], SERVICE_UIDS.mariadb, SERVICE_UIDS.mariadb, '/run/mysqld/secrets'),
      memoryBytes: spec.database.memory.bytes,
      stopTimeoutSeconds: 60,
    };
  });
}

export function redisContainers(spec: Spec, tags: ImageTags, secrets: Secrets): ContainerSpec[] {
  const n = clusterNames(spec.name);
  const base = (name: string, env: Record<string, string>, service: 'redis' | 'cache' | 'sentinel'): ContainerSpec => ({
    name,
    cluster: spec.name,
    service,
    image: tags.redis,
    env: { REDIS_PASSWORD_FILE: '/run/redis/secrets/redis-password', ...env },
    network: n.network,
    files: secretFiles(secrets, ['redis-password'], SERVICE_UIDS.redis, SERVICE_UIDS.redis, '/run/redis/secrets'),
    stopTimeoutSeconds: 30,
  });
  // maxmemory in bytes (redis.conf takes a plain number): the sessions' never evict beyond it, the caches' do.
  const sessionsEnv = { REDIS_MAXMEMORY: String(spec.redis.sessionsMemory.bytes) };
  const cacheEnv = { REDIS_MAXMEMORY: String(spec.redis.cachesMemory.bytes), REDIS_MAXMEMORY_POLICY: 'allkeys-lru', REDIS_PERSIST: 'no' };
  if (spec.profile !== 'ha') {
    return [
      { ...base(n.container('redis'), sessionsEnv, 'redis'), aliases: [n.redisPrimary], volumes: { [n.volume('redis')]: '/data' } },
      { ...base(n.container('cache'), cacheEnv, 'cache'), aliases: [n.cachePrimary] },
    ];
  }
  const primary = n.container('redis', 1);
  // Each data node asks the Sentinels for the current primary before it starts (so a restarted
  // former primary comes back as a replica); the group is the name they monitor it under.
  const sentinelNames = Array.from({ length: HA_SENTINELS }, (_, k) => n.container('sentinel', k + 1)).join(',');
  const watched = (group: 'primary' | 'cache') => ({ REDIS_SENTINELS: sentinelNames, REDIS_SENTINEL_GROUP: group });
  const nodes = Array.from({ length: HA_REDIS_NODES }, (_, k) => ({
    ...base(n.container('redis', k + 1), { ...sessionsEnv, ...watched('primary'), ...(k === 0 ? {} : { REDIS_REPLICAOF: primary }) }, 'redis'),
    volumes: { [n.volume('redis', k + 1)]: '/data' },
  }));
  const cachePrimary = n.container('cache', 1);
  const caches = Array.from({ length: HA_REDIS_NODES }, (_, k) =>
    base(n.container('cache', k + 1), { ...cacheEnv, ...watched('cache'), ...(k === 0 ? {} : { REDIS_REPLICAOF: cachePrimary }) }, 'cache'),
  );
  const sentinels = Array.from({ length: HA_SENTINELS }, (_, k) =>
    base(
      n.container('sentinel', k + 1),
      {
        REDIS_SENTINEL_MONITOR: primary,
        REDIS_SENTINEL_MONITOR_CACHE: cachePrimary,
        REDIS_SENTINEL_QUORUM: '2',
      },
      'sentinel',
    ),
  );
  return [...nodes, ...caches, ...sentinels];
}

/** ha only: HAProxy answering as the DB writer and reader, and the Redis primaries' endpoints. */
export function endpointsContainer(spec: Spec, tags: ImageTags, secrets: Secrets): ContainerSpec {
  const n = clusterNames(spec.name);
  return {
    name: n.container('endpoints'),
    cluster: spec.name,
    service: 'endpoints',
    image: tags.haproxy,
    network: n.network,
    aliases: [n.dbWriter, n.dbReader, n.redisPrimary, n.cachePrimary],
    files: [
      {
        name: '/etc/haproxy/haproxy.cfg',
        content: renderEndpointsConfig({
          dbNodes: Array.from({ length: HA_DB_NODES }, (_, i) => n.container('db', i + 1)),
          redisNodes: Array.from({ length: HA_REDIS_NODES }, (_, i) => n.container('redis', i + 1)),
          cacheNodes: Array.from({ length: HA_REDIS_NODES }, (_, i) => n.container('cache', i + 1)),
          redisPassword: secrets['redis-password'],
        }),
        mode: 0o600,
        uid: SERVICE_UIDS.haproxy,
        gid: SERVICE_UIDS.haproxy,
      },
      // For the data roll's planned Redis failover, run here (redis-paused-failover.ts).
      ...secretFiles(secrets, ['redis-password'], SERVICE_UIDS.haproxy, SERVICE_UIDS.haproxy, ENDPOINTS_SECRETS),
    ],
    env: { REDIS_PASSWORD_FILE: `${ENDPOINTS_SECRETS}/redis-password` },
    stopTimeoutSeconds: 10,
  };
}
