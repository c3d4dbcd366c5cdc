<?php
// Session locking, one source for config.php and session-janitor.php.
//
// Moodle's Redis session handler holds a lock key (<prefix>_sess_session_<sid>.lock, value
// "[pid N] host:uri") for the whole request. A request that dies without releasing it (its node
// was killed, or the Redis primary it talked to failed over and the key had been replicated)
// leaves the lock behind, and that user's next requests wait for it.
// Timeouts: src/contract/timeouts.ts is their one source (a test reads these back).
//  - The lock outlives the longest request that may hold it (PHP-FPM's request_terminate_timeout,
//    300 s), so no two requests of one user ever hold it.
//  - A request gives up waiting after MOODLE_SESSION_LOCK_WAIT seconds, shorter than the edge's
//    timeout: the user gets Moodle's "cannot obtain session lock" page, not a gateway timeout.
//  - session-janitor.php (in the cron container) removes orphaned locks within seconds.

const MH_SESSION_LOCK_EXPIRE_S = 330;
const MH_SESSION_ACQUIRE_RETRY_MS = 100;

/** The Redis key pattern of every session lock, with the session prefix of config.php. */
function mh_session_prefix(array $mh): string {
    return $mh['redisprefix'] . '_sess_';
}

function mh_session_lock_pattern(array $mh): string {
    return mh_session_prefix($mh) . 'session_*.lock';
}

/**
 * The sorted set of the session locks' keys (each scored with the Unix time of its last try), under
 * the sessions' key prefix: the session handler records a lock there (session-handler.php), the
 * session janitor reads them from it (session-janitor.php).
 */
function mh_session_lock_index(string $sessionprefix): string {
    return $sessionprefix . 'moodleha_locks';
}
