// cache-stall (ha): freeze the Redis primary (sessions) for 5 s under load (docker pause: its
// connections stay open and nothing answers, as a stalled or failing-over Redis looks to PHP), then
// let it run on. Issue 9 saw such a stall take the whole site out: every PHP worker waited on Redis,
// the load balancer's health checks (then answered by the same workers) timed out on every node,
// and HAProxy answered "no server available". Bars: no second without a web node UP, every web node
// stays UP in the load balancer throughout, error-free again within 5 s of the resume.
import type { ClusterRuntime } from '../../../runtime/cluster.ts';
import { noPostLost, steadyAfterRestore, within, type Bar, type Measured } from '../bars.ts';
import { defineDrill, seconds } from '../drill.ts';
import { redisPrimary } from '../redis-roles.ts';
import { pause, since } from '../timing.ts';

/** How long the primary is frozen, and how long after the resume the load balancer is still watched (the bar's window). */
export interface StallTiming {
  readonly stallSeconds: number;
  readonly watchAfterResumeSeconds: number;
}
const ISSUE_TIMING: StallTiming = { stallSeconds: 5, watchAfterResumeSeconds: 5 };
const POLL_MS = 200;

/** What the load balancer showed while it was watched. */
export interface LbWatch {
  /** Web nodes seen in any state but UP, with the first second (after the fault) each was seen so. */
  readonly notUp: Readonly<Record<string, number>>;
  /** Seconds in which no web node was UP (HAProxy then answers 503 "no server available"), to 0.1 s. */
  readonly noServerSeconds: number;
  /** Polls that read the load balancer's figures, and polls that could not. */
  readonly polls: number;
  readonly unreadable: number;
}

/** HAProxy serves with a node "UP", and still with "UP 1/2" (a check failed, not yet enough to mark it down). */
export const serving = (status: string): boolean => /^UP\b/.test(status);

/** Polls the load balancer's view of the web nodes every POLL_MS until `until()` says stop. */
export async function watchLoadBalancer(runtime: ClusterRuntime, at: number, until: () => boolean): Promise<LbWatch> {
  const notUp: Record<string, number> = {};
  let noServerMs = 0;
  let polls = 0;
  let unreadable = 0;
  let last = Date.now();
  while (!until()) {
    const servers = await runtime.lbServers().catch((e: Error) => e.message);
    const now = Date.now();
    if (typeof servers === 'string') unreadable++;
    else {
      polls++;
      for (const s of servers) if (!serving(s.status) && !(s.server in notUp)) notUp[s.server] = since(at);
      if (!servers.some((s) => serving(s.status))) noServerMs += now - last;
    }
    last = now;
    await pause(POLL_MS);
  }
  return { notUp, noServerSeconds: Math.round(noServerMs / 100) / 10, polls, unreadable };
}

/** The bars on what the drill watched itself (figures) and the run's recovery, measured from the resume. */
export function stallBars(m: Measured): Bar[] {
  const f = m.figures ?? {};
  const stalled = typeof f.stalledSeconds === 'number' ? f.stalledSeconds : null;
  const noServer = typeof f.noServerSeconds === 'number' ? f.noServerSeconds : null;
  const down = typeof f.webNodesMarkedDown === 'string' ? f.webNodesMarkedDown : null;
  const afterResume = m.recoverySeconds === null || stalled === null ? null : Math.max(0, Math.round((m.recoverySeconds - stalled) * 10) / 10);
  return [
    {
      name: 'seconds with no web node UP (HAProxy answers "no server available")',
      limit: '0',
      measured: noServer === null ? 'not watched' : `${noServer} s`,
      met: noServer === 0,
    },
    {
      name: 'web nodes the load balancer marked down during the stall and 5 s after',
      limit: 'none',
      measured: down ?? 'not watched',
      met: down === 'none',
    },
    within('error-free again after the resume', 5, afterResume),
    noPostLost(m),
    steadyAfterRestore(m),
  ];
}

/** The drill with other timings (unit tests); `cacheStall` is the issue's. */
export const makeCacheStall = ({ stallSeconds, watchAfterResumeSeconds }: StallTiming = ISSUE_TIMING) =>
  defineDrill({
    name: 'cache-stall',
    summary: `pause the Redis primary for ${stallSeconds} s`,
    needsHa: true,
    minWebNodes: 2,
    longFault: false,
    figures: {
      stalledSeconds: 'seconds the Redis primary was paused',
      noServerSeconds: 'seconds no web node was UP in the load balancer',
      webNodesMarkedDown: 'web nodes marked down (and when, seconds after the pause)',
      lbPolls: 'load balancer polls (every 0.2 s; unreadable ones in brackets)',
    },
    async prepare({ runtime }) {
      const primary = await redisPrimary(runtime);
      let at = Date.now();
      let resumedAt: number | null = null;
      let resume: Promise<unknown> = Promise.resolve();
      let watched: Promise<LbWatch | null> = Promise.resolve(null);
      return {
        action: `pause the Redis primary for ${stallSeconds} s`,
        target: primary,
        async inject() {
          at = Date.now();
          await runtime.pause(primary);
          resume = (async () => {
            await pause(stallSeconds * 1000 - (Date.now() - at));
            await runtime.unpause(primary);
            resumedAt = Date.now();
          })().catch(() => undefined); // restore() unpauses whatever happened here
          const watchUntil = () => resumedAt !== null && Date.now() - resumedAt > watchAfterResumeSeconds * 1000;
          const giveUp = at + (stallSeconds + watchAfterResumeSeconds + 30) * 1000;
          watched = watchLoadBalancer(runtime, at, () => watchUntil() || Date.now() > giveUp).catch(() => null);
          return { at, detail: `docker pause (every process frozen, connections held); unpaused after ${stallSeconds} s` };
        },
        async figures() {
          await resume;
          const w = await watched;
          const down = w ? Object.entries(w.notUp) : [];
          return {
            stalledSeconds: resumedAt === null ? null : Math.round((resumedAt - at) / 100) / 10,
            noServerSeconds: w ? w.noServerSeconds : null,
            webNodesMarkedDown: w ? (down.length ? down.map(([n, s]) => `${n} (${s} s)`).join(', ') : 'none') : null,
            lbPolls: w ? `${w.polls} (${w.unreadable})` : null,
          };
        },
        async restore() {
          await resume;
          await runtime.unpause(primary);
          return {
            action: `unpause ${primary}`,
            detail:
              resumedAt === null ? 'it was still paused' : `running again since ${since(resumedAt)} s; was paused ${Math.round((resumedAt - at) / 100) / 10} s`,
          };
        },
      };
    },
    bars: stallBars,
    detection: (f) => `no web node UP: ${seconds(f.noServerSeconds)}; marked down: ${f.webNodesMarkedDown ?? 'not watched'}`,
  });

export const cacheStall = makeCacheStall();
