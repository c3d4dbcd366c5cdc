// The running cluster as backup and restore need it (clusterFromContainers in
// src/local/backup/cluster.ts), from the containers as the engine lists them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LABELS } from '../../../../src/contract/image.ts';
import { clusterFromContainers, type ListedContainer } from '../../../../src/local/backup/cluster.ts';
import { ensureSecrets } from '../../../../src/local/secrets.ts';
import { UserError } from '../../../../src/util/errors.ts';
import { devSpec, freshStateRoot, haSpec } from '../fixtures.ts';

const c = (name: string, service: string, state = 'running', image = `moodle-ha/${service}:1`): ListedContainer => ({
  Names: [`/${name}`],
  Labels: { [LABELS.service]: service },
  State: state,
  Image: image,
});
const DEV = [
  c('campus-db', 'db', 'running', 'moodle-ha/mariadb:m'),
  c('campus-redis', 'redis', 'running', 'moodle-ha/redis:r'),
  c('campus-cache', 'cache', 'running', 'moodle-ha/redis:r'),
  c('campus-web-10', 'web', 'running', 'moodle-ha/runtime:x'),
  c('campus-web-2', 'web', 'exited', 'moodle-ha/runtime:x'),
  c('campus-web-1', 'web', 'running', 'moodle-ha/runtime:x'),
  c('campus-cron', 'cron', 'running', 'moodle-ha/runtime:x'),
  c('campus-lb', 'lb', 'running', 'moodle-ha/haproxy:h'),
  c('campus-mail', 'mail', 'running', 'moodle-ha/mail:p'),
];
const refusal = (pattern: RegExp) => (e: unknown) => e instanceof UserError && pattern.test(e.message);

describe('a running cluster', () => {
  test('its web nodes in number order, the running ones, cron, and the images its helpers are made from', () => {
    freshStateRoot('cluster');
    const secrets = ensureSecrets('campus');
    const r = clusterFromContainers(devSpec(), DEV, { needWeb: true });
    assert.deepEqual(r.webNodes, ['campus-web-1', 'campus-web-2', 'campus-web-10']);
    assert.deepEqual(r.runningWebNodes, ['campus-web-1', 'campus-web-10']);
    assert.deepEqual([r.cron, r.cronRunning], ['campus-cron', true]);
    assert.deepEqual(r.images, {
      runtime: 'moodle-ha/runtime:x',
      mariadb: 'moodle-ha/mariadb:m',
      redis: 'moodle-ha/redis:r',
      haproxy: 'moodle-ha/haproxy:h',
      mail: 'moodle-ha/mail:p',
    });
    assert.deepEqual(r.secrets, secrets);
    assert.equal(r.names.dbWriter, 'campus-db-writer');
  });
  test('the profile is what runs (an endpoints container means ha), not what the spec says', () => {
    freshStateRoot('cluster');
    ensureSecrets('campus');
    assert.equal(clusterFromContainers(haSpec(), DEV, { needWeb: false }).profile, 'dev');
    assert.equal(clusterFromContainers(devSpec(), [...DEV, c('campus-endpoints', 'endpoints')], { needWeb: false }).profile, 'ha');
  });
  test('a stopped cron (an earlier failed restore) is still found, to be started again', () => {
    freshStateRoot('cluster');
    ensureSecrets('campus');
    const r = clusterFromContainers(
      devSpec(),
      DEV.map((x) => (x.Names[0] === '/campus-cron' ? { ...x, State: 'exited' } : x)),
      { needWeb: true },
    );
    assert.deepEqual([r.cron, r.cronRunning], ['campus-cron', false]);
  });
});

describe('refused, saying to run up, when it is not running', () => {
  test('no database or Redis', () => {
    freshStateRoot('cluster');
    ensureSecrets('campus');
    const only = DEV.filter((x) => !['db', 'redis'].includes(x.Labels[LABELS.service]!));
    assert.throws(
      () => clusterFromContainers(devSpec(), only, { needWeb: false }),
      refusal(/^cluster "campus" is not running \(no database, Redis\): start it with "moodle-ha up" first\. Nothing was changed\.$/),
    );
  });
  test('ha without its endpoints container running', () => {
    freshStateRoot('cluster');
    ensureSecrets('campus');
    assert.throws(
      () => clusterFromContainers(haSpec(), [...DEV, c('campus-endpoints', 'endpoints', 'exited')], { needWeb: false }),
      refusal(/no endpoints container \(campus-db-writer\)\): start it with "moodle-ha up" first/),
    );
  });
  test('a restore needs the load balancer and web nodes; a backup does not', () => {
    freshStateRoot('cluster');
    ensureSecrets('campus');
    const dataOnly = DEV.filter((x) => !['lb', 'web'].includes(x.Labels[LABELS.service]!));
    assert.throws(() => clusterFromContainers(devSpec(), dataOnly, { needWeb: true }), refusal(/\(no load balancer, web nodes\)/));
    assert.equal(clusterFromContainers(devSpec(), dataOnly, { needWeb: false }).images.runtime, 'moodle-ha/runtime:x', 'the runtime image from cron');
  });
  test('no web or cron container: no runtime image for the helpers', () => {
    freshStateRoot('cluster');
    ensureSecrets('campus');
    const noRuntime = DEV.filter((x) => !['web', 'cron'].includes(x.Labels[LABELS.service]!));
    assert.throws(
      () => clusterFromContainers(devSpec(), noRuntime, { needWeb: false }),
      refusal(/\(no web or cron container \(their image is the one helpers run\)/),
    );
  });
  test('no secrets on this machine (the cluster was made elsewhere, or down --volumes ran)', () => {
    freshStateRoot('cluster');
    assert.throws(() => clusterFromContainers(devSpec(), DEV, { needWeb: true }), refusal(/is not running \(no secrets on this machine\)/));
  });
});
