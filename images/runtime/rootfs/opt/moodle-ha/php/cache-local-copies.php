<?php
// Node-local copies of the shared application caches, checked against a version in Redis once per
// request: the caches' store (cache-redis-store.php) uses this trait.
//
// Caches that Moodle does not promise are safe on a node (no canuselocalstore: core/config,
// core/eventinvalidation, core/plugin_manager, …) live in Redis, where Moodle's store sends one
// round trip per read: 19 of an admin dashboard's 26 (issue 10's perfdebug figures; 9 for
// core/config alone). Here each definition's hash in Redis also holds a version field, and:
// - every write changes it in the same command: a set or set_many in the same HMSET; a delete in
//   one EVAL (HDEL and HSET); a purge deletes the hash, and the version with it. So a failover
//   never keeps a write and loses its version (a replica gets a command whole or not at all);
// - a web request reads the versions once, on its first read of such a cache: in one round trip
//   (an EVAL of HGETs) the versions of every definition this node has read before, and serves
//   their reads from the node's APCu while a copy carries that same version; a miss is copied too
//   (core/eventinvalidation's 4 misses a page). A copy is made from a read made after the version
//   was read, so it is never older than the version it carries;
// - a definition with no version (never written since a purge, the hash evicted, or written only
//   by an earlier image) gets a new one in the same EVAL that read it; versions are random tokens,
//   so no copy matches after a purge;
// - after its own write, a request reads that definition from Redis under its new version.
// Moodle's own store class, used by the admin's "purge store" (core_cache\helper::purge_store),
// deletes the hash: the version goes with it. A node of an earlier image writes without the
// version (during the roll to this one): a copy is served for at most $localcopyttl (60 s) for that.
// Left to Redis alone: definitions with a TTL (their expiry list is Redis's), those that require
// locking (the lock and the value are Redis's; core/coursemodinfo is in APCu), CLI scripts (cron
// runs for minutes: one version read per process would be stale), a store with a compressor
// (Moodle's is private) and a Redis cluster (clustermode).
// Reads served from copies are counted per request ($localcopyhits, for tests).
//
// Measured on a dev node, one admin dashboard sends the caches' server 34 commands without the
// copies and 15 with them (12 with the store's one-command TTL set, cache-redis-store.php).

namespace moodleha\cache;

trait local_copies {
    /** The version's field in each hash: '-' and ':' are in no simple key (a-z, 0-9, _), and other keys are hashes. */
    private static string $versionfield = 'moodle-ha:v';

    /** The longest a copy is served (a writer of an earlier image does not change the version). */
    private static int $localcopyttl = 60;

    /** Writes to this definition change its version (application mode, no TTL, no locking, no compressor). */
    private bool $versioned = false;

    /** Reads come from this node's copies when the version matches (versioned, a web request, APCu on). */
    private bool $copied = false;

    /** The versions this request read, by definition hash, as Redis holds them (serialized); false: purged by this request. */
    private static array $versions = [];

    /** APCu key of the definition hashes this node has read from copies (whose versions a request reads at once). */
    private static string $knownkey = 'moodle-ha:copied-definitions';

    /** APCu key prefix for this definition's copies. */
    private string $copyprefix = '';

    /** Reads this request served from a copy (tests). */
    public static int $localcopyhits = 0;

    #[\Override]
    public function initialise(\core_cache\definition $definition) {
        global $CFG;
        $ok = parent::initialise($definition);
        $this->versioned = $definition->get_mode() === \core_cache\store::MODE_APPLICATION
            && !$definition->get_ttl()
            && !$definition->require_locking()
            && $this->scriptable();
        $this->copied = $this->versioned
            && !(defined('CLI_SCRIPT') && CLI_SCRIPT)
            && ($CFG->moodleha_cache_local_copies ?? false)
            && function_exists('apcu_enabled') && apcu_enabled();
        $this->copyprefix = 'moodle-ha:copy:' . $this->hash . ':';
        return $ok;
    }

    #[\Override]
    public function get($key) {
        $version = $this->version();
        if ($version === null) {
            return parent::get($key);
        }
        if ($this->from_copy($key, $version, $value)) {
            return $value;
        }
        $value = parent::get($key);
        $this->keep_copy($key, $version, $value);
        return $value;
    }

    #[\Override]
    public function get_many($keys) {
        $version = $this->version();
        if ($version === null) {
            return parent::get_many($keys);
        }
        $values = [];
        $missing = [];
        foreach ($keys as $key) {
            if ($this->from_copy($key, $version, $value)) {
                $values[$key] = $value;
            } else {
                $missing[] = $key;
            }
        }
        if ($missing) {
            foreach (parent::get_many($missing) as $key => $value) {
                $values[$key] = $value;
                $this->keep_copy($key, $version, $value);
            }
        }
        $ordered = [];
        foreach ($keys as $key) {
            $ordered[$key] = $values[$key] ?? false;
        }
        return $ordered;
    }

    #[\Override]
    public function set($key, $value) {
        if (!$this->versioned) {
            return parent::set($key, $value);
        }
        $version = $this->new_version();
        return $this->redis->hMSet($this->hash, [$key => $value, self::$versionfield => $version]) !== false;
    }

    #[\Override]
    public function set_many(array $keyvaluearray) {
        if (!$this->versioned) {
            return parent::set_many($keyvaluearray);
        }
        $pairs = [];
        foreach ($keyvaluearray as $pair) {
            $pairs[$pair['key']] = $pair['value'];
        }
        $pairs[self::$versionfield] = $this->new_version();
        return $this->redis->hMSet($this->hash, $pairs) ? count($keyvaluearray) : 0;
    }

    #[\Override]
    public function delete($key) {
        return $this->versioned ? $this->delete_versioned([$key]) > 0 : parent::delete($key);
    }

    #[\Override]
    public function delete_many(array $keys) {
        if (!$this->versioned || !$keys) {
            return parent::delete_many($keys);
        }
        $count = 0;
        foreach (array_chunk(array_values($keys), 1000) as $chunk) { // Lua's unpack() takes a few thousand at most
            $count += $this->delete_versioned($chunk);
        }
        return $count;
    }

    #[\Override]
    public function purge() {
        self::$versions[$this->hash] = false; // the hash goes, and its version with it
        return parent::purge();
    }

    #[\Override]
    public function find_all() {
        return array_values(array_filter(parent::find_all(), fn($k) => $k !== self::$versionfield));
    }

    /** HDEL of $keys and a new version, in one command (both or neither, on a replica too); how many keys went. */
    private function delete_versioned(array $keys): int {
        $script = "local n = redis.call('HDEL', KEYS[1], unpack(ARGV, 3)) redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return n";
        $serialized = $this->redis->_serialize($this->new_version());
        return (int) $this->redis->eval($script, [$this->hash, self::$versionfield, $serialized, ...$keys], 1);
    }

    /** A new random version, which this request reads under from now on (its own write is not copied). */
    private function new_version(): string {
        $version = bin2hex(random_bytes(8));
        if ($this->copied) {
            self::$versions[$this->hash] = $this->redis->_serialize($version); // as Redis will hold it
        }
        return $version;
    }

    /** The version reads are served under (read once a request); null: reads go to Redis (not copied, or purged by this request). */
    private function version(): ?string {
        if (!$this->copied) {
            return null;
        }
        if (!array_key_exists($this->hash, self::$versions)) {
            $this->read_versions();
        }
        return self::$versions[$this->hash] ?: null;
    }

    /** This node's copy of $key into $value, when it carries $version. */
    private function from_copy(string $key, string $version, mixed &$value): bool {
        $copy = apcu_fetch($this->copyprefix . $key, $found);
        if (!$found || $copy[0] !== $version) {
            return false;
        }
        self::$localcopyhits++;
        $value = $copy[1];
        return true;
    }

    /** Keeps $value (false: a miss) as this node's copy of $key under $version. */
    private function keep_copy(string $key, string $version, mixed $value): void {
        apcu_store($this->copyprefix . $key, [$version, $value], self::$localcopyttl);
    }

    /**
     * In one round trip, the versions of this definition and of every one this node has read from
     * copies before; a definition without one gets a new one (its copies are made after this read).
     */
    private function read_versions(): void {
        $known = apcu_fetch(self::$knownkey) ?: [];
        if (!in_array($this->hash, $known, true)) {
            $known[] = $this->hash;
            apcu_store(self::$knownkey, $known);
        }
        $hashes = array_values(array_diff($known, array_keys(self::$versions)));
        $script = "local v = {} for i, k in ipairs(KEYS) do v[i] = redis.call('HGET', k, ARGV[1]) "
            . "if not v[i] then redis.call('HSET', k, ARGV[1], ARGV[2]) v[i] = ARGV[2] end end return v";
        $new = $this->redis->_serialize(bin2hex(random_bytes(8)));
        $read = $this->redis->eval($script, [...$hashes, self::$versionfield, $new], count($hashes));
        foreach ($hashes as $i => $hash) {
            self::$versions[$hash] = is_string($read[$i] ?? null) ? $read[$i] : false;
        }
    }
}
