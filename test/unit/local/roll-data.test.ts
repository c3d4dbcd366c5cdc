// The ha data tier's rolling restart (src/local/roll-data.ts) against a cluster held in memory that
// checks, at every step, what the cluster must never do: restart a Galera member while another is
// away (quorum), restart the member the writer endpoint routes to, restart a Sentinel while another
// is away, or restart a Redis node while it is its group's primary; and no Galera member restarts
// while the reader endpoint still sends it reads.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { needsDataRoll, rollDataTier, type DataPlan, type DataRollEffects, type MemberState } from '../../../src/local/roll-data.ts';

const DB = ['db-1', 'db-2', 'db-3'];
const SENTINELS = ['sentinel-1', 'sentinel-2', 'sentinel-3'];

function cluster(opts: { writer?: string; primaries?: Record<string, string>; away?: string[] } = {}) {
  const up = new Set([...DB, ...SENTINELS, 'redis-1', 'redis-2', 'cache-1', 'cache-2'].filter((m) => !opts.away?.includes(m)));
  const inSync = new Set(up);
  const maint = new Set<string>();
  const readerOut = new Set<string>();
  let writer = opts.writer ?? 'db-1';
  const primary: Record<string, string> = { primary: 'redis-1', cache: 'cache-1', ...opts.primaries };
  const log: string[] = [];
  const minSynced = { db: Number.POSITIVE_INFINITY };
  const group = (name: string) => (name.startsWith('cache') ? 'cache' : 'primary');
  const fx: DataRollEffects = {
    async replace(name) {
      if (DB.includes(name)) {
        const others = DB.filter((d) => d !== name && up.has(d) && inSync.has(d));
        assert.equal(others.length, 2, `${name} restarted while only ${others.join(', ')} are Synced (two members away at once)`);
        assert.notEqual(writer, name, `${name} restarted while the writer endpoint routes to it`);
        if (up.has(name)) assert.ok(readerOut.has(name), `${name} restarted while the reader endpoint sends it reads`);
        minSynced.db = Math.min(minSynced.db, others.length);
      } else if (SENTINELS.includes(name)) {
        const others = SENTINELS.filter((s) => s !== name && up.has(s));
        assert.equal(others.length, 2, `${name} restarted while another Sentinel is away`);
      } else {
        assert.notEqual(primary[group(name)], name, `${name} restarted while it is the ${group(name)} primary`);
      }
      up.add(name);
      inSync.delete(name);
      log.push(`replace ${name}`);
    },
    async dbWriter() {
      return writer;
    },
    async waitDbSynced(name) {
      inSync.add(name);
      log.push(`synced ${name}`);
    },
    async moveDbWriterOff(name) {
      maint.add(name);
      const next = DB.find((d) => d !== name && inSync.has(d) && !maint.has(d));
      assert.ok(next, 'no Synced member to move the writer to');
      writer = next;
      log.push(`move writer ${name} -> ${next}`);
      return `now ${next}`;
    },
    async drainDbReader(name) {
      readerOut.add(name);
      log.push(`reader out ${name}`);
      return 'drained';
    },
    async readmitDb(name) {
      maint.delete(name);
      readerOut.delete(name);
      log.push(`readmit ${name}`);
    },
    async waitSentinel(name) {
      log.push(`sentinel ${name}`);
    },
    async redisPrimary(g) {
      return primary[g]!;
    },
    async waitReplicaInSync(g, name) {
      assert.notEqual(primary[g], name);
      inSync.add(name);
      log.push(`in sync ${name}`);
    },
    async failover(g, from, to) {
      assert.equal(primary[g], from);
      assert.ok(inSync.has(to), `failover to ${to}, which is not in sync`);
      primary[g] = to;
      log.push(`failover ${g} ${from} -> ${to}`);
      return 'endpoint follows';
    },
    onStep: () => {},
  };
  return {
    fx,
    log,
    primary,
    get writer() {
      return writer;
    },
    maint,
    readerOut,
    minSynced,
  };
}

const plan = (states: Record<string, MemberState>, def: MemberState = 'changed'): DataPlan => {
  const m = (name: string) => ({ name, state: states[name] ?? def });
  return {
    db: DB.map(m),
    sentinels: SENTINELS.map(m),
    redis: [
      { group: 'primary', nodes: ['redis-1', 'redis-2'].map(m) },
      { group: 'cache', nodes: ['cache-1', 'cache-2'].map(m) },
    ],
  };
};

describe('data tier roll (ha)', () => {
  test('everything changed: Galera one member at a time with the writer last, after the writer endpoint moved off it', async () => {
    const c = cluster({ writer: 'db-1' });
    const r = await rollDataTier(plan({}), c.fx);
    const galera = c.log.filter((l) => /db-/.test(l));
    assert.deepEqual(galera, [
      'reader out db-2',
      'replace db-2',
      'synced db-2',
      'readmit db-2',
      'reader out db-3',
      'replace db-3',
      'synced db-3',
      'readmit db-3',
      'move writer db-1 -> db-2',
      'reader out db-1',
      'replace db-1',
      'synced db-1',
      'readmit db-1',
    ]);
    assert.equal(c.writer, 'db-2');
    assert.equal(c.maint.size, 0, 'a member left out of the writer endpoint');
    assert.equal(c.readerOut.size, 0, 'a member left out of the reader endpoint');
    assert.equal(c.minSynced.db, 2);
    assert.equal(r.restarted.length, 3 + 3 + 4);
  });

  test('the writer goes last whichever member it is', async () => {
    for (const w of DB) {
      const c = cluster({ writer: w });
      await rollDataTier(plan({}), c.fx);
      const replaced = c.log.filter((l) => l.startsWith('replace db-'));
      assert.equal(replaced.at(-1), `replace ${w}`);
      assert.equal(replaced.length, 3);
    }
  });

  test('Redis: Sentinels one at a time first, then per group the replica, a failover to it, and the old primary last', async () => {
    const c = cluster({ primaries: { primary: 'redis-2' } });
    await rollDataTier(plan({}), c.fx);
    const redis = c.log.filter((l) => /sentinel|redis|cache|failover/.test(l));
    assert.deepEqual(redis, [
      'replace sentinel-1',
      'sentinel sentinel-1',
      'replace sentinel-2',
      'sentinel sentinel-2',
      'replace sentinel-3',
      'sentinel sentinel-3',
      'replace redis-1',
      'in sync redis-1',
      'failover primary redis-2 -> redis-1',
      'replace redis-2',
      'in sync redis-2',
      'replace cache-2',
      'in sync cache-2',
      'failover cache cache-1 -> cache-2',
      'replace cache-1',
      'in sync cache-1',
    ]);
  });

  test('only the replicas changed: no failover, the primaries are untouched', async () => {
    const c = cluster();
    const r = await rollDataTier(plan({ 'redis-2': 'changed', 'cache-2': 'changed' }, 'current'), c.fx);
    assert.deepEqual(r.restarted, ['redis-2', 'cache-2']);
    assert.ok(!c.log.some((l) => l.startsWith('failover')));
    assert.equal(c.primary.primary, 'redis-1');
  });

  test('only a non-writer Galera member changed: the writer stays where it is; the member leaves the reader endpoint and comes back', async () => {
    const c = cluster({ writer: 'db-3' });
    await rollDataTier(plan({ 'db-2': 'changed' }, 'current'), c.fx);
    assert.deepEqual(c.log, ['reader out db-2', 'replace db-2', 'synced db-2', 'readmit db-2']);
    assert.equal(c.writer, 'db-3');
  });

  test('after an interrupted roll (a member missing, one changed, the writer changed): the missing one comes back first, the writer still last', async () => {
    const c = cluster({ writer: 'db-2', away: ['db-3'] });
    await rollDataTier(plan({ 'db-1': 'changed', 'db-2': 'changed', 'db-3': 'missing' }, 'current'), c.fx);
    assert.deepEqual(
      c.log.filter((l) => l.startsWith('replace')),
      ['replace db-3', 'replace db-1', 'replace db-2'],
    );
  });

  test('a stopped replica and a changed primary: the replica is started and in sync before the failover', async () => {
    const c = cluster({ away: ['redis-2'] });
    await rollDataTier(plan({ 'redis-1': 'changed', 'redis-2': 'stopped' }, 'current'), c.fx);
    assert.deepEqual(c.log, ['replace redis-2', 'in sync redis-2', 'failover primary redis-1 -> redis-2', 'replace redis-1', 'in sync redis-1']);
  });

  test('needsDataRoll: only when the endpoints run and a running member has another definition', () => {
    assert.equal(needsDataRoll(plan({}, 'current'), true), false);
    assert.equal(needsDataRoll(plan({ 'db-1': 'missing' }, 'current'), true), false);
    assert.equal(needsDataRoll(plan({ 'cache-2': 'changed' }, 'current'), true), true);
    assert.equal(needsDataRoll(plan({ 'cache-2': 'changed' }, 'current'), false), false);
  });
});
