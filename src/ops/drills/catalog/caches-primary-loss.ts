// caches-primary-loss (ha): kill -9 the primary of Moodle's caches' Redis (the second replication
// group, as on AWS); Sentinel promotes its replica. Each PHP-FPM worker keeps its connection to
// the caches' endpoint (kept_redis_store): the kill cuts them all, and each must reconnect to the
// new primary and send its command again, not fail the page. Nothing of the sessions is on this
// group, so no session may be lost at all; users error-free again within 15 s, as for the sessions'.
import { noPostLost, noSessionLost, steadyAfterRestore, within } from '../bars.ts';
import { defineDrill, seconds } from '../drill.ts';
import { killRedisPrimary } from '../redis-primary-loss.ts';
import { CACHES_REDIS } from '../redis-roles.ts';

export const cachesPrimaryLoss = defineDrill({
  name: 'caches-primary-loss',
  summary: "kill -9 the caches' Redis primary",
  needsHa: true,
  minWebNodes: 1,
  longFault: false,
  figures: {
    cachesSentinelPromotedSeconds: "seconds until Sentinel named a new caches' primary",
    cachesOldPrimaryAsMasterSeconds: "seconds the restarted old caches' primary claimed role:master",
  },
  prepare: ({ runtime }) => killRedisPrimary(runtime, CACHES_REDIS, { promoted: 'cachesSentinelPromotedSeconds', asMaster: 'cachesOldPrimaryAsMasterSeconds' }),
  bars: (m) => [noSessionLost(m), noPostLost(m), within('error-free again', 15, m.recoverySeconds), steadyAfterRestore(m)],
  detection: (f) => `Sentinel promoted: ${seconds(f.cachesSentinelPromotedSeconds)}`,
});
