// What the tasks are told about their surroundings, as issue 8 found it missing: the bundle's
// region and digest, the viewer's address, the timeout chain, sessions apart from caches, and the
// upgrade sequence (snapshot, maintenance kept until the services rolled).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { folderDigest } from '../../../src/contract/bundle.ts';
import { chainProblems, timeoutChain } from '../../../src/contract/timeouts.ts';
import { build, PRODUCTION, resources, SMALL, tinyBundleDir } from './fixtures.ts';

type Resource = ReturnType<typeof resources>[string];
const envOf = (td: Resource) =>
  Object.fromEntries((td.Properties.ContainerDefinitions[0].Environment as Array<{ Name: string; Value: unknown }>).map((e) => [e.Name, e.Value]));
const taskDef = (t: ReturnType<typeof build>['main'], mode: string) =>
  Object.values(resources(t, 'AWS::ECS::TaskDefinition')).find((r) => String(r.Properties.Family).endsWith(`-${mode}`))!;
const attribute = (r: Resource, key: string, list = 'LoadBalancerAttributes') =>
  (r.Properties[list] as Array<{ Key: string; Value: string }>).find((a) => a.Key === key)?.Value;

const bundle = tinyBundleDir();
const prod = build(PRODUCTION, { image: { tag: 'release-1' }, configBundle: bundle });
const small = build(SMALL);

describe('the config bundle: named by its digest, in its region, uploaded before migrate', () => {
  const digest = folderDigest(bundle);
  test('every task definition names the bundle by digest and region', () => {
    for (const mode of ['web', 'cron', 'migrate']) {
      const env = envOf(taskDef(prod.main, mode));
      assert.match(JSON.stringify(env.MOODLE_CONFIG_BUNDLE), new RegExp(`/bundle/${digest}"`), `${mode}: ${JSON.stringify(env.MOODLE_CONFIG_BUNDLE)}`);
      assert.equal(env.MOODLE_CONFIG_BUNDLE_SHA256, digest);
      assert.equal(env.MOODLE_CONFIG_BUNDLE_REGION, 'eu-west-1', `${mode}: the ECS agent on EC2 need not set AWS_REGION`);
    }
  });
  test('the upload goes under the digest, keeps older bundles, and happens before migrate', () => {
    const [id, deployment] = Object.entries(resources(prod.main, 'Custom::CDKBucketDeployment'))[0]!;
    assert.equal(deployment.Properties.DestinationBucketKeyPrefix, `bundle/${digest}/`);
    assert.equal(deployment.Properties.Prune, false);
    const [, migrate] = Object.entries(resources(prod.main, 'Custom::MoodleMigrate'))[0]!;
    assert.ok(JSON.stringify(migrate.DependsOn ?? []).includes(id), `migrate does not wait for the upload: ${JSON.stringify(migrate.DependsOn)}`);
  });
  test('a changed bundle is a new task definition (the services roll)', () => {
    const changed = tinyBundleDir();
    writeFileSync(join(changed, 'php', 'extra.ini'), 'max_execution_time = 90\n');
    const next = build(PRODUCTION, { image: { tag: 'release-1' }, configBundle: changed });
    assert.notDeepEqual(envOf(taskDef(next.main, 'web')).MOODLE_CONFIG_BUNDLE_SHA256, envOf(taskDef(prod.main, 'web')).MOODLE_CONFIG_BUNDLE_SHA256);
  });
});

describe("the viewer's address", () => {
  test('behind CloudFront: only the VPC is a trusted proxy, and the viewer comes from CloudFront-Viewer-Address, which CloudFront is told to send', () => {
    const env = envOf(taskDef(prod.main, 'web'));
    assert.equal(env.MOODLE_TRUSTED_PROXIES, '10.60.0.0/16'); // the VPC's range
    assert.equal(env.MOODLE_CLIENT_IP_HEADER, 'cloudfront-viewer-address');
    const [, d] = Object.entries(resources(prod.main, 'AWS::CloudFront::Distribution'))[0]!;
    // Managed policy AllViewerAndCloudFrontHeaders-2022-06.
    assert.equal(d.Properties.DistributionConfig.DefaultCacheBehavior.OriginRequestPolicyId, '33f36d7e-f396-46d9-90e0-52428a34d9dc');
  });
  test('without CloudFront: the last X-Forwarded-For hop the ALB (in the VPC) added', () => {
    const env = envOf(taskDef(small.main, 'web'));
    assert.equal(env.MOODLE_CLIENT_IP_HEADER, 'x-forwarded-for');
    assert.equal(env.MOODLE_TRUSTED_PROXIES, '10.60.0.0/16'); // the VPC's range
  });
});

describe('one timeout chain from viewer to database', () => {
  for (const [name, t, chain] of [
    ['production (CloudFront)', prod.main, timeoutChain({ cloudFrontOriginRead: 60 })],
    ['small (no CloudFront)', small.main, timeoutChain()],
  ] as const) {
    test(`${name}: the ALB, CloudFront and the web tasks use the chain's values, and the chain holds`, () => {
      assert.deepEqual(chainProblems(chain), []);
      const [, alb] = Object.entries(resources(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer'))[0]!;
      assert.equal(Number(attribute(alb, 'idle_timeout.timeout_seconds')), chain.loadBalancerIdle);
      const env = envOf(taskDef(t, 'web'));
      assert.equal(Number(env.MOODLE_KEEPALIVE_TIMEOUT), chain.webKeepalive);
      assert.ok(Number(env.MOODLE_KEEPALIVE_TIMEOUT) > chain.loadBalancerIdle, 'nginx would close kept-alive connections the ALB still reuses');
      assert.equal(Number(env.MOODLE_SESSION_LOCK_WAIT), chain.sessionLockWait);
      const origin = Object.values(resources(t, 'AWS::CloudFront::Distribution'))[0]?.Properties.DistributionConfig.Origins[0];
      if (chain.cloudFront) {
        const o = origin.CustomOriginConfig ?? origin.VpcOriginConfig;
        assert.equal(o.OriginReadTimeout, chain.cloudFront.originRead);
        assert.equal(o.OriginKeepaliveTimeout, chain.cloudFront.originKeepalive);
        assert.ok(Number(env.MOODLE_SESSION_LOCK_WAIT) < chain.cloudFront.originRead);
      } else {
        assert.equal(origin, undefined);
      }
    });
  }
  test('a longer origin response timeout moves the rest of the chain', () => {
    const longer = build({ ...PRODUCTION, aws: { ...PRODUCTION.aws, edge: { originReadTimeout: '120s' } } }, { image: { tag: 'release-1' } });
    const [, alb] = Object.entries(resources(longer.main, 'AWS::ElasticLoadBalancingV2::LoadBalancer'))[0]!;
    assert.equal(Number(attribute(alb, 'idle_timeout.timeout_seconds')), timeoutChain({ cloudFrontOriginRead: 120 }).loadBalancerIdle);
  });
});

describe('sessions and caches on separate replication groups', () => {
  for (const [name, t] of [
    ['production', prod.main],
    ['small', small.main],
  ] as const) {
    test(`${name}: sessions never evicted, caches LRU, each task told both`, () => {
      const groups = resources(t, 'AWS::ElastiCache::ReplicationGroup');
      assert.equal(Object.keys(groups).length, 2);
      const params = resources(t, 'AWS::ElastiCache::ParameterGroup');
      const policyOf = (groupId: string) =>
        params[(groups[groupId]!.Properties.CacheParameterGroupName as { Ref: string }).Ref]!.Properties.Properties['maxmemory-policy'];
      const sessions = Object.keys(groups).find((k) => k.startsWith('CacheReplicationGroup'))!;
      const caches = Object.keys(groups).find((k) => k.startsWith('CacheStoreReplicationGroup'))!;
      assert.equal(policyOf(sessions), 'noeviction');
      assert.equal(policyOf(caches), 'allkeys-lru');
      const env = envOf(taskDef(t, 'web'));
      assert.match(JSON.stringify(env.MOODLE_REDIS_HOST), new RegExp(sessions));
      assert.match(JSON.stringify(env.MOODLE_CACHE_REDIS_HOST), new RegExp(caches));
    });
  }
});

describe('upgrades: a snapshot first, maintenance mode until every task runs the new image', () => {
  const runs = resources(prod.main, 'Custom::MoodleMigrate');
  const finishes = resources(prod.main, 'Custom::MoodleMigrateFinish');
  test('migrate snapshots the Aurora cluster when the image changes, within a time limit', () => {
    const [, migrate] = Object.entries(runs)[0]!;
    assert.match(JSON.stringify(migrate.Properties.DatabaseCluster), /DatabaseCluster/);
    assert.ok(migrate.Properties.Image, 'the image is a property: a new image is what snapshots');
    assert.equal(migrate.Properties.TimeoutSeconds, '3600');
  });
  test('the finish step runs "migrate finish" after the web and cron services rolled', () => {
    const [, finish] = Object.entries(finishes)[0]!;
    assert.deepEqual(finish.Properties.Command, ['migrate', 'finish']);
    const deps = JSON.stringify(finish.DependsOn);
    assert.match(deps, /Web[A-Z0-9]*Service|"Web[0-9A-F]+"/);
    assert.match(deps, /Cron/);
    assert.match(deps, /MigrateRun/);
  });
  test('the runner may snapshot only moodle-ha-pre-migrate-* and stop only tasks of this cluster', () => {
    const policies = JSON.stringify(resources(prod.main, 'AWS::IAM::Policy'));
    assert.match(policies, /rds:CreateDBClusterSnapshot/);
    assert.match(policies, /cluster-snapshot:moodle-ha-pre-migrate-\*/);
    assert.match(policies, /ecs:StopTask/);
  });
});
