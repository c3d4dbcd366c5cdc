// node-crash (ha): under load, kill -9 a web node, then a Galera member, then the Redis primary,
// one after the other, and restart nothing: the cluster must bring each back to full capacity by
// itself (the controller's healer) within 20 s. Full capacity: the web node running, /readyz 200
// and UP in the load balancer; the Galera member Synced in a primary component of three; the old Redis
// primary running again, and one primary with its replica linked (which one is primary depends on
// whether Sentinel failed over before the restart). The report gives the seconds of each.
// Each kill waits for the previous member to be back (at most BACK_LIMIT_S), so the faults do not
// overlap. The restore starts only what the cluster did not bring back by itself, and says so.
import type { ClusterRuntime } from '../../../runtime/cluster.ts';
import { galeraMember } from '../../../runtime/galera.ts';
import { noPostLost, steadyAfterRestore, within } from '../bars.ts';
import { defineDrill, seconds } from '../drill.ts';
import { redisPrimary, redisReplicationProblems, redisRoles, SESSIONS_REDIS } from '../redis-roles.ts';
import { secondsUntil } from '../timing.ts';

/** The bar, from the issue: each member back to full capacity within this, without a person. */
export const NODE_CRASH_BAR_S = 20;
/** How long the drill waits for each member before it kills the next one. */
const BACK_LIMIT_S = 60;

async function member(runtime: ClusterRuntime, name: string, service: 'web' | 'db' | 'redis') {
  return (await runtime.members(service)).find((m) => m.name === name);
}

/** The web node is running, ready, and UP in the load balancer. */
async function webBack(runtime: ClusterRuntime, name: string): Promise<boolean> {
  if ((await member(runtime, name, 'web'))?.health !== 'ready') return false;
  const lb = await runtime.lbServers();
  return Array.isArray(lb) && lb.some((s) => s.server === name && s.status === 'UP');
}

/** The Galera member is whole again (asked directly: Docker's health check runs only every 3 s). */
async function dbBack(runtime: ClusterRuntime, name: string): Promise<boolean> {
  const members = (await runtime.members('db')).length;
  return (await galeraMember((argv) => runtime.exec(name, argv), members)).whole;
}
/**
 * The killed Redis node runs again and the pair is whole: one primary, its replica linked. Which
 * one is primary depends on the race between Sentinel's failover (down-after 3 s) and the restart.
 */
async function redisBack(runtime: ClusterRuntime, name: string): Promise<boolean> {
  const roles = await redisRoles(runtime);
  return roles[name] !== 'unreachable' && (await redisReplicationProblems(runtime, [SESSIONS_REDIS])).length === 0;
}

export const nodeCrash = defineDrill({
  name: 'node-crash',
  summary: 'kill -9 a web node, a Galera member, the Redis primary; nothing restarted by hand',
  needsHa: true,
  minWebNodes: 2,
  longFault: true,
  figures: {
    webNodeBackSeconds: 'seconds until the killed web node was ready and UP again',
    galeraMemberBackSeconds: 'seconds until the killed Galera member was Synced again',
    redisPrimaryBackSeconds: 'seconds until the killed Redis primary ran again, with one primary and its replica linked',
  },
  async prepare({ runtime, log }) {
    const web = (await runtime.webNodes()).at(-1);
    if (!web) throw new Error('node-crash: no running web node to kill');
    const db = runtime.memberName('db', 3);
    const back: { web: number | null; db: number | null; redis: number | null } = { web: null, db: null, redis: null };
    const killed: Array<{ name: string; service: 'web' | 'db' | 'redis' }> = [];
    return {
      action: 'kill -9 a web node, then a Galera member, then the Redis primary (no restart by the drill)',
      target: `${web}, ${db}, the Redis primary`,
      async inject() {
        const at = Date.now();
        const crash = async (name: string, service: 'web' | 'db' | 'redis', isBack: () => Promise<boolean>): Promise<number | null> => {
          killed.push({ name, service });
          await runtime.kill(name);
          const s = await secondsUntil(isBack, BACK_LIMIT_S);
          log(`node-crash: ${name} ${s === null ? `not back within ${BACK_LIMIT_S} s` : `back to full capacity after ${s} s`}`);
          return s;
        };
        back.web = await crash(web, 'web', () => webBack(runtime, web));
        back.db = await crash(db, 'db', () => dbBack(runtime, db));
        const primary = await redisPrimary(runtime);
        back.redis = await crash(primary, 'redis', () => redisBack(runtime, primary));
        return {
          at,
          detail: `SIGKILL each in turn (${killed.map((k) => k.name).join(', ')}), the next once the last was back or ${BACK_LIMIT_S} s passed; nothing restarted by the drill`,
        };
      },
      figures: async () => ({ webNodeBackSeconds: back.web, galeraMemberBackSeconds: back.db, redisPrimaryBackSeconds: back.redis }),
      async restore() {
        // Only what the cluster did not bring back by itself: the drill must leave it as it found it.
        const started: string[] = [];
        for (const k of killed) {
          if ((await member(runtime, k.name, k.service))?.running) continue;
          await runtime.start(k.name);
          if (k.service === 'web') await runtime.waitReady(k.name, 180_000);
          started.push(k.name);
        }
        return started.length
          ? { action: `start ${started.join(', ')}`, detail: `the cluster had not brought ${started.join(', ')} back by itself: started by the restore` }
          : { action: 'nothing', detail: 'every killed member was running again without the drill' };
      },
    };
  },
  bars: (m) => [...nodeCrashBars(m.figures ?? {}), noPostLost(m), steadyAfterRestore(m)],
  detection: (f) =>
    `back after: web ${seconds(f.webNodeBackSeconds)}, Galera ${seconds(f.galeraMemberBackSeconds)}, Redis ${seconds(f.redisPrimaryBackSeconds)}`,
});

/** The node-crash bars on its own figures: each member back within NODE_CRASH_BAR_S. */
export function nodeCrashBars(f: { webNodeBackSeconds?: unknown; galeraMemberBackSeconds?: unknown; redisPrimaryBackSeconds?: unknown }) {
  const n = (v: unknown) => (typeof v === 'number' ? v : null);
  return [
    within('web node back to full capacity without a person', NODE_CRASH_BAR_S, n(f.webNodeBackSeconds)),
    within('Galera member back (Synced) without a person', NODE_CRASH_BAR_S, n(f.galeraMemberBackSeconds)),
    within('Redis primary back (the pair whole) without a person', NODE_CRASH_BAR_S, n(f.redisPrimaryBackSeconds)),
  ];
}
