// cache-primary-loss (ha): kill -9 the Redis primary (sessions); Sentinel promotes the replica.
// Sessions must survive (except those written in the last second before the fault, which may not
// have reached the replica) and users must be error-free again within 15 s. The old primary is
// started again and must become a replica.
import type { ClusterRuntime } from '../../../runtime/cluster.ts';
import { noPostLost, steadyAfterRestore, within } from '../bars.ts';
import { defineDrill, seconds } from '../drill.ts';
import { redisRoles } from '../redis-roles.ts';
import { secondsUntil, since } from '../timing.ts';

/** The Redis primary as the Sentinels see it (they announce member names). */
async function currentRedisPrimary(runtime: ClusterRuntime): Promise<string> {
  const r = await runtime.exec(runtime.memberName('sentinel', 1), ['redis-cli', '-p', '26379', 'sentinel', 'get-master-addr-by-name', 'primary']);
  const name = r.output.trim().split('\n')[0]?.trim();
  if (!name) throw new Error(`sentinel-1 does not name a primary: ${r.output}`);
  return name;
}

export const cachePrimaryLoss = defineDrill({
  name: 'cache-primary-loss',
  summary: 'kill -9 the Redis primary',
  needsHa: true,
  minWebNodes: 1,
  longFault: false,
  figures: {
    sentinelPromotedSeconds: 'seconds until Sentinel named a new primary',
    oldPrimaryAsMasterSeconds: 'seconds the restarted old primary claimed role:master',
  },
  async prepare({ runtime }) {
    const primary = await currentRedisPrimary(runtime);
    let at = Date.now();
    let promoted: Promise<number | null> = Promise.resolve(null);
    let asMaster: number | null = null;
    return {
      action: 'kill -9 the Redis primary',
      target: primary,
      async inject() {
        at = Date.now();
        await runtime.kill(primary);
        promoted = secondsUntil(async () => (await currentRedisPrimary(runtime)) !== primary, 60);
        return { at, detail: 'SIGKILL; Sentinel (down-after 3 s) promotes the replica, the primary endpoint follows role:master' };
      },
      figures: async () => ({ sentinelPromotedSeconds: await promoted, oldPrimaryAsMasterSeconds: asMaster }),
      async restore() {
        await runtime.start(primary);
        const t1 = Date.now();
        // Until Sentinel turns it into a replica, the old primary may say role:master, and the
        // primary endpoint sends connections to every node saying so (rise 2 at 1 s).
        let lastMaster = -1;
        const demoted = await secondsUntil(async () => {
          const role = (await redisRoles(runtime))[primary];
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
  },
  bars: (m) => {
    const beyond = Math.max(0, m.lostSessions - m.sessionsWrittenBeforeFault);
    return [
      {
        name: 'lost sessions beyond those written in the last second before the fault',
        limit: '0',
        measured: `${beyond} (lost ${m.lostSessions}, written in the last second ${m.sessionsWrittenBeforeFault})`,
        met: beyond === 0,
      },
      noPostLost(m),
      within('error-free again', 15, m.recoverySeconds),
      steadyAfterRestore(m),
    ];
  },
  detection: (f) => `Sentinel promoted: ${seconds(f.sentinelPromotedSeconds)}`,
});
