// How full the Redis servers are (src/runtime/redis-usage.ts), as `status` reads a member's answer:
// the sessions' server never evicts, so its line must say how many sessions there are and about how
// many more fit; a member that cannot be read says why instead of showing zeros as figures.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeRedisUsage, parseRedisUsage, redisUsage, roughly, sessionKeyPattern, sessionsRoom } from '../../../src/runtime/redis-usage.ts';
import type { ExecResult, Member } from '../../../src/runtime/cluster.ts';

const MiB = 1024 * 1024;
// As redis-cli prints INFO: CRLF line ends.
const info = (used: number, max: number, policy: string, role = 'master') =>
  `used_memory:${used}\r\nmaxmemory:${max}\r\nmaxmemory_policy:${policy}\r\nrole:${role}\r\n`;

describe("a Redis member's usage", () => {
  test("the sessions' primary: memory, policy, the count and the sampled sizes' mean", () => {
    const out = `${info(4 * MiB, 256 * MiB, 'noeviction')}sessions:1109\nsample:9992\nsample:3080\nsample:\nsample:2158\n`;
    const u = parseRedisUsage('moodle-redis', 'sessions', { code: 0, output: out });
    // A key that expired between SCAN and MEMORY USAGE prints nothing: it is not a sample.
    assert.deepEqual(u, {
      member: 'moodle-redis',
      holds: 'sessions',
      role: 'master',
      usedBytes: 4 * MiB,
      maxBytes: 256 * MiB,
      policy: 'noeviction',
      sessions: { count: 1109, meanBytes: 5077, sampled: 3 },
    });
    assert.equal(sessionsRoom(u), Math.floor((252 * MiB) / 5077));
    assert.equal(
      describeRedisUsage(u),
      'sessions            4 MiB of 256 MiB (1.6 %), never evicts (full: new sessions are refused); 1109 sessions, 5.0 KiB each (mean of 3): room for about 52,000 more',
    );
  });

  test('the caches: how full, and that they evict; no session count', () => {
    const u = parseRedisUsage('moodle-cache', 'caches', { code: 0, output: info(8323792, 256 * MiB, 'allkeys-lru') });
    assert.equal(u.sessions, undefined);
    assert.equal(describeRedisUsage(u), 'caches              7.9 MiB of 256 MiB (3.1 %), evicts (allkeys-lru; a miss is rebuilt)');
  });

  test('a replica says so and counts nothing (the script counts on the primary only)', () => {
    const u = parseRedisUsage('moodle-redis-2', 'sessions', { code: 0, output: info(4 * MiB, 256 * MiB, 'noeviction', 'slave') });
    assert.equal(u.role, 'slave');
    assert.match(describeRedisUsage(u), /^sessions \(replica\) {2}4 MiB of 256 MiB \(1\.6 %\), never evicts/);
  });

  test('no limit set: no share and no room, rather than a division by zero', () => {
    const u = parseRedisUsage('r', 'sessions', { code: 0, output: `${info(2 * MiB, 0, 'noeviction')}sessions:2\nsample:4096\n` });
    assert.equal(sessionsRoom(u), undefined);
    assert.equal(
      describeRedisUsage(u),
      'sessions            2 MiB of no limit, never evicts (full: new sessions are refused); 2 sessions, 4.0 KiB each (mean of 1)',
    );
  });

  test("past 80 % the sessions' server is flagged: full, it refuses new logins", () => {
    const u = parseRedisUsage('r', 'sessions', { code: 0, output: `${info(210 * MiB, 256 * MiB, 'noeviction')}sessions:21000\nsample:10240\n` });
    assert.match(describeRedisUsage(u), /room for about 4,700 more; NEARLY FULL: past 80 % \(raise redis\.sessionsMemory in the spec, then up\)$/);
    const below = parseRedisUsage('r', 'sessions', { code: 0, output: `${info(200 * MiB, 256 * MiB, 'noeviction')}sessions:0\n` });
    assert.equal(describeRedisUsage(below), 'sessions            200 MiB of 256 MiB (78.1 %), never evicts (full: new sessions are refused); 0 sessions');
  });

  test('a member that cannot be read says what it printed, not zeros', () => {
    const u = parseRedisUsage('moodle-cache', 'caches', { code: 1, output: 'AUTH failed: WRONGPASS invalid username-password pair or user is disabled.\n' });
    assert.match(u.error ?? '', /WRONGPASS/);
    assert.equal(describeRedisUsage(u), 'caches              unreadable: AUTH failed: WRONGPASS invalid username-password pair or user is disabled.');
    assert.equal(parseRedisUsage('x', 'caches', { code: 137, output: '' }).error, 'exit 137, no answer');
  });

  test('roughly: two significant figures', () => {
    assert.deepEqual([0, 99, 123, 86_117, 1_234_567].map(roughly), ['0', '99', '120', '86,000', '1,200,000']);
  });
});

describe('redisUsage asks each running Redis member', () => {
  test("the sessions' members first, with the sessions' key pattern, then the caches' without; stopped members and other services not at all", async () => {
    const member = (name: string, service: Member['service'], running = true): Member => ({
      name,
      service,
      running,
      state: running ? 'running' : 'exited',
      health: '-',
    });
    const asked: Array<{ name: string; argv: readonly string[] }> = [];
    // As status lists them, by name: the caches' member before the sessions'. The sessions' come first all the same.
    const members = [
      member('c-cache-1', 'cache'),
      member('c-db', 'db'),
      member('c-redis-1', 'redis'),
      member('c-redis-2', 'redis', false),
      member('c-web-1', 'web'),
    ];
    const runtime = {
      exec: async (name: string, argv: readonly string[]): Promise<ExecResult> => {
        asked.push({ name, argv });
        if (name === 'c-cache-1') throw new Error('container c-cache-1 is gone');
        return { code: 0, output: `${info(MiB, 256 * MiB, 'noeviction')}sessions:1\nsample:2048\n` };
      },
    };
    const u = await redisUsage(runtime, members);
    assert.deepEqual(
      asked.map((a) => [a.name, a.argv.slice(3)]),
      [
        ['c-redis-1', ['sh', sessionKeyPattern()]],
        ['c-cache-1', ['sh']],
      ],
    );
    assert.equal(sessionKeyPattern(), 'mdl_sess_session_*');
    assert.deepEqual(u[0]!.sessions, { count: 1, meanBytes: 2048, sampled: 1 });
    assert.equal(u[1]!.error, 'container c-cache-1 is gone');
  });
});
