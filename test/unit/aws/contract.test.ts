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
        assert.deepEqual(env, contract.filter((v) => !v.secret).map((v) => v.name).sort());
        assert.deepEqual(secrets, contract.filter((v) => v.secret).map((v) => v.name).sort());
        const accepted = new Set(acceptedNames(mode));
        for (const n of [...env, ...secrets]) assert.ok(accepted.has(n), `${n} is not accepted in mode ${mode}`);
      });
      test(`${mode}: checkEnvironment finds no problem`, () => {
        const c = container();
        const env = Object.fromEntries(c.Environment.map((e: { Name: string; Value: unknown }) => [e.Name, plain(e.Value)]));
        assert.deepEqual(checkEnvironment(mode, env, c.Secrets.map((s: { Name: string }) => s.Name)), []);
      });
      test(`${mode}: AWS values: Aurora over TLS, Redis over TLS, https wwwroot behind a TLS proxy`, () => {
        const env = Object.fromEntries(container().Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
        assert.equal(env.MOODLE_DB_TYPE, 'auroramysql');
        assert.equal(env.MOODLE_DB_TLS, 'require');
        assert.equal(env.MOODLE_REDIS_TLS, 'true');
        assert.equal(env.MOODLE_SSLPROXY, 'true');
        assert.equal(env.MOODLE_WWWROOT, 'https://moodle.example.edu');
        assert.equal(env.MOODLE_DB_PORT, '3307');
        assert.equal(env.MOODLE_REDIS_PORT, '6380');
        assert.match(JSON.stringify(env.MOODLE_DB_HOST), /DatabaseCluster.*Endpoint\.Address/);
        assert.match(JSON.stringify(env.MOODLE_REDIS_HOST), /CacheReplicationGroup.*PrimaryEndPoint\.Address/);
        assert.match(JSON.stringify(env.MOODLE_CONFIG_BUNDLE), /s3:\/\/.*ConfigBucket.*\/bundle/);
      });
      test(`${mode}: secrets come from Secrets Manager; no plain value references one`, () => {
        const c = container();
        const from = Object.fromEntries(c.Secrets.map((s: { Name: string; ValueFrom: unknown }) => [s.Name, JSON.stringify(s.ValueFrom)]));
        assert.match(from.MOODLE_DB_PASSWORD!, /DatabaseClusterSecret.*:password::/);
        assert.match(from.MOODLE_REDIS_PASSWORD!, /CacheAuthToken/);
        if (mode === 'migrate') assert.match(from.MOODLE_ADMIN_PASSWORD!, /AdminPassword/);
        assert.doesNotMatch(JSON.stringify(c.Environment), /secretsmanager|SecretString|AuthToken|AdminPassword/);
      });
    }
  });
}

describe('containerSettings refuses what the contract forbids', () => {
  const facts = {
    wwwroot: 'https://x.example.edu', dbHost: 'db', dbPort: 3307, dbName: 'moodle', dbUser: 'moodle', redisHost: 'r', redisPort: 6380,
    configBundleUri: 's3://b/bundle', phpMemoryLimit: '256M', fpmWorkers: 8, maxUpload: '100M', adminUser: 'admin', adminEmail: 'a@example.edu',
    siteFullName: 'M', siteShortName: 'm',
  };
  const fake = {} as never;
  test('a missing secret is a synth error naming it', () => {
    assert.throws(() => containerSettings('web', { ...facts, secrets: { dbPassword: fake, redisPassword: undefined as never, adminPassword: fake } } as TaskFacts),
      /declares MOODLE_REDIS_PASSWORD for mode web but the AWS target has no value/);
  });
  test('variables AWS has no opinion on get the contract default, not nothing', () => {
    const { environment } = containerSettings('cron', { ...facts, secrets: { dbPassword: fake, redisPassword: fake, adminPassword: fake } } as TaskFacts);
    for (const name of ['MOODLE_DB_PREFIX', 'MOODLE_REDIS_PREFIX', 'MOODLE_LOCALCACHEDIR', 'MOODLE_CRON_KEEPALIVE']) {
      const declared = ENV_CONTRACT.find((v) => v.name === name);
      assert.ok(declared?.default, `${name} has a default in the contract`);
      assert.equal(environment[name], declared.default);
    }
  });

});
