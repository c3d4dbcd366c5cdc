// Fault injection and restore, one pair per drill. inject() breaks one thing and returns at once
// (watchers that time the cluster's reaction keep running); figures() waits for them; restore()
// puts back what was broken, so the drill leaves the cluster as it found it.
import { docker } from '../../local/engine/docker.ts';
import { down } from '../../local/down.ts';
import { exec, sleep } from '../../local/containers.ts';
import { WEB_CHECK } from '../../local/haproxy.ts';
import { clusterNames } from '../../local/names.ts';
import { waitReady } from '../../local/readiness.ts';
import { runningWebNodes, scaleTo } from '../../local/scale.ts';
import { lbStats } from '../../local/status.ts';
import { up } from '../../local/up.ts';
import type { LoadedSpec } from '../../spec/read.ts';
import type { Progress } from '../../util/progress.ts';
import type { DrillName } from './options.ts';
import type { Figure } from './result.ts';
import { redisRoles } from './steady-state.ts';

export interface FaultContext {
  readonly loaded: LoadedSpec;
  readonly log: (line: string) => void;
  /** Called by full-restart right before the cluster goes down (the inventory snapshot). */
  readonly beforeDown?: () => Promise<void>;
}

export interface InjectedFault {
  readonly action: string;
  readonly target: string;
  readonly detail: string;
  /** When the fault was injected (epoch ms, right before the destructive call). */
  readonly at: number;
  figures(): Promise<Record<string, Figure>>;
  restore(): Promise<{ action: string; detail: string }>;
}

const kill9 = (name: string) => docker().getContainer(name).kill({ signal: 'SIGKILL' });
const since = (t0: number) => Math.round((Date.now() - t0) / 100) / 10;

/** Polls `probe` every 250 ms until true; seconds it took, or null after `limitS`. */
async function secondsUntil(probe: () => Promise<boolean>, limitS: number): Promise<number | null> {
  const t0 = Date.now();
  while (Date.now() - t0 < limitS * 1000) {
    if (await probe().catch(() => false)) return since(t0);
    await sleep(250);
  }
  return null;
}

const sql = (node: string, q: string) => exec(node, ['mariadb', '--protocol=socket', '-N', '-s', '-e', q]);

/**
 * The Galera node the writer endpoint sends Moodle's statements to: the one whose client statement
 * counter (Questions; replicated writes do not count) grew most over one second. Under load that
 * is unambiguous; with no load it may be any node, so callers measure it while users are active.
 */
export async function currentDbWriter(loaded: LoadedSpec): Promise<string> {
  const n = clusterNames(loaded.spec.name);
  const nodes = [1, 2, 3].map((i) => n.container('db', i));
  const questions = () => Promise.all(nodes.map((node) => sql(node, "SHOW GLOBAL STATUS LIKE 'Questions'").then((r) => Number(/(\d+)\s*$/.exec(r.output.trim())?.[1] ?? NaN)).catch(() => NaN)));
  const first = await questions();
  await sleep(1000);
  const second = await questions();
  let best = { node: nodes[0]!, delta: -1 };
  nodes.forEach((node, i) => {
    const delta = second[i]! - first[i]!;
    if (delta > best.delta) best = { node, delta };
  });
  return best.node;
}

/** The Redis primary as the Sentinels see it (they announce container names). */
export async function currentRedisPrimary(loaded: LoadedSpec): Promise<string> {
  const n = clusterNames(loaded.spec.name);
  const r = await exec(n.container('sentinel', 1), ['redis-cli', '-p', '26379', 'sentinel', 'get-master-addr-by-name', 'primary']);
  const name = r.output.trim().split('\n')[0]?.trim();
  if (!name) throw new Error(`sentinel-1 does not name a primary: ${r.output}`);
  return name;
}

async function startAgain(name: string): Promise<void> {
  await docker().getContainer(name).start().catch((e: { statusCode?: number }) => {
    if (e.statusCode !== 304) throw e;
  });
}

export async function injectFault(drill: DrillName, ctx: FaultContext): Promise<InjectedFault> {
  const spec = ctx.loaded.spec;
  const n = clusterNames(spec.name);
  switch (drill) {
    case 'web-loss': {
      const victim = (await runningWebNodes(spec)).at(-1)!;
      const at = Date.now();
      await kill9(victim);
      const markedDown = secondsUntil(async () => {
        const s = await lbStats(spec);
        return Array.isArray(s) && s.some((x) => x.server === victim && !x.status.startsWith('UP'));
      }, 30);
      return {
        action: 'kill -9 web node', target: victim, at, detail: `SIGKILL to the container; HAProxy finds out by its health checks (every ${WEB_CHECK.interS} s, ${WEB_CHECK.fastinterMs / 1000} s after a failure, fall ${WEB_CHECK.fall}, timeout check ${WEB_CHECK.timeoutS} s)`,
        figures: async () => ({ 'seconds until HAProxy marked the node down': await markedDown }),
        restore: async () => {
          await startAgain(victim);
          await waitReady(victim, 180_000);
          return { action: `start ${victim}`, detail: 'started; /readyz 200' };
        },
      };
    }
    case 'db-writer-loss': {
      const writer = await currentDbWriter(ctx.loaded);
      let writerAfter: string | null = null;
      const at = Date.now();
      await kill9(writer);
      return {
        action: 'kill -9 the Galera node behind the writer endpoint', target: writer, at, detail: 'SIGKILL; the writer endpoint moves new connections to the next Synced node',
        figures: async () => ({ 'writer afterwards (at the end of the load)': writerAfter }),
        restore: async () => {
          writerAfter = await currentDbWriter(ctx.loaded).catch(() => null);
          await startAgain(writer);
          const rejoined = await secondsUntil(async () => (await docker().getContainer(writer).inspect()).State.Health?.Status === 'healthy', 300);
          return { action: `start ${writer}`, detail: rejoined === null ? 'not Synced within 300 s' : `rejoined (Synced) in ${rejoined} s` };
        },
      };
    }
    case 'cache-primary-loss': {
      const primary = await currentRedisPrimary(ctx.loaded);
      const at = Date.now();
      await kill9(primary);
      const promoted = secondsUntil(async () => (await currentRedisPrimary(ctx.loaded)) !== primary, 60);
      let asMaster: number | null = null;
      return {
        action: 'kill -9 the Redis primary', target: primary, at, detail: 'SIGKILL; Sentinel (down-after 3 s) promotes the replica, the primary endpoint follows role:master',
        figures: async () => ({
          'seconds until Sentinel named a new primary': await promoted,
          'seconds the restarted old primary claimed role:master': asMaster,
        }),
        restore: async () => {
          await startAgain(primary);
          const t1 = Date.now();
          // Until Sentinel turns it into a replica, the old primary may say role:master, and the
          // primary endpoint sends connections to every node saying so (rise 2 at 1 s).
          let lastMaster = -1;
          const demoted = await secondsUntil(async () => {
            const role = (await redisRoles(spec))[primary];
            if (role === 'master') lastMaster = Date.now();
            return role === 'slave';
          }, 90);
          asMaster = lastMaster < 0 ? 0 : Math.round((lastMaster - t1) / 100) / 10;
          return { action: `start ${primary}`, detail: demoted === null ? `not a replica within 90 s (${since(at)} s after the kill)` : `replica again after ${demoted} s` };
        },
      };
    }
    case 'lb-restart': {
      const lb = n.container('lb');
      const at = Date.now();
      await docker().getContainer(lb).restart({ t: 10 });
      const took = since(at);
      return {
        action: 'restart the HAProxy container', target: lb, at, detail: `docker restart (SIGTERM, 10 s grace); took ${took} s`,
        figures: async () => ({ 'seconds the restart took': took }),
        restore: async () => ({ action: 'none (the restart is the whole fault)', detail: 'HAProxy restarted' }),
      };
    }
    case 'scale-in': {
      const before = (await runningWebNodes(spec)).length;
      const at = Date.now();
      const steps = await scaleTo(spec, before - 1);
      const took = since(at);
      return {
        action: `scale the web tier from ${before} to ${before - 1} nodes`, target: steps.map((s) => s.node).join(', '), at, detail: steps.map((s) => s.detail).join('; '),
        figures: async () => ({ 'seconds the scale-in took (drain, reconfigure, stop)': took, 'web nodes before': before }),
        restore: async () => {
          const back = await scaleTo(spec, before);
          return { action: `scale back to ${before} nodes`, detail: back.map((s) => `${s.node} ${s.action} in ${(s.ms / 1000).toFixed(1)} s`).join('; ') };
        },
      };
    }
    case 'full-restart': {
      await ctx.beforeDown?.();
      const at = Date.now();
      const quiet: Progress = { step: (_t, work) => work(), info: () => {}, detail: () => {} };
      await down(spec.name, { volumes: false }, { ...quiet, step: async (title, work) => { ctx.log(`  down: ${title}`); return work(); } });
      const downS = since(at);
      const t1 = Date.now();
      const r = await up(ctx.loaded, { ...quiet, step: async (title, work) => { ctx.log(`  up: ${title}`); return work(); } });
      const upS = since(t1);
      return {
        action: 'down, then up (volumes kept)', target: `cluster ${spec.name}`, at, detail: `down ${downS} s, up ${upS} s (migrate: ${r.migrate})`,
        figures: async () => ({ 'seconds down took': downS, 'seconds up took': upS, 'migrate on up': r.migrate }),
        restore: async () => ({ action: 'none (up is part of the fault)', detail: 'cluster up' }),
      };
    }
  }
}
