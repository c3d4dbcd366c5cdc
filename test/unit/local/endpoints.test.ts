// The ha profile's endpoints container (src/local/endpoints.ts, endpointsContainer in
// src/local/data-services.ts): one name each for the database writer, the sessions' Redis primary
// and the caches' Redis primary, each following failover.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { endpointsContainer, HA_DB_NODES, HA_REDIS_NODES } from '../../../src/local/data-services.ts';
import {
  CACHE_ENDPOINT_PORT,
  DB_PORT,
  DB_READER_PORT,
  ENDPOINTS_ADMIN_SOCKET,
  ENDPOINTS_SECRETS,
  GALERA_CHECK_TIMEOUT_S,
  REDIS_PORT,
  renderEndpointsConfig,
  type EndpointsConfig,
} from '../../../src/local/endpoints.ts';
import { SERVICE_UIDS } from '../../../src/image/service-images.ts';
import { assertHasLine, haproxySections, haSpec, SECRETS, section, TAGS } from './fixtures.ts';

const CONFIG: EndpointsConfig = {
  dbNodes: ['c-db-1', 'c-db-2', 'c-db-3'],
  redisNodes: ['c-redis-1', 'c-redis-2'],
  cacheNodes: ['c-cache-1', 'c-cache-2'],
  redisPassword: 'pw-1',
};
const sections = haproxySections(renderEndpointsConfig(CONFIG));
const servers = (backend: string) => section(sections, `backend ${backend}`).filter((l) => l.startsWith('server '));

describe('three front ends, each to its own backend', () => {
  test('the writer on 3306, the sessions on 6379, the caches on 6380', () => {
    assert.deepEqual(section(sections, 'frontend db_writer'), [`bind :${DB_PORT}`, 'default_backend db']);
    assert.deepEqual(section(sections, 'frontend redis_primary'), [`bind :${REDIS_PORT}`, 'default_backend redis']);
    assert.deepEqual(section(sections, 'frontend cache_primary'), [`bind :${CACHE_ENDPOINT_PORT}`, 'default_backend cache']);
    assert.deepEqual([DB_PORT, REDIS_PORT, CACHE_ENDPOINT_PORT], [3306, 6379, 6380]);
  });
  test("the reader on 3307: every Galera member, checked on port 9200 as a reader (Synced or donating), the writer's first choice only a backup", () => {
    assert.deepEqual(section(sections, 'frontend db_reader'), [`bind :${DB_READER_PORT}`, 'default_backend db_read']);
    assert.equal(DB_READER_PORT, 3307);
    assert.deepEqual(servers('db_read'), ['server c-db-1 c-db-1:3306 check backup', 'server c-db-2 c-db-2:3306 check', 'server c-db-3 c-db-3:3306 check']);
    const db = section(sections, 'backend db');
    const read = section(sections, 'backend db_read');
    for (const l of db.filter((x) => x.startsWith('default-server') || x.startsWith('http-check'))) assertHasLine(read, l);
    assertHasLine(read, 'option httpchk GET /reader');
    assert.ok(!read.includes('option httpchk GET /'), "the reader does not use the writer's Synced-only check");
    assertHasLine(read, 'balance roundrobin');
    assert.ok(!read.some((l) => l.startsWith('stick')), 'reads are spread, never stuck to one member');
  });
  test("a Galera member's check may take longer to answer than the Redis checks (a slow answer is not a dead member)", () => {
    for (const b of ['db', 'db_read']) assertHasLine(section(sections, `backend ${b}`), `timeout check ${GALERA_CHECK_TIMEOUT_S}s`);
    for (const b of ['redis', 'cache']) assert.ok(!section(sections, `backend ${b}`).some((l) => l.startsWith('timeout check')), b);
    assertHasLine(section(sections, 'defaults'), 'timeout check 2s');
    assert.ok(GALERA_CHECK_TIMEOUT_S > 2);
  });
  test('TCP, not HTTP; connections may stay idle for a long time (8 h)', () => {
    const d = section(sections, 'defaults');
    for (const l of ['mode tcp', 'timeout client 8h', 'timeout server 8h']) assert.ok(d.includes(l), l);
  });
  test('every node of each group is a checked server of its backend only, on the service port', () => {
    assert.deepEqual(
      servers('db'),
      CONFIG.dbNodes.map((n) => `server ${n} ${n}:3306 check`),
    );
    assert.deepEqual(
      servers('redis'),
      CONFIG.redisNodes.map((n) => `server ${n} ${n}:6379 check`),
    );
    assert.deepEqual(
      servers('cache'),
      CONFIG.cacheNodes.map((n) => `server ${n} ${n}:6379 check`),
      'each cache node serves on 6379; 6380 is only the endpoint',
    );
  });
  test('a node removed from the list is gone from its backend', () => {
    const fewer = haproxySections(renderEndpointsConfig({ ...CONFIG, dbNodes: ['c-db-1', 'c-db-2'] }));
    assert.deepEqual(
      section(fewer, 'backend db')
        .filter((l) => l.startsWith('server '))
        .map((l) => l.split(' ')[1]),
      ['c-db-1', 'c-db-2'],
    );
  });
});

describe('the runtime API the data roll steers by', () => {
  test('an admin socket at ENDPOINTS_ADMIN_SOCKET (writer in the stick table, server states)', () => {
    assertHasLine(section(sections, 'global'), `stats socket ${ENDPOINTS_ADMIN_SOCKET} mode 600 level admin`);
  });
});

describe('the database writer: every write on one Synced Galera node', () => {
  const db = section(sections, 'backend db');
  test('the first healthy node takes all connections, and keeps them when an earlier one comes back', () => {
    assertHasLine(db, 'balance first');
    assertHasLine(db, 'stick-table type integer size 1 expire 24d');
    assertHasLine(db, 'stick on int(1)');
  });
  test("health is the node's Synced check on port 9200 (HTTP 200), not the MySQL port", () => {
    assertHasLine(db, 'option httpchk GET /');
    assertHasLine(db, 'http-check expect status 200');
    const ds = db.find((l) => l.startsWith('default-server '))!.split(' ');
    assert.equal(ds[ds.indexOf('port') + 1], '9200');
  });
  test('a node marked down loses its connections at once (clients reconnect to the new writer)', () => {
    assert.match(db.find((l) => l.startsWith('default-server '))!, /\bon-marked-down shutdown-sessions\b/);
  });
});

describe('the Redis primaries: the node that says role:master', () => {
  for (const backend of ['redis', 'cache']) {
    test(`${backend}: AUTH, then INFO replication must say role:master; first node, stuck`, () => {
      const b = section(sections, `backend ${backend}`);
      const checks = b.filter((l) => l.startsWith('tcp-check '));
      assert.deepEqual(checks, [
        'tcp-check connect',
        'tcp-check send "AUTH pw-1\\r\\n"',
        'tcp-check expect string +OK',
        'tcp-check send "INFO replication\\r\\n"',
        'tcp-check expect string role:master',
        'tcp-check send "QUIT\\r\\n"',
        'tcp-check expect string +OK',
      ]);
      for (const l of ['option tcp-check', 'balance first', 'stick on int(1)']) assert.ok(b.includes(l), l);
      assert.match(b.find((l) => l.startsWith('default-server '))!, /\binter 1s fall 1 rise 2 on-marked-down shutdown-sessions\b/);
    });
  }
  test('a double quote in the password is escaped inside the quoted AUTH string', () => {
    const cfg = renderEndpointsConfig({ ...CONFIG, redisPassword: 'a"b' });
    assert.ok(cfg.includes('tcp-check send "AUTH a\\"b\\r\\n"'), cfg);
  });
});

describe('the endpoints container', () => {
  const spec = haSpec();
  const c = endpointsContainer(spec, TAGS, SECRETS);
  test('answers as the four endpoint names on the cluster network, publishes nothing', () => {
    assert.deepEqual(c.aliases, ['campus-db-writer', 'campus-db-reader', 'campus-redis-primary', 'campus-cache-primary']);
    assert.equal(c.network, 'campus-net');
    assert.equal(c.ports, undefined);
    assert.equal(c.image, TAGS.haproxy);
  });
  test("the Redis password for the planned failover run there: a 0400 file of HAProxy's user, named by REDIS_PASSWORD_FILE, never a plain variable", () => {
    const f = c.files![1]!;
    assert.deepEqual(
      { name: f.name, mode: f.mode, uid: f.uid, content: f.content },
      { name: `${ENDPOINTS_SECRETS}/redis-password`, mode: 0o400, uid: SERVICE_UIDS.haproxy, content: SECRETS['redis-password'] },
    );
    assert.deepEqual(c.env, { REDIS_PASSWORD_FILE: f.name });
  });
  test('its configuration names every ha node and holds the Redis password, so only HAProxy can read it (0600)', () => {
    assert.equal(c.files?.length, 2);
    const f = c.files![0]!;
    assert.deepEqual(
      { name: f.name, mode: f.mode, uid: f.uid, gid: f.gid },
      { name: '/etc/haproxy/haproxy.cfg', mode: 0o600, uid: SERVICE_UIDS.haproxy, gid: SERVICE_UIDS.haproxy },
    );
    const s = haproxySections(f.content);
    const names = (b: string) =>
      section(s, `backend ${b}`)
        .filter((l) => l.startsWith('server '))
        .map((l) => l.split(' ')[1]);
    assert.deepEqual(
      names('db'),
      Array.from({ length: HA_DB_NODES }, (_, i) => `campus-db-${i + 1}`),
    );
    assert.deepEqual(
      names('redis'),
      Array.from({ length: HA_REDIS_NODES }, (_, i) => `campus-redis-${i + 1}`),
    );
    assert.deepEqual(
      names('cache'),
      Array.from({ length: HA_REDIS_NODES }, (_, i) => `campus-cache-${i + 1}`),
    );
    assert.ok(f.content.includes(`AUTH ${SECRETS['redis-password']}\\r\\n`), f.content);
  });
});
