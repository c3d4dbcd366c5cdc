// The fault both primary-loss drills make, on either Redis group: kill -9 its primary, time
// Sentinel's promotion of the replica, and on restore start the old primary and wait until
// Sentinel has made it a replica, timing how long it still claimed role:master (the group's
// endpoint sends connections to every member saying so).
import type { ClusterRuntime } from '../../runtime/cluster.ts';
import type { Fault, FigureValue } from './drill.ts';
import { type RedisGroup, redisPrimary, redisRoles } from './redis-roles.ts';
import { secondsUntil, since } from './timing.ts';

/** The figure keys a primary-loss drill declares (unique per drill): Sentinel's promotion, and the restarted primary's time as master. */
export interface PrimaryLossKeys<K extends string> {
  readonly promoted: K;
  readonly asMaster: K;
}

export async function killRedisPrimary<K extends string>(runtime: ClusterRuntime, group: RedisGroup, keys: PrimaryLossKeys<K>): Promise<Fault<K>> {
  const primary = await redisPrimary(runtime, group);
  let at = Date.now();
  let promoted: Promise<number | null> = Promise.resolve(null);
  let asMaster: number | null = null;
  return {
    action: `kill -9 the ${group.whose} Redis primary`,
    target: primary,
    async inject() {
      at = Date.now();
      await runtime.kill(primary);
      promoted = secondsUntil(async () => (await redisPrimary(runtime, group)) !== primary, 60);
      return { at, detail: 'SIGKILL; Sentinel (down-after 3 s) promotes the replica, the primary endpoint follows role:master' };
    },
    figures: async () => ({ [keys.promoted]: await promoted, [keys.asMaster]: asMaster }) as Record<K, FigureValue>,
    async restore() {
      await runtime.start(primary);
      const t1 = Date.now();
      // Until Sentinel turns it into a replica, the old primary may say role:master, and the
      // primary endpoint sends connections to every node saying so (rise 2 at 1 s).
      let lastMaster = -1;
      const demoted = await secondsUntil(async () => {
        const role = (await redisRoles(runtime, group))[primary];
        if (role === 'master') lastMaster = Date.now();
        return role === 'slave';
      }, 90);
      asMaster = lastMaster < 0 ? 0 : Math.round((lastMaster - t1) / 100) / 10;
      return {
        action: `start ${primary}`,
        detail: demoted === null ? `not a replica within 90 s (${since(at)} s after the kill)` : `replica again after ${demoted} s`,
      };
    },
  };
}
