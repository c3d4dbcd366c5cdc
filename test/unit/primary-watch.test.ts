// images/redis/primary-watch, run by perl against stand-in Redis and Sentinels (test/support/fake-resp.ts):
// a running Redis primary that a majority of the Sentinels no longer names becomes a replica at
// once, and when it is left alone. The watch speaks RESP itself over kept connections.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ContainerSpec } from '../../src/local/containers.ts';
import { redisContainers } from '../../src/local/data-services.ts';
import { PLANNED_FAILOVER_FILE } from '../../src/local/roll-data-docker.ts';
import { fakeResp, type Resp } from '../support/fake-resp.ts';
import { freePort } from '../support/ports.ts';
import { tempDir } from '../support/temp.ts';
import { haSpec, SECRETS, TAGS } from './local/fixtures.ts';

const IMAGES = join(import.meta.dirname, '..', '..', 'images');
const SCRIPT = join(IMAGES, 'redis', 'primary-watch');
const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

/** What a Sentinel says: the primary it names, "host|flags" for its own flags; 'hang' accepts and never answers. */
type SentinelSays = string | undefined;

interface Watch {
  readonly target: string;
  readonly message: string;
  /** Connections each server saw: self, then the Sentinels in order. */
  readonly connections: readonly number[];
  /** ROLE questions its Redis was asked: one per pass. */
  readonly passes: number;
}

async function serve(handler: (args: string[]) => Resp | undefined, count: { n: number }): Promise<number> {
  const { server, port } = await fakeResp(handler);
  server.on('connection', () => count.n++);
  servers.push(server);
  return port;
}

/**
 * primary-watch as data node `c`, whose Redis says `role`, with each Sentinel naming a primary
 * (undefined: that Sentinel does not answer). One pass, or `forMs` of passes. Returns the REPLICAOF
 * target it issued ('' for none), what it said, and the connections each server saw.
 */
async function watch(
  c: ContainerSpec,
  role: string,
  sentinels: Record<string, SentinelSays>,
  opts: { flags?: string; plannedSecondsAgo?: number; forMs?: number } = {},
): Promise<Watch> {
  const root = tempDir('redis-watch-');
  if (opts.plannedSecondsAgo !== undefined) writeFileSync(join(root, 'planned'), `${Math.floor(Date.now() / 1000) - opts.plannedSecondsAgo}\n`);
  writeFileSync(join(root, 'pw'), 'secret\n');
  let target = '';
  const counts = [{ n: 0 }, ...Object.keys(sentinels).map(() => ({ n: 0 }))];
  let authed = false;
  let passes = 0;
  const self = await serve((args) => {
    const cmd = args[0]!.toUpperCase();
    if (cmd === 'AUTH') {
      authed = args[1] === 'secret';
      return authed ? { ok: 'OK' } : { error: 'WRONGPASS' };
    }
    if (!authed) return { error: 'NOAUTH Authentication required.' };
    if (cmd === 'ROLE') {
      passes++;
      return [role, 0, []];
    }
    if (cmd === 'REPLICAOF') {
      target = args[1]!;
      return { ok: 'OK' };
    }
    return { error: `ERR unknown command '${cmd}'` };
  }, counts[0]!);
  const addrs: string[] = [];
  for (const [i, says] of Object.values(sentinels).entries()) {
    if (says === undefined) {
      addrs.push(`127.0.0.1:${await freePort()}`);
      continue;
    }
    const [primary, flags] = [says.split('|')[0]!, says.split('|')[1] ?? opts.flags ?? 'master'];
    const port = await serve(
      (args) => {
        if (says === 'hang') return undefined;
        if (args[0]!.toUpperCase() !== 'SENTINEL') return { error: 'ERR unknown command' };
        if (args[1] === 'get-master-addr-by-name') return args[2] === c.env!.REDIS_SENTINEL_GROUP ? [primary, '6379'] : null;
        if (args[1] === 'master') return ['name', args[2]!, 'ip', primary, 'flags', flags];
        return { error: 'ERR unknown subcommand' };
      },
      counts[i + 1]!,
    );
    addrs.push(`127.0.0.1:${port}`);
  }
  const env = {
    ...process.env,
    ...c.env,
    REDIS_SENTINELS: addrs.join(','),
    REDIS_WATCH_SELF: `127.0.0.1:${self}`,
    REDIS_WATCH_NAME: c.name,
    REDIS_PASSWORD_FILE: join(root, 'pw'),
    REDIS_PLANNED_FAILOVER_FILE: join(root, 'planned'),
    WATCH_ONCE: opts.forMs ? '0' : '1',
  };
  const p = spawn('perl', [SCRIPT], { env });
  let message = '';
  p.stderr.setEncoding('utf8').on('data', (d: string) => (message += d));
  const timer = opts.forMs ? setTimeout(() => p.kill(), opts.forMs) : setTimeout(() => p.kill('SIGKILL'), 10_000);
  const code = await new Promise<number | null>((resolve) => p.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  if (!opts.forMs) assert.equal(code, 0, `primary-watch of ${c.name} failed: ${message}`);
  return { target, message: message.trim(), connections: counts.map((x) => x.n), passes };
}

describe('ha: a running Redis primary that a majority of the Sentinels no longer names becomes a replica at once', () => {
  const all = new Map(redisContainers(haSpec(), TAGS, SECRETS).map((c) => [c.name, c]));
  const redis1 = all.get('campus-redis-1')!;
  const redis2 = all.get('campus-redis-2')!;
  const s = (a?: SentinelSays, b?: SentinelSays, c?: SentinelSays) => ({ 'campus-sentinel-1': a, 'campus-sentinel-2': b, 'campus-sentinel-3': c });
  const all3 = s('campus-redis-2', 'campus-redis-2', 'campus-redis-2');
  test('a stalled primary whose replica was promoted meanwhile: REPLICAOF the promoted node', async () => {
    const r = await watch(redis1, 'master', all3);
    assert.equal(r.target, 'campus-redis-2');
    assert.match(r.message, /3 Sentinels name campus-redis-2 as the primary of group primary: becoming its replica/);
  });
  test('two of three Sentinels (the quorum) are enough; one is not', async () => {
    assert.equal((await watch(redis1, 'master', s('campus-redis-2', 'campus-redis-2', undefined))).target, 'campus-redis-2');
    assert.equal((await watch(redis1, 'master', s('campus-redis-2', 'campus-redis-1', 'campus-redis-1'))).target, '');
    assert.equal((await watch(redis1, 'master', s('campus-redis-2', undefined, undefined))).target, '');
  });
  test('a Sentinel that accepts but never answers (paused) costs the pass at most its 1 s and does not count', async () => {
    const t0 = Date.now();
    assert.equal((await watch(redis1, 'master', s('campus-redis-2', 'hang', 'campus-redis-2'))).target, 'campus-redis-2');
    assert.ok(Date.now() - t0 < 4000, `the pass took ${Date.now() - t0} ms`);
    assert.equal((await watch(redis1, 'master', s('campus-redis-2', 'hang', 'hang'))).target, '');
  });
  test('left alone while the named primary is flagged down or failing over (a failover in flight may be promoting this node)', async () => {
    assert.equal((await watch(redis1, 'master', all3, { flags: 'master,s_down,o_down,failover_in_progress' })).target, '');
    assert.equal((await watch(redis1, 'master', all3, { flags: 'master,s_down' })).target, '');
  });
  test('left alone while any Sentinel names this node: a failover asked for (SENTINEL FAILOVER) has just promoted it, and the others, still naming the old primary, have not heard yet', async () => {
    assert.equal((await watch(redis2, 'master', s('campus-redis-2', 'campus-redis-1', 'campus-redis-1'))).target, '');
    assert.equal((await watch(redis2, 'master', s('campus-redis-1', 'campus-redis-1', 'campus-redis-1'))).target, 'campus-redis-1');
  });
  test('left alone while any Sentinel flags the primary it names as failing over: the leader, from the promotion until it names the promoted node', async () => {
    assert.equal((await watch(redis2, 'master', s('campus-redis-1|master,failover_in_progress', 'campus-redis-1', 'campus-redis-1'))).target, '');
  });
  test('left alone while the rolling restart fails it over (its mark under 60 s old): the roll moves the endpoint first, then demotes it', async () => {
    assert.equal((await watch(redis1, 'master', all3, { plannedSecondsAgo: 2 })).target, '');
    assert.equal((await watch(redis1, 'master', all3, { plannedSecondsAgo: 70 })).target, 'campus-redis-2', 'a mark left by an interrupted roll');
    assert.ok(readFileSync(SCRIPT, 'utf8').includes(`'${PLANNED_FAILOVER_FILE}'`), 'the watch reads the file the roll writes');
  });
  test('left alone: the Sentinels name this node, none answers, or it is already a replica', async () => {
    assert.equal((await watch(redis1, 'master', s('campus-redis-1', 'campus-redis-1', 'campus-redis-1'))).target, '');
    assert.equal((await watch(redis1, 'master', s())).target, '');
    assert.equal((await watch(redis1, 'slave', all3)).target, '');
  });
  test('every 0.5 s over one kept connection to its Redis and to each Sentinel, not a client per question', async () => {
    // Sentinels that name this node: each pass asks every one of them, and nothing is changed.
    const r = await watch(redis1, 'master', s('campus-redis-1', 'campus-redis-1', 'campus-redis-1'), { forMs: 1800 });
    assert.equal(r.target, '');
    assert.ok(r.passes >= 3 && r.passes <= 4, `${r.passes} passes in 1.8 s`);
    assert.deepEqual(r.connections, [1, 1, 1, 1]);
  });
  test('the image installs the watcher and the entrypoint starts it only for Sentinel-watched nodes', () => {
    assert.match(readFileSync(join(IMAGES, 'redis', 'Dockerfile'), 'utf8'), /COPY primary-watch \/usr\/local\/bin\/redis-primary-watch/);
    assert.match(
      readFileSync(join(IMAGES, 'redis', 'entrypoint.sh'), 'utf8'),
      /if \[ -n "\$\{REDIS_SENTINELS:-\}" \] && \[ -x \/usr\/local\/bin\/redis-primary-watch \]/,
    );
  });
});
