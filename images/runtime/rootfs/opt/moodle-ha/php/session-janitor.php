<?php
// Removes orphaned Moodle session locks (why they happen: session.php). Two modes:
//
//   php session-janitor.php watch
//     Runs in the cron container (one per cluster) next to cron. Every second it asks the Redis
//     endpoint who it is (run_id, master_replid). When that changes, the primary failed over or
//     restarted: every lock made before the change belongs to a request whose connection broke
//     with the old primary, so those are removed (locks made since, on the new primary, stay).
//     Every second it also removes locks older than 2 s whose holder node no longer answers on the
//     web port (a node killed mid-request). A user's next request waits on that lock, and the drills
//     count a request slower than 5 s as failed: with a 5 s age and a 2 s sweep, web-loss measured a
//     6.6 s page (a request taken 0.2 s before the kill). 2 s + 1 s sweep frees it within about 3 s;
//     a killed holder's name no longer resolves, so the check fails at once, and a live holder is
//     asked on the web port (nginx accepts even while every PHP worker is busy).
//
//   php session-janitor.php release-host
//     Run by a web node before it serves: no request of this host is running yet, so any lock
//     naming this host is left over from before a crash or kill.
//
// Only lock keys are touched, never session data. A key is deleted only if it still holds the
// value that was judged orphaned (compare-and-delete), so a lock taken meanwhile is kept.
//
// Where the locks are found: the session handler records each lock's key in the locks' index (a
// sorted set, mh_session_lock_index(); each try of the lock adds it, its release takes it out), so
// the sweep every second reads the index in one script, at a cost that follows the locks held, not
// the sessions stored. Before, it scanned the whole sessions' keyspace every second: with 20,000
// sessions (40,020 keys), 80 SCAN calls and 7.6-8.0 ms of the server's CPU a sweep; the index's
// script with 20 locks, 0.05 ms. A key the index names that is gone (a lock that expired, a
// request cut before its release) is taken out once it was last tried more than INDEX_STALE_S
// ago. The whole keyspace is still scanned at a primary change, at a node's start (release-host)
// and every FULL_SCAN_EVERY_S, for a lock that is not in the index (one taken by another Moodle
// handler, or whose record was lost); the log says when one is found that way.

require_once('/opt/moodle-ha/php/env.php');
require_once('/opt/moodle-ha/php/session.php');

const WEB_PORT = 8080;
const POLL_MS = 1000;
const HOLDER_SWEEP_EVERY_S = 1;
const HOLDER_MIN_AGE_S = 2;
const FULL_SCAN_EVERY_S = 60;
const INDEX_STALE_S = 10;
// KEYS[1] the lock, KEYS[2] the index.
const DELETE_IF_SAME = "if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('zrem', KEYS[2], KEYS[1]) return redis.call('del', KEYS[1]) end return 0";
// The index's locks as key, value, milliseconds to live; a key tried before ARGV[1] (Unix time)
// that no longer exists is taken out of the index. Standalone Redis (one primary) only: it reads
// keys the script was not given, which a Redis Cluster would refuse (the session handler leaves a
// cluster to Moodle, without the index).
const INDEXED_LOCKS = <<<'LUA'
local out = {}
local m = redis.call('zrange', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #m, 2 do
  local v = redis.call('get', m[i])
  if v then
    out[#out + 1] = m[i]
    out[#out + 1] = v
    out[#out + 1] = redis.call('pttl', m[i])
  elseif tonumber(m[i + 1]) < tonumber(ARGV[1]) then
    redis.call('zrem', KEYS[1], m[i])
  end
end
return out
LUA;

function janitor_log(string $line): void {
    fwrite(STDERR, 'moodle-ha[session-janitor]: ' . $line . "\n");
}

function janitor_connect(array $mh): Redis {
    return mh_redis_connect($mh, 'session', 1.0, 2.0);
}

function janitor_index(array $mh): string {
    return mh_session_lock_index(mh_session_prefix($mh));
}

/**
 * A lock read as its value and its milliseconds to live: [value, age in ms], its age from the
 * expiry the handler gives it; null when it is gone (no value) or has no expiry (not the handler's).
 */
function janitor_lock($value, $pttl): ?array {
    return is_string($value) && (int) $pttl >= 0 ? [$value, MH_SESSION_LOCK_EXPIRE_S * 1000 - (int) $pttl] : null;
}

/** The session locks in the index: key => [value, age in ms]. One script, one round trip. */
function janitor_indexed_locks(Redis $r, array $mh): array {
    return janitor_indexed_reply($r, $r->eval(INDEXED_LOCKS, janitor_indexed_args($mh), 1));
}

/** INDEXED_LOCKS's keys and arguments. */
function janitor_indexed_args(array $mh): array {
    return [janitor_index($mh), time() - INDEX_STALE_S];
}

/** INDEXED_LOCKS's reply as key => [value, age in ms]. */
function janitor_indexed_reply(Redis $r, $flat): array {
    if (!is_array($flat)) {
        throw new RedisException('the locks\' index script failed: ' . ($r->getLastError() ?? 'no answer'));
    }
    $locks = [];
    for ($i = 0; $i + 2 < count($flat); $i += 3) {
        if ($lock = janitor_lock($flat[$i + 1], $flat[$i + 2])) {
            $locks[$flat[$i]] = $lock;
        }
    }
    return $locks;
}

/** Every session lock in the keyspace, indexed or not: key => [value, age in ms]. A round trip per SCAN page. */
function janitor_all_locks(Redis $r, array $mh): array {
    $locks = [];
    $it = null;
    do {
        $keys = array_values($r->scan($it, mh_session_lock_pattern($mh), 500) ?: []);
        if (!$keys) {
            continue;
        }
        $r->multi(Redis::PIPELINE);
        foreach ($keys as $key) {
            $r->get($key);
            $r->pttl($key);
        }
        $replies = $r->exec();
        if (!is_array($replies) || count($replies) !== 2 * count($keys)) {
            throw new RedisException('the locks\' GET and PTTL pipeline did not answer each command');
        }
        foreach ($keys as $i => $key) {
            if ($lock = janitor_lock($replies[2 * $i], $replies[2 * $i + 1])) {
                $locks[$key] = $lock;
            }
        }
    } while ($it > 0);
    return $locks;
}

/**
 * Every session lock from the whole keyspace; logs those the index does not name (asked again for
 * each: a lock released or taken between the scan and the index's script is not one).
 */
function janitor_scanned_locks(Redis $r, array $mh): array {
    $all = janitor_all_locks($r, $mh);
    $missing = [];
    foreach (array_diff_key($all, janitor_indexed_locks($r, $mh)) as $key => $lock) {
        if ($r->exists($key) && $r->zScore(janitor_index($mh), $key) === false) {
            $missing[$key] = $lock;
        }
    }
    if ($missing) {
        janitor_log(sprintf('found %d session lock(s) not in the locks\' index by scanning the keyspace (%s)', count($missing),
            implode(', ', array_slice(array_keys($missing), 0, 3)) . (count($missing) > 3 ? ', ...' : '')));
    }
    return $all;
}

function janitor_delete(Redis $r, array $mh, string $key, string $value): bool {
    return (int) $r->eval(DELETE_IF_SAME, [$key, janitor_index($mh), $value], 2) === 1;
}

/**
 * The host named in a lock value "[pid N] host:uri". Moodle's handler stores it through its
 * serializer (igbinary in config.php), so the raw value may carry igbinary's header.
 */
function janitor_holder(string $raw): ?string {
    $value = $raw;
    if (strncmp($raw, "\x00\x00\x00\x02", 4) === 0 && function_exists('igbinary_unserialize')) {
        $decoded = @igbinary_unserialize($raw);
        $value = is_string($decoded) ? $decoded : $raw;
    }
    return preg_match('/^\[pid [^\]]*\] ([^:\s]+):/', $value, $m) ? $m[1] : null;
}

function janitor_host_answers(string $host): bool {
    $s = @fsockopen($host, WEB_PORT, $errno, $errstr, 1.0);
    if ($s === false) {
        return false;
    }
    fclose($s);
    return true;
}

function release_host(array $mh): int {
    $host = gethostname();
    try {
        $r = janitor_connect($mh);
        $n = 0;
        foreach (janitor_scanned_locks($r, $mh) as $key => [$value]) {
            if (janitor_holder($value) === $host && janitor_delete($r, $mh, $key, $value)) {
                $n++;
            }
        }
        janitor_log("released $n session lock(s) left by an earlier run of $host");
    } catch (Throwable $e) {
        // Never keep a node from starting: the cron container's janitor covers what is missed.
        janitor_log('could not check for left-over session locks: ' . $e->getMessage());
    }
    return 0;
}

function watch(array $mh): int {
    $r = null;
    $identity = null;       // "run_id/master_replid" of the primary last seen
    $seenAt = 0.0;          // when it was last seen (ms)
    $missedAt = null;       // when a poll first failed to see it since (ms), if one did
    $nextSweep = 0.0;
    $nextFullScan = 0.0;    // the first sweep scans the keyspace
    $failing = false;
    $stop = false;
    pcntl_async_signals(true);
    pcntl_signal(SIGTERM, function () use (&$stop) { $stop = true; });
    janitor_log('watching ' . $mh['redishost'] . ':' . $mh['redisport'] . ' for failovers and orphaned session locks');
    while (!$stop) {
        $t0 = microtime(true) * 1000;
        try {
            $r ??= janitor_connect($mh);
            // Whether a sweep is due, and of which kind, decided once from the poll's start (as
            // the polls are timed: from the poll's end, one that began a few ms early would skip
            // its sweep). One round trip: the server's identity and role, and the locks' index
            // when the sweep reads it (a sweep that scans the keyspace reads it after the scan).
            $due = $t0 >= $nextSweep;
            $full = $due && $t0 >= $nextFullScan;
            $indexed = $due && !$full;
            $r->multi(Redis::PIPELINE)->info('server')->info('replication');
            if ($indexed) {
                $r->eval(INDEXED_LOCKS, janitor_indexed_args($mh), 1);
            }
            [$server, $repl, $flat] = array_pad($r->exec() ?: [], 3, null);
            if (!is_array($server) || !is_array($repl)) {
                throw new RedisException('INFO got no answer: ' . ($r->getLastError() ?? 'none'));
            }
            if (($repl['role'] ?? '') !== 'master') {
                throw new RuntimeException('the endpoint answered with a ' . ($repl['role'] ?? 'unknown') . ', not the primary');
            }
            $now = microtime(true) * 1000;
            $current = $server['run_id'] . '/' . $repl['master_replid'];
            if ($identity !== null && $current !== $identity) {
                // Every lock the old primary took was taken before a poll first missed it (a
                // failed poll, else this one), however late that poll ran. A promoted replica
                // takes locks only from its promotion on, seconds after that (Sentinel's down-after).
                // A server that started after the old primary was last seen (a restart) takes
                // them from its start on, which may be before that poll: the cutoff is then its
                // start (uptime is in whole seconds, so one second earlier to be safe).
                $missedAt ??= $t0;
                $cutoff = $missedAt;
                $uptimeMs = (int) $server['uptime_in_seconds'] * 1000;
                if ($now - $uptimeMs > $seenAt) {
                    $cutoff = min($cutoff, $now - $uptimeMs - 1000);
                }
                $cutoffAge = $now - $cutoff;
                $removed = 0;
                foreach (janitor_scanned_locks($r, $mh) as $key => [$value, $age]) {
                    if ($age >= $cutoffAge && janitor_delete($r, $mh, $key, $value)) {
                        $removed++;
                    }
                }
                janitor_log(sprintf('the Redis primary changed (%s -> %s); removed %d session lock(s) made before the change',
                    substr($identity, 0, 8), substr($current, 0, 8), $removed));
            }
            $identity = $current;
            $seenAt = $now;
            $missedAt = null;
            if ($failing) {
                janitor_log('Redis reachable again');
                $failing = false;
            }
            if ($due) {
                $nextSweep = $t0 + HOLDER_SWEEP_EVERY_S * 1000;
                if ($full) {
                    $nextFullScan = $t0 + FULL_SCAN_EVERY_S * 1000;
                }
                $alive = [];
                $locks = $full ? janitor_scanned_locks($r, $mh) : janitor_indexed_reply($r, $flat);
                foreach ($locks as $key => [$value, $age]) {
                    $holder = janitor_holder($value);
                    if ($holder === null || $age < HOLDER_MIN_AGE_S * 1000) {
                        continue;
                    }
                    $alive[$holder] ??= janitor_host_answers($holder);
                    if (!$alive[$holder] && janitor_delete($r, $mh, $key, $value)) {
                        janitor_log(sprintf('removed a %d s old session lock of %s, which no longer answers on :%d', intdiv((int) $age, 1000), $holder, WEB_PORT));
                    }
                }
            }
        } catch (Throwable $e) {
            $missedAt ??= microtime(true) * 1000;
            if (!$failing) {
                janitor_log('Redis not usable (' . $e->getMessage() . '); retrying every second');
                $failing = true;
            }
            $r = null;
        }
        $left = POLL_MS - (microtime(true) * 1000 - $t0);
        if ($left > 0 && !$stop) {
            usleep((int) ($left * 1000));
        }
    }
    return 0;
}

if (realpath($_SERVER['SCRIPT_FILENAME'] ?? '') !== __FILE__) {
    return; // included (bench/janitor-sweeps.php): the functions only
}
$mh = mh_redis_settings();
$mode = $argv[1] ?? '';
if ($mode === 'watch') {
    exit(watch($mh));
}
if ($mode === 'release-host') {
    exit(release_host($mh));
}
fwrite(STDERR, "usage: php session-janitor.php watch|release-host\n");
exit(64);
