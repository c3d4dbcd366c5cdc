// Names of a local cluster's Docker resources (src/local/names.ts): derived from the cluster name,
// distinct, and the same wherever they are derived.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clusterNames } from '../../../src/local/names.ts';
import { webNodeNames } from '../../../src/local/services.ts';
import { devSpec } from './fixtures.ts';

describe('cluster names', () => {
  const n = clusterNames('campus');
  test('network, endpoints and the shared volume', () => {
    assert.deepEqual(
      [n.cluster, n.network, n.dbWriter, n.redisPrimary, n.cachePrimary, n.volumes.moodledata],
      ['campus', 'campus-net', 'campus-db-writer', 'campus-redis-primary', 'campus-cache-primary', 'campus-moodledata'],
    );
  });
  test('a service without an index is one container; with one, node N of several', () => {
    assert.equal(n.container('db'), 'campus-db');
    assert.equal(n.container('db', 2), 'campus-db-2');
    assert.equal(n.container('lb'), 'campus-lb');
    assert.equal(n.container('sentinel', 3), 'campus-sentinel-3');
  });
  test('web nodes are always numbered, from 1', () => {
    assert.equal(n.container('web'), 'campus-web-1');
    assert.equal(n.container('web', 12), 'campus-web-12');
    assert.deepEqual(webNodeNames(devSpec(), 3), ['campus-web-1', 'campus-web-2', 'campus-web-3']);
    assert.deepEqual(webNodeNames(devSpec(), 0), []);
  });
  test('data volumes: one per stateful node', () => {
    assert.deepEqual(
      [n.volume('db'), n.volume('db', 2), n.volume('redis'), n.volume('redis', 1)],
      ['campus-dbdata', 'campus-dbdata-2', 'campus-redisdata', 'campus-redisdata-1'],
    );
  });
  test('every name of an ha cluster is distinct and starts with the cluster name', () => {
    const names = [
      n.network,
      n.dbWriter,
      n.redisPrimary,
      n.cachePrimary,
      n.volumes.moodledata,
      ...(['lb', 'endpoints', 'cron', 'migrate', 'autoscaler', 'mail'] as const).map((s) => n.container(s)),
      ...[1, 2, 3].flatMap((i) => [n.container('db', i), n.container('sentinel', i), n.container('web', i), n.volume('db', i)]),
      ...[1, 2].flatMap((i) => [n.container('redis', i), n.container('cache', i), n.volume('redis', i)]),
    ];
    assert.equal(new Set(names).size, names.length, `repeated: ${names.filter((x, i) => names.indexOf(x) !== i).join(', ')}`);
    for (const x of names) assert.ok(x.startsWith('campus-'), x);
  });
  test('two clusters share no name', () => {
    const a = clusterNames('a');
    const b = clusterNames('b');
    assert.notEqual(a.container('web', 1), b.container('web', 1));
    assert.notEqual(a.network, b.network);
    assert.notEqual(a.volume('db'), b.volume('db'));
  });
});
