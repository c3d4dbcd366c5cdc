// The data tier's containers (src/local/data-services.ts) in both profiles: what each is given, and
// what its image makes of that. The Redis image's entrypoint is run here (bash, with redis-server
// replaced by `cat`), so "sessions never evict, caches evict and keep nothing" is checked on the
// redis.conf each container would really write, not only on the environment passed to it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SERVICE_UIDS } from '../../../src/image/service-images.ts';
import type { ContainerSpec } from '../../../src/local/containers.ts';
import { dbContainers, endpointsContainer, redisContainers } from '../../../src/local/data-services.ts';
import { cacheEndpoint } from '../../../src/local/endpoints.ts';
import { mailContainer } from '../../../src/local/mail.ts';
import { runtimeEnv } from '../../../src/local/services.ts';
import type { Spec } from '../../../src/spec/schema.ts';
import { assertHasLine, devSpec, haproxySections, haSpec, SECRETS, TAGS } from './fixtures.ts';
import { tempDir } from '../../support/temp.ts';

const IMAGES = join(import.meta.dirname, '..', '..', '..', 'images');
const byName = (cs: ContainerSpec[]) => new Map(cs.map((c) => [c.name, c]));
const data = (spec: Spec) => [...dbContainers(spec, TAGS, SECRETS), ...redisContainers(spec, TAGS, SECRETS)];

/** redis.conf (or sentinel.conf) as images/redis/entrypoint.sh writes it for this container. */
function redisConf(c: ContainerSpec): string {
  const root = tempDir('redis-entrypoint-');
  const bin = join(root, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'redis-server'), '#!/bin/sh\ncat "$1"\n');
  writeFileSync(join(bin, 'redis-cli'), '#!/bin/sh\nexit 1\n'); // no Sentinel answers
  chmodSync(join(bin, 'redis-server'), 0o755);
  chmodSync(join(bin, 'redis-cli'), 0o755);
  const at = (p: string) => p.replace(/^\/run\/redis/, root);
  for (const f of c.files ?? []) {
    mkdirSync(join(at(f.name), '..'), { recursive: true });
    writeFileSync(at(f.name), f.content);
  }
  const script = readFileSync(join(IMAGES, 'redis', 'entrypoint.sh'), 'utf8').replaceAll('/run/redis', root);
  const env = { ...c.env, REDIS_PASSWORD_FILE: at(c.env!.REDIS_PASSWORD_FILE!), PATH: `${bin}:${process.env.PATH}` };
  const r = spawnSync('bash', ['-c', script], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, `entrypoint of ${c.name} failed: ${r.stderr}`);
  return r.stdout;
}
const confValue = (conf: string, key: string) =>
  conf
    .split('\n')
    .find((l) => l.startsWith(`${key} `))
    ?.slice(key.length + 1);

describe('dev: one MariaDB, a sessions Redis and a caches Redis, each answering as its endpoint', () => {
  const spec = devSpec();
  const c = byName(data(spec));
  test('the containers and their endpoint names', () => {
    assert.deepEqual([...c.keys()], ['campus-db', 'campus-redis', 'campus-cache']);
    assert.deepEqual(c.get('campus-db')!.aliases, ['campus-db-writer']);
    assert.deepEqual(c.get('campus-redis')!.aliases, ['campus-redis-primary']);
    assert.deepEqual(c.get('campus-cache')!.aliases, ['campus-cache-primary']);
  });
  test('MariaDB: the moodle database and user, the password as a 0400 file the mariadb user owns, no Galera', () => {
    const db = c.get('campus-db')!;
    assert.deepEqual(db.env, { MARIADB_DATABASE: 'moodle', MARIADB_USER: 'moodle', MARIADB_PASSWORD_FILE: '/run/mysqld/secrets/db-password' });
    assert.deepEqual(db.files, [
      { name: '/run/mysqld/secrets/db-password', content: SECRETS['db-password'], mode: 0o400, uid: SERVICE_UIDS.mariadb, gid: SERVICE_UIDS.mariadb },
    ]);
    assert.deepEqual(db.volumes, { 'campus-dbdata': '/var/lib/mysql' });
    assert.equal(db.memoryBytes, spec.database.memory.bytes);
  });
  test('sessions: kept on disk (a volume); caches: no volume, nothing to keep', () => {
    assert.deepEqual(c.get('campus-redis')!.volumes, { 'campus-redisdata': '/data' });
    assert.equal(c.get('campus-cache')!.volumes, undefined);
  });
  test('Redis gets only the Redis password, and MariaDB only the database password', () => {
    for (const x of ['campus-redis', 'campus-cache'])
      assert.deepEqual(
        c.get(x)!.files!.map((f) => f.content),
        [SECRETS['redis-password']],
      );
    assert.deepEqual(
      c.get('campus-db')!.files!.map((f) => f.content),
      [SECRETS['db-password']],
    );
  });
  test('the runtime containers find the caches on the cache container itself, port 6379', () => {
    assert.deepEqual(cacheEndpoint(spec), { host: 'campus-cache-primary', port: 6379 });
  });
});

describe('ha: 3 Galera nodes, two Redis primary + replica pairs, 3 Sentinels', () => {
  const spec = haSpec();
  const c = byName(data(spec));
  test('the containers', () => {
    assert.deepEqual(
      [...c.keys()],
      [
        'campus-db-1',
        'campus-db-2',
        'campus-db-3',
        'campus-redis-1',
        'campus-redis-2',
        'campus-cache-1',
        'campus-cache-2',
        'campus-sentinel-1',
        'campus-sentinel-2',
        'campus-sentinel-3',
      ],
    );
  });
  test('no data container carries an endpoint name: the endpoints container does', () => {
    for (const x of c.values()) assert.ok(!x.aliases?.length, `${x.name} has aliases ${x.aliases}`);
    assert.deepEqual(endpointsContainer(spec, TAGS, SECRETS).aliases, ['campus-db-writer', 'campus-db-reader', 'campus-redis-primary', 'campus-cache-primary']);
  });
  test('Galera: every node knows all three peers; only node 1 may bootstrap a fresh cluster; a volume each', () => {
    for (const i of [1, 2, 3]) {
      const db = c.get(`campus-db-${i}`)!;
      assert.equal(db.env!.GALERA_PEERS, 'campus-db-1,campus-db-2,campus-db-3');
      assert.equal(db.env!.GALERA_CLUSTER_NAME, 'campus');
      assert.equal(db.env!.GALERA_FIRST, i === 1 ? '1' : '0');
      assert.deepEqual(db.volumes, { [`campus-dbdata-${i}`]: '/var/lib/mysql' });
    }
  });
  test('replicas follow their own primary: redis-2 → redis-1, cache-2 → cache-1', () => {
    assert.equal(c.get('campus-redis-1')!.env!.REDIS_REPLICAOF, undefined);
    assert.equal(c.get('campus-redis-2')!.env!.REDIS_REPLICAOF, 'campus-redis-1');
    assert.equal(c.get('campus-cache-1')!.env!.REDIS_REPLICAOF, undefined);
    assert.equal(c.get('campus-cache-2')!.env!.REDIS_REPLICAOF, 'campus-cache-1');
  });
  test('the Sentinels watch both primaries with a quorum of 2', () => {
    for (const i of [1, 2, 3]) {
      const env = c.get(`campus-sentinel-${i}`)!.env!;
      assert.equal(env.REDIS_SENTINEL_MONITOR, 'campus-redis-1');
      assert.equal(env.REDIS_SENTINEL_MONITOR_CACHE, 'campus-cache-1');
      assert.equal(env.REDIS_SENTINEL_QUORUM, '2');
    }
  });
  test('the runtime containers find the caches at the endpoints container, port 6380', () => {
    assert.deepEqual(cacheEndpoint(spec), { host: 'campus-cache-primary', port: 6380 });
  });
});

describe("what the Redis image writes from each container's environment", () => {
  for (const [profile, spec] of [
    ['dev', devSpec()],
    ['ha', haSpec()],
  ] as const) {
    const all = redisContainers(spec, TAGS, SECRETS);
    for (const c of all.filter((x) => x.service === 'redis')) {
      test(`${profile} ${c.name} (sessions): never evicts beyond redis.sessionsMemory (256Mi), append-only file synced every second`, () => {
        const conf = redisConf(c);
        assert.equal(confValue(conf, 'maxmemory-policy'), 'noeviction');
        assert.equal(confValue(conf, 'maxmemory'), String(256 * 1024 ** 2));
        assert.equal(confValue(conf, 'appendonly'), 'yes');
        assert.equal(confValue(conf, 'appendfsync'), 'everysec');
        assert.equal(confValue(conf, 'requirepass'), `"${SECRETS['redis-password']}"`);
        assert.equal(confValue(conf, 'replicaof'), c.env!.REDIS_REPLICAOF ? `${c.env!.REDIS_REPLICAOF} 6379` : undefined);
      });
    }
    for (const c of all.filter((x) => x.service === 'cache')) {
      test(`${profile} ${c.name} (caches): evicts the least recently used key beyond redis.cachesMemory (256Mi), nothing on disk`, () => {
        const conf = redisConf(c);
        assert.equal(confValue(conf, 'maxmemory-policy'), 'allkeys-lru', 'a promoted replica must evict too');
        assert.equal(confValue(conf, 'maxmemory'), String(256 * 1024 ** 2));
        assert.equal(confValue(conf, 'appendonly'), 'no');
        assert.equal(confValue(conf, 'save'), '""');
        assert.equal(confValue(conf, 'replicaof'), c.env!.REDIS_REPLICAOF ? `${c.env!.REDIS_REPLICAOF} 6379` : undefined);
      });
    }
  }
  test("redis.sessionsMemory and redis.cachesMemory set each group's maxmemory, on every member (a promoted replica keeps it)", () => {
    const redis = { sessionsMemory: '1Gi', cachesMemory: '64Mi' };
    for (const sized of [devSpec({ redis }), haSpec({ redis })]) {
      for (const c of redisContainers(sized, TAGS, SECRETS).filter((x) => x.service !== 'sentinel')) {
        assert.equal(confValue(redisConf(c), 'maxmemory'), String(c.service === 'redis' ? 1024 ** 3 : 64 * 1024 ** 2), c.name);
      }
    }
  });
  test('ha Sentinel: monitors the sessions as "primary" and the caches as "cache", with the password', () => {
    const sentinel = redisContainers(haSpec(), TAGS, SECRETS).find((x) => x.service === 'sentinel')!;
    const conf = redisConf(sentinel).split('\n');
    assertHasLine(conf, 'sentinel monitor primary campus-redis-1 6379 2');
    assertHasLine(conf, 'sentinel monitor cache campus-cache-1 6379 2');
    assertHasLine(conf, `sentinel auth-pass cache "${SECRETS['redis-password']}"`);
  });
});

/**
 * The role images/redis/entrypoint.sh starts an ha data node in, given what each Sentinel answers
 * (its current primary for the node's group, and that primary's flags; a missing Sentinel does
 * not answer): redis-server's arguments after the config file, and the entrypoint's message.
 */
function startRole(c: ContainerSpec, sentinels: Record<string, { primary: string; flags?: string } | undefined>, waitS = 1) {
  const root = tempDir('redis-role-');
  const bin = join(root, 'bin');
  mkdirSync(bin);
  const answers = join(root, 'answers');
  mkdirSync(answers);
  for (const [host, a] of Object.entries(sentinels)) {
    if (a) writeFileSync(join(answers, host), `${a.primary}\n${a.flags ?? 'master'}\n`);
  }
  const scripts: Record<string, string> = {
    'redis-server': '#!/bin/sh\nshift\necho "ARGS: $*"\n',
    hostname: `#!/bin/sh\necho ${c.name}\n`,
    // redis-cli -h HOST -p 26379 --raw sentinel get-master-addr-by-name|master GROUP
    'redis-cli': `#!/bin/bash\nf="${answers}/$2"; [ -f "$f" ] || exit 1\ncase "$7" in get-master-addr-by-name) sed -n 1p "$f"; echo 6379;; master) printf 'name\\nx\\nflags\\n'; sed -n 2p "$f";; esac\n`,
  };
  for (const [name, text] of Object.entries(scripts)) {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
  const at = (p: string) => p.replace(/^\/run\/redis/, root);
  for (const f of c.files ?? []) {
    mkdirSync(join(at(f.name), '..'), { recursive: true });
    writeFileSync(at(f.name), f.content);
  }
  const script = readFileSync(join(IMAGES, 'redis', 'entrypoint.sh'), 'utf8').replaceAll('/run/redis', root);
  const env = { ...c.env, REDIS_PASSWORD_FILE: at(c.env!.REDIS_PASSWORD_FILE!), REDIS_SENTINEL_WAIT_S: String(waitS), PATH: `${bin}:${process.env.PATH}` };
  const t0 = Date.now();
  const r = spawnSync('bash', ['-c', script], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, `entrypoint of ${c.name} failed: ${r.stderr}`);
  return { args: /ARGS: (.*)/.exec(r.stdout)![1]!.trim(), message: r.stderr.trim(), seconds: (Date.now() - t0) / 1000 };
}

describe('ha: a Redis data node asks the Sentinels for the current primary before it starts (never two primaries)', () => {
  const all = byName(redisContainers(haSpec(), TAGS, SECRETS));
  const redis1 = all.get('campus-redis-1')!;
  const cache1 = all.get('campus-cache-1')!;
  const redis2 = all.get('campus-redis-2')!;
  const three = (a: { primary: string; flags?: string } | undefined) => ({ 'campus-sentinel-1': a, 'campus-sentinel-2': a, 'campus-sentinel-3': a });
  test('each data node is told the Sentinels and the name they watch its group under', () => {
    for (const [name, group] of [
      ['campus-redis-1', 'primary'],
      ['campus-redis-2', 'primary'],
      ['campus-cache-1', 'cache'],
      ['campus-cache-2', 'cache'],
    ] as const) {
      assert.equal(all.get(name)!.env!.REDIS_SENTINELS, 'campus-sentinel-1,campus-sentinel-2,campus-sentinel-3', name);
      assert.equal(all.get(name)!.env!.REDIS_SENTINEL_GROUP, group, name);
    }
    const sentinel = redisConf(all.get('campus-sentinel-1')!);
    assert.match(sentinel, /^sentinel monitor primary campus-redis-1 /m);
    assert.match(sentinel, /^sentinel monitor cache campus-cache-1 /m);
  });
  test('the former primary, restarted after a failover: a replica of the node the Sentinels name', () => {
    const r = startRole(redis1, three({ primary: 'campus-redis-2' }));
    assert.equal(r.args, '--replicaof campus-redis-2 6379');
    assert.match(r.message, /name campus-redis-2 as the primary primary: starting as its replica/);
    assert.equal(startRole(cache1, three({ primary: 'campus-cache-2' })).args, '--replicaof campus-cache-2 6379');
  });
  test('one Sentinel naming another node is enough (the others not yet told, or not answering)', () => {
    const r = startRole(redis1, {
      'campus-sentinel-1': { primary: 'campus-redis-1' },
      'campus-sentinel-2': undefined,
      'campus-sentinel-3': { primary: 'campus-redis-2' },
    });
    assert.equal(r.args, '--replicaof campus-redis-2 6379');
  });
  test('a replica promoted while the old primary was down, restarted: the primary, even though its config says replicaof', () => {
    const r = startRole(redis2, three({ primary: 'campus-redis-2' }));
    assert.equal(r.args, '--replicaof no one');
  });
  test('no Sentinel answers (a fresh cluster, whose Sentinels start after the data nodes): the configured role', () => {
    assert.equal(startRole(redis1, three(undefined)).args, '');
    assert.equal(startRole(redis2, three(undefined)).args, '', 'redis-2 keeps the replicaof of its config');
  });
  test('named the primary but seen down (a failover may be under way): waits, then starts as the primary when no other is named', () => {
    const r = startRole(redis1, three({ primary: 'campus-redis-1', flags: 'master,s_down,o_down' }), 3);
    assert.equal(r.args, '--replicaof no one');
    // bash's SECONDS counts whole seconds: a 3 s deadline ends 2-3 s after the start.
    assert.ok(r.seconds >= 2, `it did not wait for the failover (${r.seconds} s)`);
    assert.match(r.message, /still campus-sentinel-\d: master,s_down,o_down after 3 s/);
  });
  test('named the primary and not seen down (a restart quicker than down-after): the primary at once', () => {
    // A 10 s deadline: had it waited for a failover, 9-10 s; the bar leaves a busy machine's bash
    // and its fake redis-cli processes 5 s (1.5 s was seen in CI with the unit tier on both cores).
    const r = startRole(redis1, three({ primary: 'campus-redis-1' }), 10);
    assert.equal(r.args, '--replicaof no one');
    assert.doesNotMatch(r.message, /still campus-sentinel/, 'it waited for a failover');
    assert.ok(r.seconds < 5, `it waited ${r.seconds} s`);
  });
});

describe('every variable a data container is given is read by its image', () => {
  const scripts = (image: string) =>
    readdirSync(join(IMAGES, image))
      .map((f) => readFileSync(join(IMAGES, image, f), 'utf8'))
      .join('\n');
  const imageOf: Record<string, string> = { db: 'mariadb', redis: 'redis', cache: 'redis', sentinel: 'redis' };
  for (const [profile, spec] of [
    ['dev', devSpec()],
    ['ha', haSpec()],
  ] as const) {
    test(profile, () => {
      for (const c of data(spec)) {
        const text = scripts(imageOf[c.service]!);
        for (const name of Object.keys(c.env ?? {}))
          assert.match(text, new RegExp(`\\$\\{?${name}\\b`), `${c.name}: ${name} is not read by images/${imageOf[c.service]}`);
      }
    });
  }
});

describe('the runtime containers reach every data endpoint they are given', () => {
  // A host name in the runtime environment must be a name or alias on the network of a container
  // that serves the given port: the data containers themselves in dev, the endpoints container in ha.
  for (const [profile, spec] of [
    ['dev', devSpec()],
    ['ha', haSpec()],
  ] as const) {
    test(profile, () => {
      const env = runtimeEnv(spec, 'web');
      const containers = [...data(spec), ...(profile === 'ha' ? [endpointsContainer(spec, TAGS, SECRETS)] : []), mailContainer(spec, TAGS.mail)];
      const serving = (host: string) => containers.find((c) => c.name === host || c.aliases?.includes(host));
      const endpointPorts = profile === 'ha' ? portsBound(endpointsContainer(spec, TAGS, SECRETS).files![0]!.content) : undefined;
      for (const [hostVar, port] of [
        ['MOODLE_DB_HOST', '3306'],
        ['MOODLE_REDIS_HOST', '6379'],
        ['MOODLE_CACHE_REDIS_HOST', env.MOODLE_CACHE_REDIS_PORT!],
        ['MOODLE_SMTP_HOST', env.MOODLE_SMTP_PORT!],
      ] as const) {
        const c = serving(env[hostVar]!);
        assert.ok(c, `${hostVar}=${env[hostVar]} is no container's name or alias`);
        if (c.service === 'endpoints') assert.ok(endpointPorts!.includes(Number(port)), `${hostVar}: the endpoints container does not listen on ${port}`);
        if (c.service === 'redis' || c.service === 'cache') assert.equal(port, '6379');
      }
    });
  }
});

function portsBound(cfg: string): number[] {
  return [...haproxySections(cfg).values()]
    .flat()
    .filter((l) => l.startsWith('bind :'))
    .map((l) => Number(l.slice('bind :'.length)));
}
