// The service images of the local cluster: MariaDB creates its database and user from a password
// file and lets that user (only) in over the network; Redis requires AUTH with the password from
// its file. Clients run in other containers on the test network, using each image's own client.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SERVICE_UIDS } from '../../src/image/service-images.ts';
import { putFiles, readFileFrom, serviceImage, TestSession, type ContainerOptions, type StartedContainer } from '../support/containers.ts';

const session = new TestSession();
let network: string;
let mariadbImage: string;
let redisImage: string;
let db: StartedContainer;
let redis: StartedContainer;
// As src/local/secrets.ts makes them (base64url), plus characters the entrypoints must quote:
// the server must hold exactly the file's content.
const TRICKY = `'"\\ $x`;
const DB_PASSWORD = `${randomBytes(18).toString('base64url')}${TRICKY}`;
const REDIS_PASSWORD = `${randomBytes(18).toString('base64url')}${TRICKY}`;
const SECRETS = '/run/secrets';

/** uid of a user in an image, from its /etc/passwd (read out of a created container). */
async function uidOf(c: StartedContainer, user: string): Promise<number> {
  const passwd = (await readFileFrom(c.container, '/etc/passwd')).toString();
  const line = passwd.split('\n').find((l) => l.startsWith(`${user}:`));
  assert.ok(line, `no user ${user} in the image's /etc/passwd`);
  return Number(line.split(':')[2]);
}

/** Creates a service container with its password file (mode 0400, owned by `user`), then starts it. */
async function startWithSecret(o: ContainerOptions, user: string, file: string, secret: string): Promise<{ c: StartedContainer; uid: number }> {
  const c = await session.create(o);
  const uid = await uidOf(c, user);
  await putFiles(c.container, SECRETS, [{ path: file, content: `${secret}\n`, mode: 0o400, uid }]);
  await c.container.start();
  return { c, uid };
}

before(
  async () => {
    [mariadbImage, redisImage] = await Promise.all([serviceImage('mariadb'), serviceImage('redis')]);
    network = await session.network();
    const started = await Promise.all([
      startWithSecret(
        {
          image: mariadbImage,
          role: 'db',
          network,
          aliases: ['db'],
          env: { MARIADB_DATABASE: 'moodle', MARIADB_USER: 'moodle', MARIADB_PASSWORD_FILE: `${SECRETS}/db-password` },
        },
        'mysql',
        'db-password',
        DB_PASSWORD,
      ),
      startWithSecret(
        { image: redisImage, role: 'redis', network, aliases: ['redis'], env: { REDIS_PASSWORD_FILE: `${SECRETS}/redis-password` } },
        'redis',
        'redis-password',
        REDIS_PASSWORD,
      ),
    ]);
    db = started[0].c;
    redis = started[1].c;
    assert.equal(started[0].uid, SERVICE_UIDS.mariadb, 'the mysql uid must be the one moodle-ha gives files it puts in');
    assert.equal(started[1].uid, SERVICE_UIDS.redis, 'the redis uid must be the one moodle-ha gives files it puts in');
    await Promise.all([db.waitForHealthy(150_000), redis.waitForHealthy(60_000)]);
  },
  { timeout: 20 * 60_000 },
);

after(() => session.cleanup(), { timeout: 120_000 });

let n = 0;
/** Runs the MariaDB client in another container on the network. */
function mariadb(user: string, password: string, sql: string) {
  return session.run(
    {
      image: mariadbImage,
      role: `sql${++n}`,
      network,
      entrypoint: ['mariadb'],
      cmd: ['-h', 'db', '-u', user, `--password=${password}`, '-N', '-B', '-e', sql],
    },
    30_000,
  );
}

function redisCli(args: string[], password?: string) {
  return session.run(
    {
      image: redisImage,
      role: `cli${++n}`,
      network,
      entrypoint: ['redis-cli'],
      cmd: ['-h', 'redis', ...args],
      env: password ? { REDISCLI_AUTH: password } : {},
    },
    30_000,
  );
}

describe('mariadb image', () => {
  test('first start created the database and user', async () => {
    await db.waitForLog(/mariadb: database moodle and user moodle created/, 5000);
  });
  test('the user logs in over the network, with utf8mb4, and can create tables in its database', async () => {
    const sql =
      "USE moodle; SELECT CURRENT_USER(), DATABASE(), @@character_set_database, @@collation_database; CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(20)) ENGINE=InnoDB; INSERT INTO t VALUES (1, 'ü😀'); SELECT s FROM t; DROP TABLE t;";
    const r = await mariadb('moodle', DB_PASSWORD, sql);
    assert.equal(r.exitCode, 0, r.stderr);
    const [row, s] = r.stdout.trim().split('\n');
    assert.deepEqual(row?.split('\t'), ['moodle@%', 'moodle', 'utf8mb4', 'utf8mb4_unicode_ci']);
    assert.equal(s, 'ü😀');
  });
  test('a wrong password is refused', async () => {
    const r = await mariadb('moodle', `${DB_PASSWORD}x`, 'SELECT 1');
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /Access denied for user 'moodle'/);
  });
  test('root cannot log in over the network (socket only)', async () => {
    const r = await mariadb('root', '', 'SELECT 1');
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /Access denied for user 'root'/);
  });
  test('the user has no rights outside its database', async () => {
    const r = await mariadb('moodle', DB_PASSWORD, 'CREATE DATABASE other');
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /Access denied for user 'moodle'@'%' to database 'other'/);
  });
  test('a password file the server user cannot read stops the container with a message', async () => {
    const c = await session.create({
      image: mariadbImage,
      role: 'db-unreadable',
      env: { MARIADB_DATABASE: 'moodle', MARIADB_USER: 'moodle', MARIADB_PASSWORD_FILE: `${SECRETS}/db-password` },
    });
    await putFiles(c.container, SECRETS, [{ path: 'db-password', content: 'x\n', mode: 0o400, uid: 0 }]);
    await c.container.start();
    assert.equal(await c.waitForExit(30_000), 78);
    assert.match((await c.logs()).stderr, /mariadb: cannot read \/run\/secrets\/db-password/);
  });
});

describe('redis image', () => {
  test('without AUTH, commands are refused', async () => {
    const r = await redisCli(['ping']);
    assert.match(r.stdout + r.stderr, /NOAUTH Authentication required/);
    assert.doesNotMatch(r.stdout, /PONG/);
  });
  test('with the password from the file, PING answers PONG and data round-trips', async () => {
    assert.equal((await redisCli(['ping'], REDIS_PASSWORD)).stdout.trim(), 'PONG');
    assert.equal((await redisCli(['set', `k-${session.id}`, 'v1'], REDIS_PASSWORD)).stdout.trim(), 'OK');
    assert.equal((await redisCli(['get', `k-${session.id}`], REDIS_PASSWORD)).stdout.trim(), 'v1');
  });
  test('a wrong password is refused', async () => {
    const r = await redisCli(['ping'], `${REDIS_PASSWORD}x`);
    assert.match(r.stdout + r.stderr, /WRONGPASS|invalid username-password|AUTH failed/i);
    assert.doesNotMatch(r.stdout, /PONG/);
  });
  test("the health check (bash built-ins, no redis-cli) passes with the file's password and fails with a wrong one or none answering", async () => {
    const ok = await redis.exec(['/usr/local/bin/redis-health']);
    assert.equal(ok.exitCode, 0, ok.stdout + ok.stderr);
    const wrong = await redis.exec(['sh', '-c', `printf '%s' 'not-the-password' > /tmp/wrong && REDIS_PASSWORD_FILE=/tmp/wrong /usr/local/bin/redis-health`]);
    assert.equal(wrong.exitCode, 1, 'healthy with a wrong password');
    // A Sentinel's check asks port 26379, where nothing listens in a data node.
    const sentinel = await redis.exec(['sh', '-c', 'REDIS_SENTINEL_MONITOR=x /usr/local/bin/redis-health']);
    assert.equal(sentinel.exitCode, 1, 'healthy with nothing answering');
  });
  test('sessions survive a restart: append-only file on', async () => {
    assert.equal((await redisCli(['config', 'get', 'appendonly'], REDIS_PASSWORD)).stdout.trim().split('\n')[1], 'yes');
    assert.equal((await redisCli(['config', 'get', 'maxmemory-policy'], REDIS_PASSWORD)).stdout.trim().split('\n')[1], 'noeviction');
  });
});
