<?php
// Moodle's APCu cache store with locks of its own, so that the caches which require locking and
// declare canuselocalstore (core/coursemodinfo) can live on the node too (muc-layout.php).
//
// Moodle's APCu store has no locks. A definition that requires them then falls back to
// cachelock_file, which Moodle asks without waiting: two requests building one course at once
// (a new node's first users, every node after a course edit) had one fail with "Unable to acquire
// a lock for caching". These locks wait, as the Redis store's do, but a step is 10 ms, not 1 s.
//
// A lock is an APCu entry added only when absent (apcu_add), with a TTL: a worker killed while it
// holds one (FPM's request timeout) leaves it for at most LOCK_TTL seconds, and a waiter waits
// longer than that (LOCK_WAIT), so it takes the expired lock rather than failing (APCu's add
// replaces an expired entry). The lock is per node, as the data is: each node builds its own copy.
// A CLI process (cron, migrate) has its own APCu (apc.enable_cli), so its locks are its own too.
// Lock entries are outside the definition's prefix: the store's purge leaves them alone.

namespace moodleha\cache;

require_once($GLOBALS['CFG']->dirroot . '/cache/stores/apcu/lib.php');

class locking_apcu_store extends \cachestore_apcu implements \core_cache\lockable_cache_interface {
    /** Seconds a lock lives if its holder never releases it. */
    private const LOCK_TTL = 30;

    /** Seconds a request waits for a lock before Moodle's "Unable to acquire a lock" (longer than LOCK_TTL). */
    private const LOCK_WAIT = 40;

    /** Microseconds between two tries. */
    private const LOCK_STEP = 10000;

    /** Locks this request holds, by APCu key: released at shutdown if the code that took them did not. */
    private static array $held = [];

    private static bool $shutdown = false;

    private function lock_key(string $key): string {
        return 'moodle-ha:lock:' . $this->cacheprefix . $key;
    }

    #[\Override]
    public function acquire_lock($key, $ownerid) {
        $lock = $this->lock_key((string) $key);
        $until = microtime(true) + self::LOCK_WAIT;
        do {
            if (apcu_add($lock, (string) $ownerid, self::LOCK_TTL)) {
                if (!self::$shutdown) {
                    \core_shutdown_manager::register_function([self::class, 'release_held']);
                    self::$shutdown = true;
                }
                self::$held[$lock] = (string) $ownerid;
                return true;
            }
            usleep(self::LOCK_STEP);
        } while (microtime(true) < $until);
        return false;
    }

    #[\Override]
    public function check_lock_state($key, $ownerid) {
        $owner = apcu_fetch($this->lock_key((string) $key));
        return $owner === false ? null : $owner === (string) $ownerid;
    }

    #[\Override]
    public function release_lock($key, $ownerid) {
        $lock = $this->lock_key((string) $key);
        unset(self::$held[$lock]);
        return self::release_if_owner($lock, (string) $ownerid);
    }

    /** Shutdown: the locks this request still holds (an exception or exit between acquire and release). */
    public static function release_held(): void {
        foreach (self::$held as $lock => $owner) {
            self::release_if_owner($lock, $owner);
        }
        self::$held = [];
    }

    /** Deletes the lock only if `$owner` holds it: a lock that expired and was taken by another request stays its. */
    private static function release_if_owner(string $lock, string $owner): bool {
        return apcu_fetch($lock) === $owner && apcu_delete($lock);
    }
}
