// How full the two Redis servers are, asked of each running member (`status` shows it). The
// sessions' server never evicts: when it is full, Redis refuses the write of a new session and
// students cannot log in. So its primary's line also counts the sessions, measures a sample of them
// (MEMORY USAGE) and says about how many more fit at that size. Moodle's session caches live in
// the session, so a session grows with what its user opened (a student after a dashboard, a course
// and a forum: about 10 KB). The caches' server evicts its least recently used keys (a miss is
// rebuilt from the database): its line says how full it is, nothing more.
import { ENV_CONTRACT } from '../contract/env.ts';
import { keyValues } from '../util/key-values.ts';
import type { ClusterRuntime, ExecResult, Member } from './cluster.ts';

/** From this share of its memory on, a server that never evicts is flagged as nearly full. */
export const NEARLY_FULL = 0.8;

/** How many sessions are measured one by one (MEMORY USAGE each) for the mean size. */
export const SESSION_SAMPLE = 50;

export interface SessionCount {
  readonly count: number;
  /** Mean MEMORY USAGE of the sampled session records, bytes; 0 when there is none. */
  readonly meanBytes: number;
  readonly sampled: number;
}

export interface RedisUsage {
  readonly member: string;
  readonly holds: 'sessions' | 'caches';
  /** INFO replication's role ("master", "slave"); "?" when it did not say. */
  readonly role: string;
  readonly usedBytes: number;
  /** maxmemory; 0 is no limit. */
  readonly maxBytes: number;
  readonly policy: string;
  /** The sessions (the sessions' primary only). */
  readonly sessions?: SessionCount;
  /** Why the member could not be read; the figures are then 0. */
  readonly error?: string;
}

/** The sessions' records: Moodle's `<prefix>_sess_session_<sid>` (their lock keys end in .lock). */
export function sessionKeyPattern(prefix = redisPrefixDefault()): string {
  return `${prefix}_sess_session_*`;
}

function redisPrefixDefault(): string {
  const v = ENV_CONTRACT.find((e) => e.name === 'MOODLE_REDIS_PREFIX')?.default;
  if (!v) throw new Error('the env contract has no default for MOODLE_REDIS_PREFIX');
  return v;
}

/**
 * Run in a Redis member as `sh -c SCRIPT sh PATTERN`: INFO's memory and role lines; with a pattern,
 * on a primary, the count of the keys it matches and MEMORY USAGE of the first SESSION_SAMPLE.
 * SCAN walks the keys in steps, so it never blocks the server the way KEYS would.
 */
export const REDIS_USAGE_SCRIPT = String.raw`REDISCLI_AUTH="$(cat "$REDIS_PASSWORD_FILE")"; export REDISCLI_AUTH
m=$(redis-cli info memory 2>&1)
printf '%s\n' "$m" | grep -E '^(used_memory|maxmemory|maxmemory_policy):' || { printf '%s\n' "$m" | tail -n 1; exit 1; }
role=$(redis-cli info replication | grep '^role:' | tr -d '\r')
echo "$role"
[ -n "$1" ] && [ "$role" = role:master ] || exit 0
echo "sessions:$(redis-cli --scan --pattern "$1" | grep -vc '[.]lock$')"
redis-cli --scan --pattern "$1" | grep -v '[.]lock$' | head -n ${SESSION_SAMPLE} | while read -r k; do echo "sample:$(redis-cli memory usage "$k")"; done`;

/** Reads a member's answer to REDIS_USAGE_SCRIPT. */
export function parseRedisUsage(member: string, holds: RedisUsage['holds'], r: ExecResult): RedisUsage {
  const kv = keyValues(r.output);
  if (r.code !== 0 || kv.used_memory === undefined) {
    const said = r.output.trim().split('\n').pop()?.slice(0, 160) || `exit ${r.code}, no answer`;
    return { member, holds, role: '?', usedBytes: 0, maxBytes: 0, policy: '?', error: said };
  }
  const samples = r.output
    .split('\n')
    .map((l) => /^sample:(\d+)\s*$/.exec(l.trim())?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number);
  const usage: RedisUsage = {
    member,
    holds,
    role: kv.role ?? '?',
    usedBytes: Number(kv.used_memory),
    maxBytes: Number(kv.maxmemory ?? 0),
    policy: kv.maxmemory_policy ?? '?',
  };
  if (kv.sessions === undefined) return usage;
  const meanBytes = samples.length ? Math.round(samples.reduce((a, b) => a + b, 0) / samples.length) : 0;
  return { ...usage, sessions: { count: Number(kv.sessions), meanBytes, sampled: samples.length } };
}

/** Each running member of the sessions' Redis, then of the caches', among `members` (as status listed them), asked at the same time. */
export async function redisUsage(runtime: Pick<ClusterRuntime, 'exec'>, members: readonly Member[]): Promise<RedisUsage[]> {
  const running = (service: Member['service']) => members.filter((m) => m.running && m.service === service);
  const redis = [...running('redis'), ...running('cache')];
  return Promise.all(
    redis.map(async (m) => {
      const holds = m.service === 'redis' ? 'sessions' : 'caches';
      const args = holds === 'sessions' ? [sessionKeyPattern()] : [];
      const r = await runtime.exec(m.name, ['sh', '-c', REDIS_USAGE_SCRIPT, 'sh', ...args]).catch((e: Error) => ({ code: -1, output: e.message }));
      return parseRedisUsage(m.name, holds, r);
    }),
  );
}

/** How many more sessions of the sampled mean size fit in what is left; undefined when that cannot be said. */
export function sessionsRoom(u: RedisUsage): number | undefined {
  if (!u.sessions || u.sessions.meanBytes <= 0 || u.maxBytes <= 0) return undefined;
  return Math.max(0, Math.floor((u.maxBytes - u.usedBytes) / u.sessions.meanBytes));
}

/** One line of `status`: "sessions  1.9 MiB of 256 MiB (0.7 %), never evicts; 214 sessions, ...". */
export function describeRedisUsage(u: RedisUsage): string {
  const what = (u.role === 'slave' ? `${u.holds} (replica)` : u.holds).padEnd('sessions (replica)'.length);
  if (u.error) return `${what}  unreadable: ${u.error}`;
  const share = u.maxBytes > 0 ? ` (${((100 * u.usedBytes) / u.maxBytes).toFixed(1)} %)` : '';
  const size = `${mib(u.usedBytes)} of ${u.maxBytes > 0 ? mib(u.maxBytes) : 'no limit'}${share}`;
  if (u.holds === 'caches') return `${what}  ${size}, ${u.policy === 'noeviction' ? 'never evicts' : `evicts (${u.policy}; a miss is rebuilt)`}`;
  const evicts = u.policy === 'noeviction' ? 'never evicts (full: new sessions are refused)' : `evicts (${u.policy}: users are logged out)`;
  const warn =
    u.policy === 'noeviction' && u.maxBytes > 0 && u.usedBytes >= NEARLY_FULL * u.maxBytes
      ? `; NEARLY FULL: past ${100 * NEARLY_FULL} % (raise redis.sessionsMemory in the spec, then up)`
      : '';
  if (!u.sessions) return `${what}  ${size}, ${evicts}${warn}`;
  const { count, meanBytes, sampled } = u.sessions;
  if (count === 0 || sampled === 0) return `${what}  ${size}, ${evicts}; ${count} sessions${warn}`;
  const room = sessionsRoom(u);
  const fits = room === undefined ? '' : `: room for about ${roughly(room)} more`;
  return `${what}  ${size}, ${evicts}; ${count} sessions, ${(meanBytes / 1024).toFixed(1)} KiB each (mean of ${sampled})${fits}${warn}`;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MiB`;
}

/** Two significant figures, with thousands separators: an estimate, not a count. */
export function roughly(n: number): string {
  if (n < 100) return String(n);
  const p = 10 ** (Math.floor(Math.log10(n)) - 1);
  return (Math.round(n / p) * p).toLocaleString('en-US');
}
