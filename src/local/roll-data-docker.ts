// `up`'s data step when running data members would change (image, settings, environment, memory:
// anything in their definition hash). ha: they restart one at a time (roll-data.ts has the order),
// with these effects: the engine for restarts, SQL for Galera's state, redis-cli for Redis and the
// Sentinels, and the endpoints container's HAProxy runtime API for the writer and the primaries.
// dev: one database and one Redis server, so a restart is an outage: `up` says so, and restarts them.
//
// The controller (the healer) is stopped by `up` before this runs, so it never starts a member the
// roll has just stopped.
import { LABELS } from '../contract/image.ts';
import { galeraMember } from '../runtime/galera.ts';
import type { Spec } from '../spec/schema.ts';
import { UserError } from '../util/errors.ts';
import { keyValues } from '../util/key-values.ts';
import type { Progress } from '../util/progress.ts';
import { assertStaysUp, definitionHash, ensureContainer, exec, inspectContainer, sleep, type ContainerSpec } from './containers.ts';
import { dbContainers, endpointsContainer, HA_DB_NODES, HA_SENTINELS, redisContainers } from './data-services.ts';
import { ENDPOINTS_ADMIN_SOCKET } from './endpoints.ts';
import { PLANNED_FAILOVER_SH, pausedMs, plannedFailoverTimes } from './redis-paused-failover.ts';
import { docker } from './engine/docker.ts';
import { clusterNames } from './names.ts';
import { needsDataRoll, rollDataTier, type DataPlan, type DataRollResult, type MemberState } from './roll-data.ts';
import type { Secrets } from './secrets.ts';
import type { ImageTags } from './services.ts';

/**
 * Bounds of each wait (a member that does not get there stops the roll, naming what it saw). drain:
 * how long the old writer's open connections may take to finish; web requests take seconds, but
 * cron's process keeps its connection for minutes, so the roll goes on at the limit (cron's
 * connection drops, and cron runs again on its next pass).
 */
export const DATA_ROLL_LIMITS_MS = { dbSynced: 300_000, sentinel: 60_000, replica: 120_000, failover: 30_000, writerUp: 30_000, drain: 10_000 };
/** Where the roll marks a Redis primary it is failing over (read by the image's primary watch). */
export const PLANNED_FAILOVER_FILE = '/run/redis/planned-failover';

/** The endpoints backend that serves a Sentinel group. */
const BACKEND: Record<string, string> = { primary: 'redis', cache: 'cache' };
/** While the primary's writes are paused: how long the replica may take to hold all of them, and then the promotion. */
export const FAILOVER_CATCH_UP_MS = 3000;
/** How long the old primary's writes may stay paused at most (CLIENT PAUSE's own limit, if the roll dies meanwhile). */
export const FAILOVER_PAUSE_MS = 10_000;

/** Member state against the definition this run gives it (as roll.ts for web nodes). */
async function memberState(def: ContainerSpec, imageIds: Map<string, string>): Promise<MemberState> {
  const c = await inspectContainer(def.name);
  if (!c) return 'missing';
  if (!c.State.Running) return 'stopped';
  if (!imageIds.has(def.image)) imageIds.set(def.image, (await docker().getImage(def.image).inspect()).Id);
  return c.Config.Labels?.[LABELS.definition] === definitionHash(def, imageIds.get(def.image)!) ? 'current' : 'changed';
}

/**
 * Rolls the ha data tier when a running member would change (see the file's head); null when no
 * roll is called for, and the caller ensures the containers as before (which, in dev, restarts a
 * changed one: said here first).
 */
export async function rollDataTierIfChanged(spec: Spec, tags: ImageTags, secrets: Secrets, progress: Progress): Promise<DataRollResult | null> {
  const n = clusterNames(spec.name);
  const db = dbContainers(spec, tags, secrets);
  const redis = redisContainers(spec, tags, secrets);
  const defs = new Map([...db, ...redis].map((c) => [c.name, c]));
  const ids = new Map<string, string>();
  const state = new Map<string, MemberState>();
  for (const c of defs.values()) state.set(c.name, await memberState(c, ids));
  const member = (c: ContainerSpec) => ({ name: c.name, state: state.get(c.name)! });
  if (spec.profile !== 'ha') {
    const notice = singleServerRestartNotice(
      spec.profile,
      [...state].filter(([, s]) => s === 'changed').map(([name]) => name),
    );
    if (notice) progress.info(notice);
    return null;
  }
  const plan: DataPlan = {
    db: db.map(member),
    sentinels: redis.filter((c) => c.service === 'sentinel').map(member),
    redis: (['primary', 'cache'] as const).map((group) => ({
      group,
      nodes: redis.filter((c) => c.service === (group === 'primary' ? 'redis' : 'cache')).map(member),
    })),
  };
  const endpointsRunning = (await inspectContainer(n.container('endpoints')))?.State.Running === true;
  // A roll interrupted after it took a member out of the endpoints (MAINT) leaves it out: let every
  // member back in (their checks decide; the writer and the primaries stay where they are).
  if (endpointsRunning) await readmitAll(spec, [...db, ...redis.filter((c) => c.service !== 'sentinel')]);
  if (!needsDataRoll(plan, endpointsRunning)) return null;
  progress.info('data tier members with a new definition: restarting them one at a time (Galera keeps its quorum, Redis fails over first)');
  // The roll reads and steers the endpoints through their admin socket: an endpoints container
  // from before it had one is replaced first (connections through it drop once and reconnect).
  const endpoints = endpointsContainer(spec, tags, secrets);
  if ((await ensureContainer(endpoints)) !== 'kept') {
    progress.info(`${endpoints.name}: replaced with its new definition first (clients reconnect once)`);
    await assertStaysUp(endpoints.name, 3000);
  }
  const fx = dockerDataEffects(spec, defs);
  const result = await rollDataTier(plan, { ...fx, onStep: (line) => progress.info(line) });
  progress.info(`data tier rolled in ${(result.ms / 1000).toFixed(1)} s (${result.restarted.length} members restarted)`);
  return result;
}

/** What `up` says before it restarts changed data members of a profile without replicas (none changed: nothing). */
export function singleServerRestartNotice(profile: string, changed: readonly string[]): string | undefined {
  if (!changed.length) return undefined;
  return (
    `${changed.join(', ')}: restarting with the new definition. The ${profile} profile has one database and one Redis server, ` +
    'so this restart is an outage: the site cannot reach them until they are back (seconds; sessions are kept on disk). ' +
    'The ha profile restarts them one at a time without one.'
  );
}

/** Every data member back in its endpoints backend; nothing when the endpoints have no admin socket (made before it had one). */
async function readmitAll(spec: Spec, members: readonly ContainerSpec[]): Promise<void> {
  const backends: Record<string, readonly string[]> = { db: ['db', 'db_read'], redis: ['redis'], cache: ['cache'] };
  const commands = members.flatMap((c) => (backends[c.service] ?? []).map((b) => `set server ${b}/${c.name} state ready`)).join(';');
  await exec(clusterNames(spec.name).container('endpoints'), ['sh', '-c', `echo "${commands}" | socat stdio ${ENDPOINTS_ADMIN_SOCKET}`]).catch(() => undefined);
}

// ---- reading answers (pure, unit-tested) ----

/** `show table db`: the server the stick table sends the writer's connections to. */
export function stickServer(showTable: string): string | undefined {
  return /server_key=(\S+)/.exec(showTable)?.[1];
}

export interface EndpointServer {
  readonly server: string;
  readonly status: string;
  readonly sessions: number;
}

/** `show stat`: one backend's servers, in configuration order. */
export function backendServers(csv: string, backend: string): EndpointServer[] {
  const [header, ...rows] = csv.trim().split('\n');
  const cols = (header ?? '').replace(/^# /, '').split(',');
  const at = (row: string[], name: string) => row[cols.indexOf(name)] ?? '';
  return rows
    .map((r) => r.split(','))
    .filter((r) => at(r, 'pxname') === backend && !['FRONTEND', 'BACKEND'].includes(at(r, 'svname')))
    .map((r) => ({ server: at(r, 'svname'), status: at(r, 'status'), sessions: Number(at(r, 'scur') || 0) }));
}

/** redis-cli --raw's answer to SENTINEL MASTER / REPLICAS: alternating key and value lines, one record per entry. */
export function sentinelRecords(output: string): Record<string, string>[] {
  const lines = output.split('\n').map((l) => l.trim());
  const records: Record<string, string>[] = [];
  let cur: Record<string, string> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const [k, v] = [lines[i]!, lines[i + 1]!];
    if (k === 'name' && Object.keys(cur).length) {
      records.push(cur);
      cur = {};
    }
    cur[k] = v;
  }
  if (Object.keys(cur).length) records.push(cur);
  return records;
}

// ---- effects ----

async function until<T>(what: string, limitMs: number, probe: () => Promise<T | undefined>, seen: () => string): Promise<T> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const r = await probe().catch(() => undefined);
    if (r !== undefined) return r;
    await sleep(500);
  }
  throw new UserError(
    `the data tier's rolling restart stopped: ${what} not within ${limitMs / 1000} s (last seen: ${seen()}). ` +
      'The members not yet restarted keep their old definition; fix the cause and run up again: it continues where this stopped.',
  );
}

function dockerDataEffects(spec: Spec, defs: Map<string, ContainerSpec>) {
  const n = clusterNames(spec.name);
  const sentinels = Array.from({ length: HA_SENTINELS }, (_, k) => n.container('sentinel', k + 1));
  const endpoints = async (command: string) => {
    const r = await exec(n.container('endpoints'), ['sh', '-c', `echo "${command}" | socat stdio ${ENDPOINTS_ADMIN_SOCKET}`]);
    if (r.code !== 0) throw new Error(`endpoints runtime command "${command}" failed: ${r.output}`);
    return r.output;
  };
  const servers = async (backend: string) => backendServers(await endpoints('show stat'), backend);
  const redisCli = (node: string, args: readonly string[]) =>
    exec(node, ['sh', '-c', 'REDISCLI_AUTH="$(cat "$REDIS_PASSWORD_FILE")" exec redis-cli --raw "$@"', 'sh', ...args]);
  const sentinelCli = (node: string, args: readonly string[]) => exec(node, ['redis-cli', '-p', '26379', '--raw', ...args]);
  const primaryOf = async (group: string): Promise<string | undefined> => {
    const votes = new Map<string, number>();
    for (const s of sentinels) {
      const r = await sentinelCli(s, ['sentinel', 'get-master-addr-by-name', group]).catch(() => undefined);
      const host = r?.code === 0 ? r.output.split('\n')[0]?.trim() : '';
      if (host) votes.set(host, (votes.get(host) ?? 0) + 1);
    }
    return [...votes].find(([, v]) => v > HA_SENTINELS / 2)?.[0];
  };
  /** DRAIN the server (and `also`), wait until its open connections finish (bounded), then MAINT; says how long. */
  const drain = async (backend: string, name: string, also = '') => {
    const t = Date.now();
    await endpoints(`set server ${backend}/${name} state drain${also ? `; ${also}` : ''}`);
    let open = 0;
    while (Date.now() - t < DATA_ROLL_LIMITS_MS.drain) {
      open = (await servers(backend)).find((s) => s.server === name)?.sessions ?? 0;
      if (open === 0) break;
      await sleep(250);
    }
    await endpoints(`set server ${backend}/${name} state maint`);
    return `its open connections finished in ${Date.now() - t} ms${open ? `, ${open} still open at the limit` : ''}`;
  };
  const def = (name: string) => {
    const d = defs.get(name);
    if (!d) throw new Error(`bug: ${name} is not a data member`);
    return d;
  };
  return {
    async replace(name: string) {
      await ensureContainer(def(name));
    },
    async dbWriter() {
      return stickServer(await endpoints('show table db')) ?? (await servers('db')).find((s) => s.status === 'UP')?.server;
    },
    async waitDbSynced(name: string) {
      let seen = 'no answer';
      await until(
        `${name} Synced with ${HA_DB_NODES} members`,
        DATA_ROLL_LIMITS_MS.dbSynced,
        async () => {
          const m = await galeraMember((argv) => exec(name, argv), HA_DB_NODES);
          seen = m.seen;
          return m.whole ? true : undefined;
        },
        () => seen,
      );
    },
    async moveDbWriterOff(name: string) {
      // Another member the endpoint counts as UP (Synced: its check rises after 3 s) must take the writes.
      let seen = '';
      const next = await until(
        `another Galera member up in the writer endpoint before ${name} leaves it`,
        DATA_ROLL_LIMITS_MS.writerUp,
        async () => {
          const list = await servers('db');
          seen = list.map((s) => `${s.server} ${s.status}`).join(', ');
          return list.find((s) => s.server !== name && s.status === 'UP')?.server;
        },
        () => seen,
      );
      // DRAIN, not MAINT: entering MAINT counts as marked down, and on-marked-down shutdown-sessions
      // would cut the requests in flight (seen: "Error reading from database"). A drained server
      // still takes sticky connections, so the stick entry goes too: the next connection picks (and
      // sticks to) the first server up. What is still open at the limit (cron's) is cut by MAINT.
      return `new connections go to ${next}; ${await drain('db', name, 'clear table db key 1')}`;
    },
    async drainDbReader(name: string) {
      // As for the writer: DRAIN lets the requests reading there finish, MAINT at the limit.
      return drain('db_read', name);
    },
    async readmitDb(name: string) {
      await endpoints(`set server db/${name} state ready; set server db_read/${name} state ready`);
    },
    async waitSentinel(name: string) {
      let seen = 'no answer';
      await until(
        `${name} watching both primaries with its quorum`,
        DATA_ROLL_LIMITS_MS.sentinel,
        async () => {
          for (const group of ['primary', 'cache']) {
            const m = sentinelRecords((await sentinelCli(name, ['sentinel', 'master', group])).output)[0] ?? {};
            const named = (await sentinelCli(name, ['sentinel', 'get-master-addr-by-name', group])).output.split('\n')[0]?.trim();
            const agreed = await primaryOf(group);
            const quorum = (await sentinelCli(name, ['sentinel', 'ckquorum', group])).output.trim();
            seen = `${group}: names ${named ?? '?'} (flags ${m.flags ?? '?'}), ${m['num-other-sentinels'] ?? '?'} other Sentinels, the majority names ${agreed ?? 'none'}; ${quorum.split('\n')[0]}`;
            if (m.flags !== 'master' || !named || named !== agreed || Number(m['num-other-sentinels']) < HA_SENTINELS - 1 || !quorum.startsWith('OK'))
              return undefined;
          }
          return true;
        },
        () => seen,
      );
    },
    async redisPrimary(group: string) {
      return until(
        `a majority of the Sentinels naming the ${group} primary`,
        DATA_ROLL_LIMITS_MS.sentinel,
        () => primaryOf(group),
        () => 'no majority',
      );
    },
    async waitReplicaInSync(group: string, name: string) {
      let seen = 'no answer';
      await until(
        `${name} a ${group} replica in sync, counted by Sentinel`,
        DATA_ROLL_LIMITS_MS.replica,
        async () => {
          const primary = await primaryOf(group);
          const info = keyValues((await redisCli(name, ['info', 'replication'])).output);
          const known = sentinelRecords((await sentinelCli(sentinels[0]!, ['sentinel', 'replicas', group])).output).find(
            (r) => r.ip === name || r.name?.startsWith(`${name}:`),
          );
          seen = `role ${info.role}, primary ${info.master_host} (Sentinels: ${primary}), link ${info.master_link_status}, sync in progress ${info.master_sync_in_progress}; Sentinel: ${known?.flags ?? 'unknown'}, link ${known?.['master-link-status'] ?? '?'}`;
          const ok =
            info.role === 'slave' &&
            info.master_host === primary &&
            info.master_link_status === 'up' &&
            info.master_sync_in_progress === '0' &&
            known?.flags === 'slave' &&
            known['master-link-status'] === 'ok';
          return ok ? true : undefined;
        },
        () => seen,
      );
    },
    async failover(group: string, from: string, to: string) {
      const backend = BACKEND[group]!;
      // The mark tells `from`'s primary watch (images/redis/primary-watch) that this failover is
      // planned: the roll demotes `from` itself once the endpoint has moved and its connections are cut.
      // Without it the watch would demote `from` before the endpoint moves (READONLY to users): no mark, no failover.
      const marked = await exec(from, ['sh', '-c', `date +%s > ${PLANNED_FAILOVER_FILE}`]);
      if (marked.code !== 0) throw new Error(`could not mark the planned failover on ${from} (${PLANNED_FAILOVER_FILE}): ${marked.output.trim()}`);
      // Every client keeps its connection (the sessions and the caches: each PHP worker keeps one to
      // each, the runtime image's kept-redis.php), and a connection to `from` never ends on its own.
      // So writes on `from` wait from the pause (reads go on) until the script cuts their connections;
      // they never ran, so kept-redis.php sends them again, through the endpoint, to `to`, which has
      // every earlier write. One exec in the endpoints container: no exec's delay inside the pause.
      const r = await exec(n.container('endpoints'), [
        'sh',
        '-c',
        PLANNED_FAILOVER_SH,
        'sh',
        from,
        to,
        sentinels[0]!,
        group,
        backend,
        String(FAILOVER_PAUSE_MS),
        String(FAILOVER_CATCH_UP_MS),
        ENDPOINTS_ADMIN_SOCKET,
      ]);
      const times = plannedFailoverTimes(r.output);
      if (r.code !== 0 || !times) {
        const resumed = /promoted, but/.test(r.output) ? '' : ` (writes on ${from} resumed)`;
        throw new Error(`the planned failover of ${group} from ${from} to ${to} failed${resumed}: ${r.output.trim()}`);
      }
      await until(
        `the Sentinels naming ${to} as the ${group} primary`,
        DATA_ROLL_LIMITS_MS.failover,
        async () => ((await primaryOf(group)) === to ? true : undefined),
        () => `not yet ${to}`,
      );
      return (
        `writes paused on ${from} for ${pausedMs(times)} ms: ${to} held all of them after ${times.caughtUpMs} ms, promoted ${times.promotedMs} ms ` +
        `after the request; the endpoint moved in ${times.movedMs} ms; ${from}'s connections cut, and it became ${to}'s replica, in ${times.cutMs} ms`
      );
    },
  };
}
