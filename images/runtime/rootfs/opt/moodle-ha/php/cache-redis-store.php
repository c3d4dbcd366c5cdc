<?php
// Moodle's Redis cache store with a connection each PHP-FPM worker keeps.
//
// Moodle 4.5's store (cache/stores/redis/lib.php, new_redis()) connects on every request: a DNS
// lookup of the endpoint, a TCP connect, AUTH, and a close at the request's end. Measured in a web
// node against its Redis: 348-442 µs wall, 184-208 µs of PHP CPU and 126-156 µs of redis-server
// CPU for connect + AUTH + GET + close, against 42-44 µs, 24 µs and 23 µs for a GET on an open
// connection. This class changes only new_redis(), and only for one server (a cluster is left to
// Moodle): the connection is kept (kept-redis.php: pconnect; AUTH and a check that a kept one is in
// step go with its first command, and a command cut in flight or answered READONLY is sent again
// through the endpoint). Everything else (keys, TTLs, locks, serialization) is Moodle's.
//
// The persistent id carries a hash of the server and password, so a rotated password never reuses
// a connection authenticated with the old one. The data roll treats the caches' Redis as it does
// the sessions' (src/local/roll-data-docker.ts, `failover`): writes paused on the old
// primary, its connections cut once the endpoint moved, and the cut writes sent again.
//
// The application caches' reads are served from copies in the node's APCu while their version in
// Redis is unchanged (cache-local-copies.php).

namespace moodleha\cache;

class kept_redis_store extends \cachestore_redis {
    use local_copies { // cache-local-copies.php: the node's copies of application caches, checked once per request
        set as private set_versioned;
    }

    /**
     * This request's connections by server, password and options: Moodle makes several store
     * objects a page (measured: 3 on a dashboard), and each taking the kept connection was a round
     * trip (AUTH and phpredis's ECHO; now AUTH and the check go with the first command).
     */
    private static array $connections = [];

    #[\Override]
    protected function new_redis(array $configuration): \Redis|\RedisCluster|null {
        global $CFG;
        if (!empty($configuration['clustermode'])) {
            return parent::new_redis($configuration);
        }
        [$server, $port] = \moodleha\redis\kept::endpoint(explode("\n", trim((string) $configuration['server']))[0]);
        $encrypt = !empty($configuration['encryption']);
        $password = (string) ($configuration['password'] ?? '');
        $context = [];
        if ($password !== '') {
            $context['auth'] = $password;
        }
        if ($encrypt) {
            $server = 'tls://' . $server;
            // As Moodle's store: a CA file verifies the certificate and name; without one nothing is verified.
            $context['stream'] = empty($configuration['cafile'])
                ? ['verify_peer' => false, 'verify_peer_name' => false]
                : ['cafile' => $configuration['cafile']];
        }
        $persistentid = 'moodleha-cache-' . substr(hash('sha256', "$server:$port\n$password"), 0, 16);
        $shared = implode("\n", [$persistentid, $this->serializer, $this->compressor, (string) ($configuration['prefix'] ?? '')]);
        if (isset(self::$connections[$shared])) {
            $this->isready = true;
            return self::$connections[$shared];
        }
        try {
            $redis = new \moodleha\redis\kept();
            $redis->failoverwait = (float) ($CFG->moodleha_redis_failover_wait ?? 0);
            if (!$redis->pconnect($server, $port, $this->connectiontimeout, $persistentid, 100, $this->connectiontimeout, $context)) {
                throw new \RedisException('connect failed');
            }
            // As Moodle's store: a TLS connection that says nothing first hangs (phpredis issue 2332);
            // with a password, AUTH goes with the connect and speaks first (kept-redis.php leaves a
            // TLS connection's AUTH to phpredis).
            if ($encrypt && $password === '' && !$redis->ping('Ping')) {
                throw new \RedisException('Ping failed');
            }
            // As Moodle's store: with a compressor, the store serializes; else phpredis does.
            if ($this->compressor === self::COMPRESSOR_NONE) {
                $redis->setOption(\Redis::OPT_SERIALIZER, $this->serializer);
            }
            // A kept connection keeps the options of the object that had it: both set every time.
            $redis->setOption(\Redis::OPT_PREFIX, (string) ($configuration['prefix'] ?? ''));
            $this->isready = true;
            return self::$connections[$shared] = $redis;
        } catch (\RedisException $e) {
            debugging("Failed to connect to Redis at {$server}:{$port}, the error returned was: {$e->getMessage()}");
            $this->isready = false;
            return null;
        }
    }

    /**
     * A value of a definition with a TTL and its time in the expiry list in one command, where
     * Moodle's store sends HSET and ZADD one after the other. The value and the member go as phpredis
     * serializes them, so Moodle's reads and its expiry see what they wrote. (Session caches are
     * not here: configure.php keeps them in the user's session.)
     */
    #[\Override]
    public function set($key, $value) {
        if (!$this->definition->get_ttl() || !$this->scriptable()) {
            return $this->set_versioned($key, $value);
        }
        $script = "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4]) return 1";
        $args = [$this->hash, $this->hash . self::TTL_SUFFIX, $key, $this->redis->_serialize($value), self::get_time(), $this->redis->_serialize($key)];
        return $this->redis->eval($script, $args, 2) === 1;
    }

    /**
     * Whether this store may write with its own scripts: values go as phpredis serializes them (no
     * compressor: Moodle's is private), on one server (a cluster's EVAL takes keys of one slot only).
     */
    private function scriptable(): bool {
        return $this->compressor === self::COMPRESSOR_NONE && $this->redis instanceof \Redis;
    }

    /** Moodle's store closes its connection when its instance is deleted; a kept one stays for the worker's next request. */
    #[\Override]
    public function instance_deleted() {
    }
}
