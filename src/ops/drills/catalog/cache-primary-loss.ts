// cache-primary-loss (ha): kill -9 the sessions' Redis primary; Sentinel promotes the replica.
// Sessions must survive (except those written in the last second before the fault, which may not
// have reached the replica) and users must be error-free again within 15 s. The old primary is
// started again and must become a replica. (caches-primary-loss does the same to Moodle's caches.)
import { noPostLost, steadyAfterRestore, within } from '../bars.ts';
import { defineDrill, seconds } from '../drill.ts';
import { killRedisPrimary } from '../redis-primary-loss.ts';
import { SESSIONS_REDIS } from '../redis-roles.ts';

export const cachePrimaryLoss = defineDrill({
  name: 'cache-primary-loss',
  summary: "kill -9 the sessions' Redis primary",
  needsHa: true,
  minWebNodes: 1,
  longFault: false,
  figures: {
    sentinelPromotedSeconds: 'seconds until Sentinel named a new primary',
    oldPrimaryAsMasterSeconds: 'seconds the restarted old primary claimed role:master',
  },
  prepare: ({ runtime }) => killRedisPrimary(runtime, SESSIONS_REDIS, { promoted: 'sentinelPromotedSeconds', asMaster: 'oldPrimaryAsMasterSeconds' }),
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
