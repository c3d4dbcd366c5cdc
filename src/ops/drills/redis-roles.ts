// The Redis roles of the ha profile's session servers, read in each member with redis-cli: the
// steady-state check wants one primary with linked replicas, cache-primary-loss waits for the old
// primary to become a replica again.
import type { ClusterRuntime } from '../../runtime/cluster.ts';

const REDIS_INFO = ['sh', '-c', 'REDISCLI_AUTH="$(cat /run/redis/secrets/redis-password)" redis-cli info replication'];

/** Redis roles of the ha profile's nodes, e.g. { "x-redis-1": "master", "x-redis-2": "slave" }. */
export async function redisRoles(runtime: ClusterRuntime, nodes = 2): Promise<Record<string, string>> {
  const roles: Record<string, string> = {};
  for (let i = 1; i <= nodes; i++) {
    const name = runtime.memberName('redis', i);
    const out = await runtime
      .exec(name, REDIS_INFO)
      .then((r) => r.output)
      .catch(() => '');
    roles[name] = /role:(\w+)/.exec(out)?.[1] ?? 'unreachable';
    if (roles[name] === 'slave' && !/master_link_status:up/.test(out)) roles[name] = 'slave (link down)';
  }
  return roles;
}

/** Problems when the roles are not one primary with linked replicas; [] when they are. */
export async function redisReplicationProblems(runtime: ClusterRuntime): Promise<string[]> {
  const roles = await redisRoles(runtime);
  const masters = Object.values(roles).filter((r) => r === 'master').length;
  const replicas = Object.values(roles).filter((r) => r === 'slave').length;
  if (masters === 1 && replicas === Object.keys(roles).length - 1) return [];
  return [
    `Redis roles are not one primary with linked replicas: ${Object.entries(roles)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ];
}
