// The local healer without Docker: the members it keeps running (the same definitions `up`
// makes, web nodes up to the remembered capacity), and the operation lease that keeps it from
// fighting `scale` and the autoscalers.
import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, test } from 'node:test';
import { currentLease, LEASE_STALE_MS, leaseFile, tryLease, withLease } from '../../../src/local/heal-lease.ts';
import { desiredMembers, localHealTarget, SENTINEL_WATCHED_GRACE_MS } from '../../../src/local/heal.ts';
import { rememberCapacity } from '../../../src/local/scale.ts';
import { ensureSecrets } from '../../../src/local/secrets.ts';
import { devSpec, freshStateRoot, haSpec, TAGS } from './fixtures.ts';

describe('desired members', () => {
  test('dev: the data tier, mail, the load balancer, one cron, the web nodes; never migrate or the controller', () => {
    freshStateRoot('heal');
    assert.deepEqual(
      desiredMembers(devSpec({ web: { nodes: 2 } }), TAGS).map((c) => c.name),
      ['campus-db', 'campus-redis', 'campus-cache', 'campus-mail', 'campus-lb', 'campus-cron', 'campus-web-1', 'campus-web-2'],
    );
  });
  test('ha: three Galera nodes, both Redis pairs, three Sentinels and the endpoints too', () => {
    freshStateRoot('heal');
    const names = desiredMembers(haSpec(), TAGS).map((c) => c.name);
    for (const m of ['campus-db-3', 'campus-redis-2', 'campus-cache-2', 'campus-sentinel-3', 'campus-endpoints', 'campus-cron'])
      assert.ok(names.includes(m), `${m} in ${names.join(', ')}`);
    assert.equal(names.filter((n) => n.includes('-cron')).length, 1, 'exactly one cron');
  });
  test('ha: the healer gives Sentinel-watched Redis nodes time to fail over first; the rest (Galera members: their entrypoint waits for the eviction) the default', async () => {
    freshStateRoot('heal');
    const spec = haSpec();
    rememberCapacity(spec.name, 2);
    ensureSecrets(spec.name); // a cluster without secrets was removed: nothing is desired
    const desired = await localHealTarget(spec, TAGS).desired();
    const grace = Object.fromEntries(desired.map((d) => [d.name, d.graceMs]));
    assert.equal(grace['campus-redis-1'], SENTINEL_WATCHED_GRACE_MS);
    assert.equal(grace['campus-cache-2'], SENTINEL_WATCHED_GRACE_MS);
    assert.equal(grace['campus-db-1'], undefined);
    assert.equal(grace['campus-web-1'], undefined);
  });
  test('web nodes: as many as the remembered capacity (what scale and the autoscalers keep)', () => {
    freshStateRoot('heal');
    const spec = devSpec({ web: { nodes: 2 }, scaling: { min: 1, max: 4 } });
    rememberCapacity(spec.name, 3);
    assert.deepEqual(
      desiredMembers(spec, TAGS)
        .filter((c) => c.service === 'web')
        .map((c) => c.name),
      ['campus-web-1', 'campus-web-2', 'campus-web-3'],
    );
  });
});

describe('the operation lease', () => {
  test('one holder at a time; released, it is free again; a release by another is ignored', () => {
    freshStateRoot('lease');
    const a = tryLease('c1', 'scale to 3 web nodes');
    assert.ok(a);
    assert.equal(tryLease('c1', 'heal c1-web-2'), undefined);
    assert.equal(currentLease('c1')?.what, 'scale to 3 web nodes');
    assert.ok(tryLease('c2', 'heal'), 'clusters do not share it');
    a.release();
    const b = tryLease('c1', 'heal c1-web-2');
    assert.ok(b);
    a.release();
    assert.equal(currentLease('c1')?.what, 'heal c1-web-2', "a former holder's release leaves the new holder's lease");
    b.release();
  });
  test('a lease its holder stopped refreshing (it died) is stale and taken over', () => {
    freshStateRoot('lease');
    mkdirSync(dirname(leaseFile('c1')), { recursive: true });
    writeFileSync(leaseFile('c1'), JSON.stringify({ what: 'scale to 2 web nodes', token: 'dead', since: '2026-01-01T00:00:00Z' }));
    const old = (Date.now() - LEASE_STALE_MS - 1000) / 1000;
    utimesSync(leaseFile('c1'), old, old);
    assert.equal(currentLease('c1'), undefined);
    const l = tryLease('c1', 'heal');
    assert.ok(l);
    l.release();
  });
  test('withLease waits for the holder, then runs; it gives up after its wait, naming the holder', async () => {
    freshStateRoot('lease');
    const held = tryLease('c1', 'heal c1-web-1')!;
    setTimeout(() => held.release(), 700);
    const t0 = Date.now();
    assert.equal(await withLease('c1', 'scale to 2 web nodes', async () => currentLease('c1')?.what), 'scale to 2 web nodes');
    assert.ok(Date.now() - t0 >= 600, 'it waited for the release');
    assert.equal(currentLease('c1'), undefined, 'released after');
    const again = tryLease('c1', 'heal c1-web-1')!;
    await assert.rejects(
      withLease('c1', 'scale to 3 web nodes', async () => 1, 100),
      /cannot scale to 3 web nodes: "heal c1-web-1" has been changing cluster "c1" since .*Nothing was changed/,
    );
    again.release();
  });
});
