// The runtime containers (src/local/services.ts: web nodes, cron, migrate) and what every container
// of a cluster asks the engine for (createOptions and definitionHash in src/local/containers.ts):
// the environment against the image's contract, secrets as files only where needed, published
// ports on 127.0.0.1 except the site's, labels.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkEnvironment, FILE_SUFFIX } from '../../../src/contract/env.ts';
import { IMAGE_MODES, LABELS, RUNTIME_IMAGE } from '../../../src/contract/image.ts';
import { timeoutChain } from '../../../src/contract/timeouts.ts';
import { autoscalerContainer } from '../../../src/local/autoscaler-container.ts';
import { createOptions, definitionHash, labelsFor, type ContainerSpec } from '../../../src/local/containers.ts';
import { dbContainers, endpointsContainer, redisContainers } from '../../../src/local/data-services.ts';
import { DB_READER_PORT } from '../../../src/local/endpoints.ts';
import { mailContainer } from '../../../src/local/mail.ts';
import { lbContainer, runtimeContainer, runtimeEnv } from '../../../src/local/services.ts';
import type { Spec } from '../../../src/spec/schema.ts';
import { devSpec, haSpec, SECRETS, TAGS } from './fixtures.ts';

const BUNDLE = [{ name: `${RUNTIME_IMAGE.configBundleDir}/php.ini`, content: 'max_input_vars = 5000\n', mode: 0o440, uid: 0, gid: 33 }];
const SPECS: ReadonlyArray<[string, Spec]> = [
  ['dev', devSpec()],
  ['ha', haSpec()],
  ['dev with a config bundle', devSpec({ configBundle: 'bundle' })],
];

/** Every container `up` would create for the spec (3 web nodes), with the detached autoscaler. */
function allContainers(spec: Spec): ContainerSpec[] {
  const host = { socket: '/var/run/docker.sock', socketOwner: { uid: 0, gid: 998 }, user: { uid: 1000, gid: 1000 }, stateDir: '/state/campus' };
  return [
    ...dbContainers(spec, TAGS, SECRETS),
    ...redisContainers(spec, TAGS, SECRETS),
    ...(spec.profile === 'ha' ? [endpointsContainer(spec, TAGS, SECRETS)] : []),
    mailContainer(spec, TAGS.mail),
    runtimeContainer(spec, TAGS, SECRETS, 'migrate'),
    ...[1, 2, 3].map((i) => runtimeContainer(spec, TAGS, SECRETS, 'web', i)),
    runtimeContainer(spec, TAGS, SECRETS, 'cron'),
    lbContainer(spec, TAGS, 3, 97),
    autoscalerContainer(spec, 'moodle-ha/controller:c1', host, TAGS),
  ];
}

describe("the runtime environment meets the image's contract", () => {
  for (const [name, spec] of SPECS) {
    for (const mode of IMAGE_MODES) {
      test(`${name}, ${mode}`, () => {
        const env = runtimeEnv(spec, mode);
        assert.deepEqual(checkEnvironment(mode, env), []);
        for (const [k, v] of Object.entries(env)) {
          if (k.endsWith(FILE_SUFFIX)) assert.ok(v.startsWith(`${RUNTIME_IMAGE.secretsDir}/`), `${k}=${v} is not in the secrets folder`);
        }
      });
    }
  }
});

describe('the database reader (ha): web and cron read there, migrate never', () => {
  test('ha: web and cron get the reader endpoint on its own port; migrate does not', () => {
    const spec = haSpec({ name: 'campus' });
    for (const mode of ['web', 'cron'] as const) {
      const env = runtimeEnv(spec, mode);
      assert.equal(env.MOODLE_DB_READ_HOST, 'campus-db-reader', mode);
      assert.equal(env.MOODLE_DB_READ_PORT, String(DB_READER_PORT), mode);
      assert.notEqual(env.MOODLE_DB_READ_HOST, env.MOODLE_DB_HOST);
    }
    const migrate = runtimeEnv(spec, 'migrate');
    assert.equal(migrate.MOODLE_DB_READ_HOST, undefined);
    assert.equal(migrate.MOODLE_DB_READ_PORT, undefined);
  });
  test('ha with database.reader false, and dev (one server): no reader', () => {
    for (const spec of [haSpec({ name: 'campus', database: { reader: false } }), devSpec({ name: 'campus' })]) {
      assert.equal(runtimeEnv(spec, 'web').MOODLE_DB_READ_HOST, undefined, spec.profile);
    }
  });
});

describe('what each mode is told', () => {
  const spec = devSpec({ site: { url: 'http://moodle.test:8080' }, web: { fpmWorkers: 6, phpMemory: '256Mi', maxUpload: '1Gi', memory: '4Gi' } });
  test('every mode: the site URL, the data endpoints, PHP memory, the session lock wait of the chain', () => {
    for (const mode of IMAGE_MODES) {
      const env = runtimeEnv(spec, mode);
      assert.equal(env.MOODLE_WWWROOT, 'http://moodle.test:8080');
      assert.equal(env.MOODLE_SSLPROXY, 'false');
      assert.equal(env.MOODLE_DB_HOST, 'campus-db-writer');
      assert.equal(env.MOODLE_REDIS_HOST, 'campus-redis-primary');
      assert.equal(env.MOODLE_CACHE_REDIS_HOST, 'campus-cache-primary');
      assert.equal(env.MOODLE_PHP_MEMORY_LIMIT, '256M');
      assert.equal(env.MOODLE_SESSION_LOCK_WAIT, String(timeoutChain().sessionLockWait));
      assert.equal(env.MOODLE_CONFIG_BUNDLE, undefined, 'no configBundle in the spec');
    }
  });
  test('web only: workers, upload size and the keep-alive of the chain', () => {
    const web = runtimeEnv(spec, 'web');
    assert.equal(web.MOODLE_FPM_WORKERS, '6');
    assert.equal(web.MOODLE_MAX_UPLOAD, '1024M');
    assert.equal(web.MOODLE_KEEPALIVE_TIMEOUT, String(timeoutChain().webKeepalive));
    for (const mode of ['cron', 'migrate'] as const) {
      const env = runtimeEnv(spec, mode);
      assert.deepEqual([env.MOODLE_FPM_WORKERS, env.MOODLE_MAX_UPLOAD, env.MOODLE_KEEPALIVE_TIMEOUT], [undefined, undefined, undefined], mode);
    }
  });
  test('migrate only: the admin account and the site identity', () => {
    const m = runtimeEnv(devSpec({ site: { adminUser: 'boss', adminEmail: 'boss@example.edu', fullName: 'Campus LMS', shortName: 'lms' } }), 'migrate');
    assert.deepEqual(
      [m.MOODLE_ADMIN_USER, m.MOODLE_ADMIN_EMAIL, m.MOODLE_SITE_FULLNAME, m.MOODLE_SITE_SHORTNAME, m.MOODLE_ADMIN_PASSWORD_FILE],
      ['boss', 'boss@example.edu', 'Campus LMS', 'lms', `${RUNTIME_IMAGE.secretsDir}/admin-password`],
    );
    for (const mode of ['web', 'cron'] as const) assert.equal(runtimeEnv(spec, mode).MOODLE_ADMIN_PASSWORD_FILE, undefined, mode);
  });
  test('a config bundle is loaded from its folder in the container', () => {
    assert.equal(runtimeEnv(devSpec({ configBundle: 'bundle' }), 'cron').MOODLE_CONFIG_BUNDLE, RUNTIME_IMAGE.configBundleDir);
  });
});

describe('runtime containers', () => {
  const spec = devSpec();
  test('web-N, cron and migrate run the runtime image with their mode as the command', () => {
    const c = (mode: (typeof IMAGE_MODES)[number], i?: number) => runtimeContainer(spec, TAGS, SECRETS, mode, i);
    assert.deepEqual([c('web', 4).name, c('cron').name, c('migrate').name], ['campus-web-4', 'campus-cron', 'campus-migrate']);
    for (const mode of IMAGE_MODES) {
      assert.deepEqual(c(mode).cmd, [mode]);
      assert.equal(c(mode).image, TAGS.runtime);
      assert.deepEqual(c(mode).volumes, { 'campus-moodledata': RUNTIME_IMAGE.sharedDataDir });
    }
  });
  test('each secret the environment names as a file is put there (0400, the image user), and no other', () => {
    for (const mode of IMAGE_MODES) {
      const c = runtimeContainer(spec, TAGS, SECRETS, mode);
      const named = Object.entries(c.env!)
        .filter(([k]) => k.endsWith(FILE_SUFFIX))
        .map(([, v]) => v)
        .sort();
      assert.deepEqual(c.files!.map((f) => f.name).sort(), named, mode);
      for (const f of c.files!) {
        assert.equal(f.content, SECRETS[f.name.split('/').pop() as keyof typeof SECRETS]);
        assert.deepEqual([f.mode, f.uid, f.gid], [0o400, RUNTIME_IMAGE.uid, RUNTIME_IMAGE.gid], f.name);
      }
    }
    const files = (mode: (typeof IMAGE_MODES)[number]) =>
      runtimeContainer(spec, TAGS, SECRETS, mode)
        .files!.map((f) => f.name.split('/').pop())
        .sort();
    assert.deepEqual(files('web'), ['db-password', 'redis-password']);
    assert.deepEqual(files('cron'), ['db-password', 'redis-password']);
    assert.deepEqual(files('migrate'), ['admin-password', 'db-password', 'redis-password'], 'only migrate needs the admin password');
  });
  test('no secret is in any environment variable of any container', () => {
    for (const [, s] of SPECS) {
      for (const c of allContainers(s)) {
        for (const [k, v] of Object.entries(c.env ?? {})) {
          for (const secret of Object.values(SECRETS)) assert.ok(!v.includes(secret), `${c.name}: ${k} holds a secret`);
        }
      }
    }
  });
  test('config bundle files come after the secrets', () => {
    const c = runtimeContainer(spec, TAGS, SECRETS, 'web', 1, BUNDLE);
    assert.deepEqual(c.files!.at(-1), BUNDLE[0]);
    assert.equal(c.files!.length, 3);
  });
  test('a web node: its memory limit, time to drain on stop, restarted unless stopped', () => {
    const c = runtimeContainer(devSpec({ web: { memory: '3Gi' } }), TAGS, SECRETS, 'web', 2);
    assert.equal(c.memoryBytes, 3 * 1024 ** 3);
    assert.equal(c.stopTimeoutSeconds, RUNTIME_IMAGE.drainSeconds + 5);
    assert.equal(c.restart, 'unless-stopped');
  });
  test('migrate runs once (never restarted); cron is restarted', () => {
    assert.equal(runtimeContainer(spec, TAGS, SECRETS, 'migrate').restart, 'no');
    assert.equal(runtimeContainer(spec, TAGS, SECRETS, 'cron').restart, 'unless-stopped');
    assert.equal(runtimeContainer(spec, TAGS, SECRETS, 'cron').memoryBytes, undefined);
  });
});

describe('what the engine is asked for', () => {
  for (const [name, spec] of SPECS) {
    test(`${name}: only the site is published on ports.bind; everything else on 127.0.0.1 or not at all`, () => {
      const s = { ...spec, ports: { ...spec.ports, bind: '0.0.0.0' } };
      const published: string[] = [];
      for (const c of allContainers(s)) {
        for (const [port, bindings] of Object.entries(
          createOptions(c, 'h').HostConfig!.PortBindings as Record<string, Array<{ HostIp: string; HostPort: string }>>,
        )) {
          for (const b of bindings) published.push(`${c.name} ${port} ${b.HostIp}:${b.HostPort}`);
        }
      }
      assert.deepEqual(published.sort(), [
        `campus-lb 8080/tcp 0.0.0.0:${s.ports.http}`,
        `campus-lb 8404/tcp 127.0.0.1:${s.ports.stats}`,
        `campus-mail 1080/tcp 127.0.0.1:${s.ports.mail}`,
      ]);
    });
    test(`${name}: every container is labelled with the project, its cluster, its service and its definition`, () => {
      for (const c of allContainers(spec)) {
        const labels = createOptions(c, 'abc123').Labels!;
        assert.deepEqual(
          labels,
          { [LABELS.project]: 'moodle-ha', [LABELS.cluster]: 'campus', [LABELS.service]: c.service, [LABELS.definition]: 'abc123' },
          c.name,
        );
        assert.ok(c.name.startsWith('campus-'), c.name);
      }
    });
  }
  test('the container: hostname = name, env as NAME=value, named volumes, network aliases, memory, restart', () => {
    const c: ContainerSpec = {
      name: 'campus-x',
      cluster: 'campus',
      service: 'x',
      image: 'img',
      network: 'campus-net',
      aliases: ['x-alias'],
      env: { A: '1', B: 'two words' },
      volumes: { 'campus-vol': '/data' },
      memoryBytes: 1024,
      cmd: ['run'],
    };
    const o = createOptions(c, 'h');
    assert.equal(o.Hostname, 'campus-x');
    assert.deepEqual(o.Env, ['A=1', 'B=two words']);
    assert.deepEqual(o.Cmd, ['run']);
    assert.deepEqual(o.HostConfig!.Binds, ['campus-vol:/data']);
    assert.equal(o.HostConfig!.Memory, 1024);
    assert.deepEqual(o.HostConfig!.RestartPolicy, { Name: 'unless-stopped' });
    assert.equal(o.HostConfig!.NetworkMode, 'campus-net');
    assert.deepEqual(o.NetworkingConfig, { EndpointsConfig: { 'campus-net': { Aliases: ['x-alias'] } } });
    assert.equal(o.StopTimeout, 10);
    assert.equal(o.Entrypoint, undefined, "the image's entrypoint unless one is given");
    assert.equal(createOptions({ ...c, memoryBytes: undefined }, 'h').HostConfig!.Memory, undefined, 'no limit unless one is given');
  });
  test('labelsFor: the three labels `down` and `status` filter on', () => {
    assert.deepEqual(labelsFor('c1', 'web'), { 'io.moodle-ha.project': 'moodle-ha', 'io.moodle-ha.cluster': 'c1', 'io.moodle-ha.service': 'web' });
  });
});

describe('the definition hash: what makes `up` replace a running container', () => {
  const web = runtimeContainer(devSpec(), TAGS, SECRETS, 'web', 1);
  const lb = lbContainer(devSpec(), TAGS, 2, 97);
  test('the same definition and image give the same hash', () => {
    assert.equal(definitionHash(web, 'sha256:1'), definitionHash(runtimeContainer(devSpec(), TAGS, SECRETS, 'web', 1), 'sha256:1'));
    assert.match(definitionHash(web, 'sha256:1'), /^[0-9a-f]{16}$/);
  });
  test('another image, environment, secret or port changes it', () => {
    const h = definitionHash(web, 'sha256:1');
    assert.notEqual(definitionHash(web, 'sha256:2'), h, 'image');
    assert.notEqual(definitionHash(runtimeContainer(devSpec({ web: { fpmWorkers: 4 } }), TAGS, SECRETS, 'web', 1), 'sha256:1'), h, 'environment');
    assert.notEqual(definitionHash(runtimeContainer(devSpec(), TAGS, { ...SECRETS, 'db-password': 'new' }, 'web', 1), 'sha256:1'), h, 'secret');
    assert.notEqual(definitionHash(lbContainer(devSpec({ ports: { http: 9090 } }), TAGS, 2, 97), 'i'), definitionHash(lb, 'i'), 'published port');
  });
  test("the load balancer's server list (a live file) does not: a scaled cluster keeps its load balancer", () => {
    assert.notDeepEqual(lbContainer(devSpec(), TAGS, 5, 97).liveFiles, lb.liveFiles);
    assert.equal(definitionHash(lbContainer(devSpec(), TAGS, 5, 97), 'i'), definitionHash(lb, 'i'));
  });
});
