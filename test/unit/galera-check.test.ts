// images/mariadb/galera-check, the endpoints' health of a Galera member: the one long-lived server
// on :9200, run by perl with a stand-in DBI module (first on PERL5LIB) that answers from files the
// test writes, so the server's own HTTP and connection handling are what is tested. The real states
// come up in the ha tier (data-roll.test: a member donating an IST in a roll).
// images/mariadb/health.sh, the container's health check, asks the same server.
// images/mariadb/galera.sh's wait for the eviction of a crashed member asks it too (GET /size).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../support/ports.ts';
import { tempDir } from '../support/temp.ts';

const IMAGE = join(import.meta.dirname, '..', '..', 'images', 'mariadb');

// DBI as galera-check uses it: connects and queries fail while `down` exists (the server is gone),
// and each connect is counted in `connects`; the next query fails once when `broken` exists (a kept
// connection the server dropped); otherwise a query answers the `status` file's "NAME VALUE" lines.
const FAKE_DBI = `package DBI;
my $dir = $ENV{FAKE_DB_DIR};
sub connect { open(my $c, '>>', "$dir/connects"); print $c "1\\n"; close $c; return -e "$dir/down" ? undef : bless({}, 'DBI::db'); }
package DBI::db;
sub selectall_arrayref {
  return undef if -e "$dir/down";
  if (-e "$dir/broken") { unlink "$dir/broken"; return undef; }
  open(my $f, '<', "$dir/status") or return [];
  return [map { chomp; [split / /, $_, 2] } <$f>];
}
sub disconnect {}
1;
`;

const dir = tempDir('galera-check-');
writeFileSync(join(dir, 'DBI.pm'), FAKE_DBI);
let server: ChildProcess;
let port = 0;

/**
 * The server's whole answer to the raw bytes `request` (HAProxy's check sends `GET <path> HTTP/1.0`),
 * or to what `send` writes on the connection (nothing: a silent client).
 */
function ask(request: string | ((s: Socket) => void)): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const s = connect(port, '127.0.0.1', () => (typeof request === 'string' ? s.write(request) : request(s)));
    s.setEncoding('utf8');
    s.on('data', (d) => (out += d));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

const status = async (path: string) => (await ask(`GET ${path} HTTP/1.0\r\n\r\n`)).split('\r\n')[0];
/** The server reports this cluster status, local state and cluster size. */
function serverSays(cluster: string, state: number, size = 3): void {
  writeFileSync(join(dir, 'status'), `wsrep_cluster_status ${cluster}\nwsrep_local_state ${state}\nwsrep_cluster_size ${size}\n`);
}
const connects = () => readFileSync(join(dir, 'connects'), 'utf8').split('\n').filter(Boolean).length;

const OK = 'HTTP/1.1 200 OK';
const DOWN = 'HTTP/1.1 503 Service Unavailable';

before(async () => {
  port = await freePort();
  serverSays('Primary', 4);
  server = spawn('perl', [join(IMAGE, 'galera-check')], {
    env: { ...process.env, PERL5LIB: dir, FAKE_DB_DIR: dir, GALERA_CHECK_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; ; i++) {
    try {
      await ask('GET / HTTP/1.0\r\n\r\n');
      break;
    } catch (e) {
      if (i > 100 || server.exitCode !== null) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
});
after(() => {
  server.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('galera-check', () => {
  test('Synced in the primary component: the writer and the reader both count it', async () => {
    serverSays('Primary', 4);
    assert.equal(await status('/'), OK);
    assert.equal(await status('/reader'), OK);
  });
  test('a donor (Donor/Desynced): still a reader, never the writer', async () => {
    serverSays('Primary', 2);
    assert.equal(await status('/reader'), OK);
    assert.equal(await status('/'), DOWN);
  });
  test('joining, joined, or outside the primary component: neither', async () => {
    for (const [cluster, state] of [
      ['Primary', 1],
      ['Primary', 3],
      ['non-Primary', 4],
      ['non-Primary', 2],
    ] as const) {
      serverSays(cluster, state);
      assert.equal(await status('/'), DOWN, `${cluster} ${state}`);
      assert.equal(await status('/reader'), DOWN, `${cluster} ${state}`);
    }
  });
  test('one kept connection to the server for every check, not one client per check', async () => {
    serverSays('Primary', 4);
    const before = connects();
    for (let i = 0; i < 20; i++) assert.equal(await status(i % 2 ? '/' : '/reader'), OK);
    assert.equal(connects(), before, 'the checks opened new connections');
  });
  test('a server that does not answer: neither; back as soon as it answers again', async () => {
    serverSays('Primary', 4);
    writeFileSync(join(dir, 'down'), '');
    assert.equal(await status('/'), DOWN);
    assert.equal(await status('/reader'), DOWN);
    rmSync(join(dir, 'down'));
    assert.equal(await status('/'), OK);
  });
  test('a kept connection that broke (the server restarted) is replaced within the same check', async () => {
    serverSays('Primary', 4);
    const before = connects();
    writeFileSync(join(dir, 'broken'), '');
    assert.equal(await status('/'), OK);
    assert.equal(connects(), before + 1);
  });
  test('a client that sends its request in pieces, and one that sends none within 3 s (answered as the writer)', async () => {
    serverSays('Primary', 2);
    const pieces = await ask((s) => {
      s.write('GET /rea');
      setTimeout(() => s.write('der HTTP/1.0\r\n\r\n'), 100);
    });
    assert.equal(pieces.split('\r\n')[0], OK);
    const t0 = Date.now();
    const silent = await ask(() => undefined);
    assert.equal(silent.split('\r\n')[0], DOWN, 'a donor is not the writer');
    assert.ok(Date.now() - t0 >= 2900, `answered after ${Date.now() - t0} ms`);
  });
  test("GET /size: the number of members in this node's view, for a crashed member that waits for its eviction (galera.sh)", async () => {
    const sized = async () => {
      const [head, body] = (await ask('GET /size HTTP/1.0\r\n\r\n')).split('\r\n\r\n');
      assert.match(head!, /^HTTP\/1\.1 200 OK\r\n/);
      assert.equal(Number(/Content-Length: (\d+)/.exec(head!)?.[1]), Buffer.byteLength(body!), "Content-Length is the body's");
      return body!.trim();
    };
    serverSays('Primary', 4, 3);
    assert.equal(await sized(), '3');
    serverSays('Primary', 4, 2);
    assert.equal(await sized(), '2');
    writeFileSync(join(dir, 'down'), '');
    assert.equal(await sized(), '0', 'a server that does not answer counts nobody');
    rmSync(join(dir, 'down'));
  });
  test("health.sh (the container's health check) asks it for the writer's answer: Synced only", () => {
    const health = () =>
      spawnSync('bash', [join(IMAGE, 'health.sh')], { env: { ...process.env, GALERA_PEERS: 'db-1,db-2,db-3', GALERA_CHECK_PORT: String(port) } }).status;
    serverSays('Primary', 4);
    assert.equal(health(), 0);
    serverSays('Primary', 2);
    assert.equal(health(), 1);
  });
});

// galera.sh's wait_for_eviction, sourced as the entrypoint sources it (set -euo pipefail): a member
// started after a crash asks each peer's galera-check for its view, and joins once no view counts
// every member. `hostname` is this machine's, so it is left out of the peers asked, as a member is.
describe('galera.sh: waiting for the eviction after a crash', () => {
  const waitForEviction = (peers: string, checkPort: number) =>
    spawnSync('bash', ['-c', 'set -euo pipefail; source "$1"; crashed=1; wait_for_eviction; echo "went on"', '_', join(IMAGE, 'galera.sh')], {
      env: { ...process.env, GALERA_PEERS: peers, GALERA_CHECK_PORT: String(checkPort) },
      encoding: 'utf8',
      timeout: 30_000,
    });
  const self = spawnSync('hostname', { encoding: 'utf8' }).stdout.trim();
  test('a peer whose view no longer counts this node: it goes on at once', () => {
    serverSays('Primary', 4, 1);
    const r = waitForEviction(`127.0.0.1,${self}`, port);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /went on/);
    // What makes it "at once" is the peer's answer: its view counts 1 of 2, so the first pass goes on.
    // That pass says 0 s, or 1 s when begun just before bash's whole-second SECONDS ticks over (CI,
    // a busy 2-core machine); a wait for the eviction would have said 15 s.
    assert.match(r.stderr, /a view of 1 of 2\) after [01] s/);
  });
  test('a peer that refuses the connection counts as evicted: the start goes on (under set -e it ended the entrypoint, and Docker started it again)', async () => {
    const r = waitForEviction(`127.0.0.1,${self}`, await freePort());
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /went on/);
    assert.match(r.stderr, /a view of 0 of 2/);
  });
});
