// The order `down` stops a cluster in (src/local/down.ts), how long each container is given, and
// what `down` of a name with nothing on the engine says.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LABELS, RUNTIME_IMAGE } from '../../../src/contract/image.ts';
import { AUTOSCALER_STOP_SECONDS } from '../../../src/local/autoscaler-container.ts';
import { byStopOrder, stopSeconds, unknownClusterMessage } from '../../../src/local/down.ts';

const listed = (name: string, service: string) => ({ Names: [`/${name}`], Labels: { [LABELS.cluster]: 'campus', [LABELS.service]: service } });
const order = (cs: ReturnType<typeof listed>[]) => [...cs].sort(byStopOrder).map((c) => c.Names[0]!.slice(1));

describe('the order down stops containers in', () => {
  // As the engine lists them: in no useful order.
  const HA = [
    listed('campus-db-1', 'db'),
    listed('campus-mail', 'mail'),
    listed('campus-web-1', 'web'),
    listed('campus-redis-2', 'redis'),
    listed('campus-sentinel-1', 'sentinel'),
    listed('campus-db-3', 'db'),
    listed('campus-lb', 'lb'),
    listed('campus-endpoints', 'endpoints'),
    listed('campus-cache-1', 'cache'),
    listed('campus-autoscaler', 'autoscaler'),
    listed('campus-web-2', 'web'),
    listed('campus-cron', 'cron'),
    listed('campus-db-2', 'db'),
    listed('campus-redis-1', 'redis'),
    listed('campus-cache-2', 'cache'),
    listed('campus-sentinel-2', 'sentinel'),
  ];
  test('the autoscaler first (it would replace what goes), then front to back, the data last', () => {
    assert.deepEqual(order(HA), [
      'campus-autoscaler',
      'campus-lb',
      'campus-web-2',
      'campus-web-1',
      'campus-cron',
      'campus-endpoints',
      'campus-sentinel-2',
      'campus-sentinel-1',
      'campus-cache-2',
      'campus-cache-1',
      'campus-redis-2',
      'campus-redis-1',
      'campus-db-3',
      'campus-db-2',
      'campus-db-1',
      'campus-mail',
    ]);
  });
  test('Galera node 1 leaves last, so it is the one safe to bootstrap the next up', () => {
    const dbs = order(HA).filter((n) => n.startsWith('campus-db-'));
    assert.equal(dbs.at(-1), 'campus-db-1');
  });
  test('nothing stops before the load balancer but the autoscaler; the web nodes before anything they use', () => {
    const o = order(HA);
    assert.equal(o.indexOf('campus-lb'), 1);
    const lastWeb = Math.max(o.indexOf('campus-web-1'), o.indexOf('campus-web-2'));
    for (const used of ['campus-db-1', 'campus-redis-1', 'campus-cache-1', 'campus-endpoints', 'campus-mail']) assert.ok(o.indexOf(used) > lastWeb, used);
  });
});

describe('time to stop', () => {
  test('a web node gets its drain time; the autoscaler time to finish a scaling step; the rest 30 s', () => {
    assert.equal(stopSeconds('web'), RUNTIME_IMAGE.drainSeconds + 5);
    assert.equal(stopSeconds('autoscaler'), AUTOSCALER_STOP_SECONDS);
    for (const s of ['db', 'redis', 'lb', undefined]) assert.equal(stopSeconds(s), 30, String(s));
  });
});

test('an unknown cluster: the message lists the clusters on the engine and changes nothing', () => {
  assert.equal(
    unknownClusterMessage('campsu', ['campus', 'staging']),
    'no cluster named "campsu" here; clusters on this engine: campus, staging. Check the name in the spec (name:), or give the spec of the cluster to stop with -f FILE. Nothing was changed.',
  );
});

test('no cluster at all on the engine: says that instead of an empty list', () => {
  assert.match(unknownClusterMessage('campus', []), /^no cluster named "campus" here; this engine has no moodle-ha cluster\./);
});
