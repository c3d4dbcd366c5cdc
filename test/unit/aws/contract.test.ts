// The web, cron and migrate task definitions pass exactly the variables the image's env contract
// declares for their mode (src/contract/env.ts, shared with the local cluster), every secret as an
// ECS secret from Secrets Manager and never as a plain value.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { containerSettings, type TaskFacts } from '../../../src/aws/compute/task-environment.ts';
import { acceptedNames, checkEnvironment, ENV_CONTRACT, varsForMode } from '../../../src/contract/env.ts';
import { IMAGE_MODES } from '../../../src/contract/image.ts';
import { build, PRODUCTION, resources, SMALL } from './fixtures.ts';

const configs = {
  production: build(PRODUCTION, { image: { tag: 'release-1' } }).main,
  small: build(SMALL).main,
};

/** Token values (Fn::GetAtt, Fn::Join…) stand in as a string: only closed value sets are checked. */
const plain = (v: unknown) => (typeof v === 'string' ? v : 'token');

for (const [config, template] of Object.entries(configs)) {
  describe(`${config}: task definitions keep the env contract`, () => {
    const byFamily = Object.fromEntries(Object.values(resources(template, 'AWS::ECS::TaskDefinition')).map((t) => [t.Properties.Family, t]));
    for (const mode of IMAGE_MODES) {
      const family = `${config === 'production' ? 'campus' : 'tiny'}-${mode}`;
      const container = () => {
        const td = byFamily[family];
        assert.ok(td, `no task definition ${family}`);
        assert.equal(td.Properties.ContainerDefinitions.length, 1);
        return td.Properties.ContainerDefinitions[0];
      };
      test(`${mode}: exactly the contract's names for the mode, secrets as secrets`, () => {
        const c = container();
        const env: string[] = c.Environment.map((e: { Name: string }) => e.Name).sort();
        const secrets: string[] = c.Secrets.map((s: { Name: string }) => s.Name).sort();
        const contract = varsForMode(mode);
        // Every variable with a value or a default is given; only optional ones without either (a
        // config bundle the spec does not have) may be left out.
        const given = new Set(env);
        for (const v of contract) if (!v.secret && (v.required || v.default !== undefined)) assert.ok(given.has(v.name), `${v.name} is not given`);
        for (const n of env)
          assert.ok(
            contract.some((v) => v.name === n && !v.secret),
            `${n} is not a plain variable of the contract for ${mode}`,
          );
        for (const v of contract) if (v.secret && v.required) assert.ok(secrets.includes(v.name), `secret ${v.name} is not given`);
        for (const n of secrets)
          assert.ok(
            contract.some((v) => v.name === n && v.secret),
            `${n} is not a secret of the contract for ${mode}`,
          );
        const accepted = new Set(acceptedNames(mode));
        for (const n of [...env, ...secrets]) assert.ok(accepted.has(n), `${n} is not accepted in mode ${mode}`);
      });
      test(`${mode}: checkEnvironment finds no problem`, () => {
        const c = container();
        const env = Object.fromEntries(c.Environment.map((e: { Name: string; Value: unknown }) => [e.Name, plain(e.Value)]));
        assert.deepEqual(
          checkEnvironment(
            mode,
            env,
            c.Secrets.map((s: { Name: string }) => s.Name),
          ),
          [],
        );
      });
      test(`${mode}: AWS values: Aurora and both Redis over verified TLS, https wwwroot behind a TLS proxy`, () => {
        const env = Object.fromEntries(container().Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
        assert.equal(env.MOODLE_DB_TYPE, 'auroramysql');
        assert.equal(env.MOODLE_DB_TLS, 'verify-full');
        assert.equal(env.MOODLE_DB_TLS_CA, '/etc/moodle-ha/tls/rds-ca.pem');
        assert.equal(env.MOODLE_REDIS_TLS, 'true');
        assert.equal(env.MOODLE_REDIS_TLS_CA, '/etc/moodle-ha/tls/amazon-trust-ca.pem');
        assert.equal(env.MOODLE_CACHE_REDIS_TLS, 'true');
        assert.match(JSON.stringify(env.MOODLE_CACHE_REDIS_HOST), /CacheStoreReplicationGroup.*PrimaryEndPoint\.Address/);
        if (mode === 'migrate') assert.equal(env.MOODLE_MIGRATE_MAINTENANCE, 'keep');
        assert.equal(env.MOODLE_SSLPROXY, 'true');
        assert.equal(env.MOODLE_WWWROOT, 'https://moodle.example.edu');
        assert.equal(env.MOODLE_DB_PORT, '3307');
        assert.equal(env.MOODLE_REDIS_PORT, '6380');
        assert.match(JSON.stringify(env.MOODLE_DB_HOST), /DatabaseCluster.*Endpoint\.Address/);
        assert.match(JSON.stringify(env.MOODLE_REDIS_HOST), /CacheReplicationGroup.*PrimaryEndPoint\.Address/);
        assert.equal(env.MOODLE_CONFIG_BUNDLE, undefined, 'no bundle in the spec: no bundle variable');
      });
      test(`${mode}: secrets come from Secrets Manager; no plain value references one`, () => {
        const c = container();
        const from = Object.fromEntries(c.Secrets.map((s: { Name: string; ValueFrom: unknown }) => [s.Name, JSON.stringify(s.ValueFrom)]));
        assert.match(from.MOODLE_DB_PASSWORD!, /DatabaseClusterSecret.*:password::/);
        assert.match(from.MOODLE_REDIS_PASSWORD!, /CacheAuthToken/);
        assert.match(from.MOODLE_CACHE_REDIS_PASSWORD!, /CacheStoreAuthToken/);
        if (mode === 'migrate') assert.match(from.MOODLE_ADMIN_PASSWORD!, /AdminPassword/);
        assert.doesNotMatch(JSON.stringify(c.Environment), /secretsmanager|SecretString|AuthToken|AdminPassword/);
      });
    }
  });
}

describe('containerSettings refuses what the contract forbids', () => {
  const facts = {
    wwwroot: 'https://x.example.edu',
    dbHost: 'db',
    dbPort: 3307,
    dbName: 'moodle',
    dbUser: 'moodle',
    redisHost: 'r',
    redisPort: 6380,
    cacheHost: 'c',
    cachePort: 6380,
    configBundle: { uri: 's3://b/bundle/abc', digest: 'abc', region: 'eu-west-1' },
    phpMemoryLimit: '256M',
    fpmWorkers: 8,
    maxUpload: '100M',
    keepaliveSeconds: 75,
    sessionLockWaitSeconds: 50,
    trustedProxies: '10.60.0.0/16',
    clientIpHeader: 'cloudfront-viewer-address',
    adminUser: 'admin',
    adminEmail: 'a@example.edu',
    siteFullName: 'M',
    siteShortName: 'm',
    siteDefaults: { timezone: 'UTC', lang: 'en' },
  } as const;
  const secrets = { dbPassword: {} as never, redisPassword: {} as never, cachePassword: {} as never, adminPassword: {} as never };
  test('a missing required secret is a synth error naming it', () => {
    assert.throws(
      () => containerSettings('web', { ...facts, secrets: { ...secrets, dbPassword: undefined as never } } as TaskFacts),
      /declares MOODLE_DB_PASSWORD for mode web but the AWS target has no value/,
    );
  });
  test('variables AWS has no opinion on get the contract default, not nothing', () => {
    const { environment } = containerSettings('cron', { ...facts, secrets } as TaskFacts);
    for (const name of ['MOODLE_DB_PREFIX', 'MOODLE_REDIS_PREFIX', 'MOODLE_LOCALCACHEDIR', 'MOODLE_CRON_KEEPALIVE']) {
      const declared = ENV_CONTRACT.find((v) => v.name === name);
      assert.ok(declared?.default, `${name} has a default in the contract`);
      assert.equal(environment[name], declared.default);
    }
  });
});
