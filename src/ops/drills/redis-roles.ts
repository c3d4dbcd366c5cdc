// The Redis roles of the ha profile's two replication groups (sessions: members redis-N, watched
// by the Sentinels as "primary"; Moodle's caches: members cache-N, watched as "cache"), read in
// each member with redis-cli, and each group's primary as the Sentinels name it: the steady-state
// check wants one primary with linked replicas, the primary-loss drills wait for the old primary
// to become a replica again.
import type { ClusterRuntime } from '../../runtime/cluster.ts';

/** A Redis replication group of the ha profile: its members' service and its name at the Sentinels. */
export interface RedisGroup {
  readonly member: 'redis' | 'cache';
  readonly sentinelName: 'primary' | 'cache';
  /** Whose Redis it is, in a drill's words. */
  readonly whose: string;
}
export const SESSIONS_REDIS: RedisGroup = { member: 'redis', sentinelName: 'primary', whose: "sessions'" };
export const CACHES_REDIS: RedisGroup = { member: 'cache', sentinelName: 'cache', whose: "caches'" };

/** The group's primary as the Sentinels see it (they announce member names). */
export async function redisPrimary(runtime: ClusterRuntime, group: RedisGroup = SESSIONS_REDIS): Promise<string> {
  const r = await runtime.exec(runtime.memberName('sentinel', 1), ['redis-cli', '-p', '26379', 'sentinel', 'get-master-addr-by-name', group.sentinelName]);
  const name = r.output.trim().split('\n')[0]?.trim();
  if (!name) throw new Error(`sentinel-1 does not name a ${group.sentinelName} primary: ${r.output}`);
  return name;
}

const REDIS_INFO = ['sh', '-c', 'REDISCLI_AUTH="$(cat /run/redis/secrets/redis-password)" redis-cli info replication'];

/** Redis roles of the group's nodes, e.g. { "x-redis-1": "master", "x-redis-2": "slave" }. */
export async function redisRoles(runtime: ClusterRuntime, group: RedisGroup = SESSIONS_REDIS, nodes = 2): Promise<Record<string, string>> {
  const roles: Record<string, string> = {};
  for (let i = 1; i <= nodes; i++) {
    const name = runtime.memberName(group.member, i);
    const out = await runtime
      .exec(name, REDIS_INFO)
      .then((r) => r.output)
      .catch(() => '');
    roles[name] = /role:(\w+)/.exec(out)?.[1] ?? 'unreachable';
    if (roles[name] === 'slave' && !/master_link_status:up/.test(out)) roles[name] = 'slave (link down)';
  }
  return roles;
}

/** Problems when a group's roles are not one primary with linked replicas; [] when each group's are. */
export async function redisReplicationProblems(runtime: ClusterRuntime, groups: readonly RedisGroup[] = [SESSIONS_REDIS, CACHES_REDIS]): Promise<string[]> {
  const problems: string[] = [];
  for (const group of groups) {
    const roles = await redisRoles(runtime, group);
    const masters = Object.values(roles).filter((r) => r === 'master').length;
    const replicas = Object.values(roles).filter((r) => r === 'slave').length;
    if (masters === 1 && replicas === Object.keys(roles).length - 1) continue;
    problems.push(
      `the ${group.whose} Redis roles are not one primary with linked replicas: ${Object.entries(roles)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  }
  return problems;
}
