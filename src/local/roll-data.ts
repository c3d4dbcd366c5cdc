// Rolling restart of the ha data tier when `up` changes its members' definitions (image, settings,
// environment, memory): the order of steps, over effects the caller supplies (roll-data-docker.ts
// gives Docker, HAProxy and SQL/redis-cli ones; the unit tests give a cluster held in memory).
//
// Galera: one member at a time, and each restarted member is Synced with the cluster back to its
// full size before the next goes, so two members are never away at once (3 nodes: quorum needs 2).
// The writer goes last, and only after the writer endpoint moved off it gracefully (no new
// connections to it, its open ones finish), so no statement fails for the restart.
//
// Redis: the Sentinels first, one at a time, each back and seeing the primaries before the next (2
// of 3 keep the quorum). Then per replication group (sessions, caches): the replica first, back and
// in sync; then, if the primary changes too, a Sentinel failover to that restarted replica (the
// primary endpoint follows), and the old primary restarts as its replica. No primary is restarted
// while it is the primary.
//
// Members already stopped or missing are started first (they give nothing to lose, and make the
// cluster whole before anything else goes). Interrupted at any step, the next `up` converges: it
// finds each member current (kept), changed (rolled), stopped or missing (started), and whichever
// node is the writer or primary then goes last.

/** A data member as `up` finds it (as for web nodes: roll-web.ts). */
export type MemberState = 'current' | 'changed' | 'stopped' | 'missing';

export interface Member {
  readonly name: string;
  readonly state: MemberState;
}

/** A Redis replication group: its Sentinel name ("primary": sessions; "cache") and its data nodes. */
export interface RedisGroup {
  readonly group: string;
  readonly nodes: readonly Member[];
}

export interface DataPlan {
  readonly db: readonly Member[];
  readonly sentinels: readonly Member[];
  readonly redis: readonly RedisGroup[];
}

/** What the roll does to the cluster, one member at a time. */
export interface DataRollEffects {
  /** (Re)creates and starts the member with the new definition (a running one is stopped first). */
  replace(name: string): Promise<void>;
  /** The Galera member the writer endpoint routes to now (undefined: none yet). */
  dbWriter(): Promise<string | undefined>;
  /** Resolves when the member is Synced and the cluster has all its members again. */
  waitDbSynced(name: string): Promise<void>;
  /** Moves the writer endpoint off this member (no new connections, open ones finish); says where to and how long. */
  moveDbWriterOff(name: string): Promise<string>;
  /** Takes this member out of the reader endpoint (no new connections, open ones finish); says how long. */
  drainDbReader(name: string): Promise<string>;
  /** Lets the writer and reader endpoints use this member again (it does not take the writer back). */
  readmitDb(name: string): Promise<void>;
  /** Resolves when the Sentinel answers, names the same primaries as the others and has its quorum. */
  waitSentinel(name: string): Promise<void>;
  /** The group's primary now, as the Sentinels name it. */
  redisPrimary(group: string): Promise<string>;
  /** Resolves when the node is a replica whose link to the primary is up and in sync, and Sentinel counts it as a good replica. */
  waitReplicaInSync(group: string, name: string): Promise<void>;
  /** Sentinel failover of the group from `from` to `to`; resolves once the primary endpoint routes to `to`. */
  failover(group: string, from: string, to: string): Promise<string>;
  /** One line per step, for the operator. */
  onStep(line: string): void;
}

export interface DataRollResult {
  /** Members restarted with the new definition, in order. */
  readonly restarted: readonly string[];
  readonly ms: number;
}

/** Whether `up` must roll: the data tier runs behind its endpoints, and a running member has another definition. */
export function needsDataRoll(plan: DataPlan, endpointsRunning: boolean): boolean {
  const all = [...plan.db, ...plan.sentinels, ...plan.redis.flatMap((g) => g.nodes)];
  return endpointsRunning && all.some((m) => m.state === 'changed');
}

const secs = (t: number) => `${((Date.now() - t) / 1000).toFixed(1)} s`;

export async function rollDataTier(plan: DataPlan, fx: DataRollEffects): Promise<DataRollResult> {
  const t0 = Date.now();
  const restarted: string[] = [];
  await rollGalera(plan.db, fx, restarted);
  await rollSentinels(plan.sentinels, fx, restarted);
  for (const g of plan.redis) await rollRedisGroup(g, fx, restarted);
  return { restarted, ms: Date.now() - t0 };
}

async function rollGalera(members: readonly Member[], fx: DataRollEffects, restarted: string[]): Promise<void> {
  // Away already: started first, each Synced before anything else goes.
  for (const m of members.filter((x) => x.state === 'stopped' || x.state === 'missing')) {
    const t = Date.now();
    await fx.replace(m.name);
    await fx.waitDbSynced(m.name);
    fx.onStep(`${m.name}: started (it was ${m.state}), Synced in ${secs(t)}`);
  }
  const changed = members.filter((x) => x.state === 'changed').map((x) => x.name);
  if (!changed.length) return;
  const writer = await fx.dbWriter();
  for (const name of [...changed.filter((x) => x !== writer), ...changed.filter((x) => x === writer)]) {
    const t = Date.now();
    const isWriter = name === writer;
    if (isWriter) fx.onStep(`${name}: the writer endpoint moved off it (${await fx.moveDbWriterOff(name)})`);
    fx.onStep(`${name}: out of the reader endpoint (${await fx.drainDbReader(name)})`);
    await fx.replace(name);
    await fx.waitDbSynced(name);
    await fx.readmitDb(name);
    restarted.push(name);
    fx.onStep(`${name}: restarted with the new definition${isWriter ? ' (the writer, last)' : ''}, Synced in ${secs(t)}`);
  }
}

async function rollSentinels(sentinels: readonly Member[], fx: DataRollEffects, restarted: string[]): Promise<void> {
  const order = [...sentinels.filter((s) => s.state !== 'current' && s.state !== 'changed'), ...sentinels.filter((s) => s.state === 'changed')];
  for (const s of order) {
    const t = Date.now();
    await fx.replace(s.name);
    await fx.waitSentinel(s.name);
    if (s.state === 'changed') restarted.push(s.name);
    fx.onStep(`${s.name}: ${s.state === 'changed' ? 'restarted with the new definition' : `started (it was ${s.state})`}, back with its quorum in ${secs(t)}`);
  }
}

async function rollRedisGroup(g: RedisGroup, fx: DataRollEffects, restarted: string[]): Promise<void> {
  if (g.nodes.every((x) => x.state === 'current')) return;
  const primary = await fx.redisPrimary(g.group);
  const stateOf = (name: string) => g.nodes.find((x) => x.name === name)?.state ?? 'missing';
  // Replicas first (stopped or missing ones too: each comes back as a replica), each in sync before the next.
  for (const r of g.nodes.filter((x) => x.name !== primary && x.state !== 'current')) {
    const t = Date.now();
    await fx.replace(r.name);
    await fx.waitReplicaInSync(g.group, r.name);
    if (r.state === 'changed') restarted.push(r.name);
    fx.onStep(`${r.name}: ${r.state === 'changed' ? 'restarted with the new definition' : 'started'} (a ${g.group} replica), in sync in ${secs(t)}`);
  }
  if (stateOf(primary) !== 'changed') return;
  const to = g.nodes.find((x) => x.name !== primary)?.name;
  if (!to) throw new Error(`bug: group ${g.group} has no replica to fail over to`);
  const t = Date.now();
  fx.onStep(`${primary}: the ${g.group} primary fails over to ${to} before it restarts (${await fx.failover(g.group, primary, to)})`);
  await fx.replace(primary);
  await fx.waitReplicaInSync(g.group, primary);
  restarted.push(primary);
  fx.onStep(`${primary}: restarted with the new definition as ${to}'s replica, in sync in ${secs(t)}`);
}
