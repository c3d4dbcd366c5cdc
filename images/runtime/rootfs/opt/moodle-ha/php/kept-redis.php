<?php
// A phpredis connection that a PHP-FPM worker keeps between requests, and that follows the primary.
//
// The endpoint (HAProxy locally, ElastiCache's primary endpoint on AWS) names the primary when a
// connection opens; a kept connection stays where it opened. phpredis itself replaces a kept
// connection found closed when the worker takes it back (its liveness check in pconnect()); its own
// reconnect before a command is off (see pconnect()), and so are its AUTH and ECHO on each take of
// a plain (not TLS) connection: they go in this object's first pipeline instead (see pconnect()).
// This class handles the rest: a command whose connection is found closed ("Connection lost"), a command in flight when its connection is cut (the data roll's CLIENT KILL on the old primary,
// whose writes it paused during a planned failover; HAProxy's shutdown of a server marked down),
// and a server demoted under the connection (READONLY). The command is sent once more, on a new
// connection through the endpoint; and while each send fails at once, again until the failover
// wait is over (a killed primary: the endpoint refuses, or still routes to it, until it follows
// the promoted replica, seconds later; $failoverwait). Every command the session handler and the caches' store
// (cache-redis-store.php) send may be sent twice: GET, HMGET, HGET, HGETALL, HEXISTS, HKEYS,
// ZRANGEBYSCORE and EXISTS read; SET NX of the lock, HSET, HMSET, EXPIRE, UNLINK, DEL, HDEL, ZADD,
// ZREM and EVAL (the caches' scripts: HGETs creating a missing version, HDEL with a new version, HSET
// with its ZADD) give the same state when repeated, and a command cut while paused never ran. SETNX (the
// caches' lock) sent again finds its own first write when that one ran: it is then taken when the
// key holds this caller's value (an owner id, unique per lock holder). Other commands go as sent. A command
// that waited its whole read timeout is not sent again: the server may still run it, and the user
// has waited that long already (the caller fails, as with a new connection per request).

namespace moodleha\redis;

class kept extends \Redis {
    /** A connection that failed sooner than this share of its timeout was cut, not slow (the session handler's tries count it too). */
    public const CUT_NOT_SLOW = 0.9;

    /** How many times this object reconnected to follow the primary (for tests and logs). */
    public int $followed = 0;

    /**
     * Seconds a command goes on being sent again while each send fails at once (a killed primary:
     * the endpoint refuses, or still routes to it, until it follows the promoted replica); the
     * creator sets it ($CFG->moodleha_redis_failover_wait). 0: sent once more, then reported. Spent
     * once per object: when a wait ends without an answer, later commands are sent once more only,
     * so a Redis that stays down costs a page one wait, not one per command.
     */
    public float $failoverwait = 0.0;

    /**
     * EXPIREs held back to leave in one pipeline with the next command, for the session handler:
     * Moodle 4.5's refreshes the session's and the user's expiry after its read, its update of the
     * session record and its write, each pair two round trips of its own (6 of a logged-in page's
     * 14). The commands reach the server in the same order on the same connection; only the moment
     * they leave changes. An EXPIRE so held answers true (Moodle's handler never reads it);
     * send_deferred() sends what is left (the handler's close(), and this object's end).
     */
    public bool $deferexpire = false;

    /**
     * HSETs and HMSETs held back as the EXPIREs are, for the session handler (with $deferexpire):
     * Moodle 4.5's write() sends the session's data (HSET) and then reads three of the record's
     * fields (HMGET), and its update_session() writes the record (HMSET): three of an anonymous
     * login page's five round trips to the sessions' server. A write held back to a hash the lock's
     * pipeline read (nxprefetch) goes into that copy too, so an HMGET after it is still answered from
     * the copy, as the server would answer it: the lock is held, and Moodle's handler reads and
     * writes the record only under it. The page then sends its writes with the lock's release in
     * close(): two round trips a page, the lock's and the release's. A held write answers as the
     * server would for a field it changes (HSET: 0, HMSET: true); Moodle's handler reads neither.
     * When the held commands cannot be sent (the server gone past the failover wait), close() says
     * so in the log and answers false, where Moodle's write() would have.
     */
    public bool $deferwrites = false;
    /** The commands held back (each sends itself into the pipeline), oldest first. */
    private array $deferred = [];

    /**
     * The full key of a sorted set where each try of a SET NX records the key it tries (ZADD, the
     * score the Unix time), in the same pipeline just before the SET: the session handler's locks,
     * which the session janitor reads there every second instead of scanning the whole keyspace
     * (session-janitor.php). null: not recorded.
     */
    public ?string $nxindex = null;

    /**
     * [key, fields] of a hash read in the pipeline of the next SET NX, just after it, and kept when
     * the SET took the key: the session handler's record, which Moodle reads right after it takes the
     * lock (read(): userid and sessdata) and again for the session manager (get_session_by_sid():
     * every field), each a round trip of its own (2 of a page's 4). Read after the lock was taken, it
     * is what those reads would get while this object writes nothing: its HMGETs of those fields are
     * served from it until its next command that is not a read. null: none.
     */
    public ?array $nxprefetch = null;

    /** What the lock's pipeline read (nxprefetch), by key, until this object's next write. */
    private array $prefetched = [];

    /** HMGETs served from what the lock's pipeline read (for tests). */
    public int $prefetchhits = 0;

    /** Commands that change nothing: what the lock's pipeline read stays valid across them. */
    private const READS = ['GET' => 1, 'EXISTS' => 1, 'HGET' => 1, 'HMGET' => 1, 'HGETALL' => 1, 'HEXISTS' => 1, 'HKEYS' => 1, 'ZRANGEBYSCORE' => 1];

    /** Holds a command back to leave with the next one, as it is (no key prefix, no serializer). */
    public function defer_raw(string|int ...$command): void {
        $this->deferred[] = fn() => parent::rawCommand(...$command);
    }

    /** How many commands are held back. */
    public function held(): int {
        return count($this->deferred);
    }

    /** Sends the commands held back, if any (one round trip for all of them). */
    public function send_deferred(): void {
        if ($this->deferred) {
            $this->follow('held-back commands', fn() => null); // nothing more than what follow() puts before it
        }
    }

    public function __destruct() {
        $held = count($this->deferred); // a failed send drops them
        try {
            $this->send_deferred();
        } catch (\Throwable $e) {
            error_log("moodle-ha: $held held-back Redis commands (the session's writes and EXPIREs, the session locks' index) not sent: {$e->getMessage()}");
        }
    }

    /**
     * [host, port, read timeout], read while connected: phpredis's getters on a connection that
     * failed connect again first, which against a stalled server waits a whole timeout more.
     */
    private ?array $where = null;

    /**
     * [host, port] of one server as Moodle's settings name it (a name, an address or name:port;
     * a Unix socket has port 0): the session handler's host and the caches' store's first server.
     */
    public static function endpoint(string $server, int $defaultPort = 6379): array {
        $server = strtolower(trim($server));
        if ($server !== '' && ($server[0] === '/' || str_starts_with($server, 'unix://'))) {
            return [$server, 0];
        }
        $port = $defaultPort;
        if (strpos($server, ':')) {
            [$server, $port] = explode(':', $server);
        }
        return [$server, (int) $port];
    }

    /**
     * The password of a plain connection, sent by this class (see pconnect()), and whether this
     * object has yet to check its connection: AUTH (with a password) and an ECHO of a new token go
     * first in its next pipeline.
     */
    private ?string $password = null;
    private bool $unchecked = false;
    /** Whether the connection is plain TCP or a Unix socket (not TLS): see pconnect(). */
    private bool $plain = true;

    /** pconnect()'s arguments, setOption()'s options and select()'s database: what reopen() sets again. */
    private ?array $opened = null;
    private array $options = [];
    private ?int $database = null;

    /**
     * phpredis's own reconnect is off (OPT_MAX_RETRIES 0): this class sends again itself. phpredis
     * 5.3 (Debian bookworm's), finding a pipeline's connection closed, connects again but does not
     * send the pipeline there, or sends it and loses the replies: a failover's cut then cost a
     * pipeline (the session lock's SET NX with its index ZADD, the release's UNLINK with its ZREM)
     * the whole 2 s read timeout, "read error on connection", HTTP 500 (seen after every planned
     * failover under load); or exec() answered one reply, or true or false, with the replies left
     * unread answering the next commands. With it off, a closed connection says "Connection lost".
     *
     * On a plain connection phpredis does not AUTH and ECHO either: on each take of a kept one it
     * sent both in a round trip of their own (its liveness check: the connection answers, and in
     * step, its replies its own), one of a login page's three to the sessions' server and of its two
     * to the caches'. Here the password is taken out of the context and the ECHO turned off for the
     * take; AUTH and an ECHO of a new token go first in this object's first pipeline, with its first
     * command (see check()). A TLS connection keeps phpredis's AUTH at the connect: one not written
     * to at once can hang (TLS 1.3, phpredis issue 2332).
     */
    public function pconnect(...$args) {
        $context = $args[6] ?? null;
        $this->plain = !preg_match('~^(tls|ssl)[^:]*://~i', (string) ($args[0] ?? ''));
        if ($this->plain && is_array($context) && is_string($context['auth'] ?? null)) {
            $this->password = $context['auth'] === '' ? null : $context['auth'];
            unset($context['auth']);
            $args[6] = $context;
        }
        $this->opened = $args;
        $ok = $this->take($args);
        if ($ok) {
            $this->setOption(\Redis::OPT_MAX_RETRIES, 0);
        }
        return $ok;
    }

    /** phpredis's pconnect(), without its ECHO on a plain connection (this object's first pipeline checks instead). */
    private function take(array $args): bool {
        $echo = $this->plain ? ini_set('redis.pconnect.echo_check_liveness', '0') : false;
        try {
            $ok = parent::pconnect(...$args);
        } finally {
            if ($echo !== false) {
                ini_set('redis.pconnect.echo_check_liveness', $echo);
            }
        }
        $this->unchecked = $ok && $this->plain;
        return $ok;
    }
    public function setOption($option, $value) { $this->options[$option] = $value; return parent::setOption($option, $value); }
    public function select($db) { $this->database = (int) $db; return $this->follow('SELECT', fn() => parent::select($db)); }
    // Commands Moodle sends now and then (the server's version, a TLS store's PING, the sessions' SCAN
    // of an admin's kill-all, the store's size), as they are, after the connection's check.
    public function info(...$a) { $this->check(); return parent::info(...$a); }
    public function ping(...$a) { $this->check(); return parent::ping(...$a); }
    public function scan(&$iterator, ...$a) { $this->check(); return parent::scan($iterator, ...$a); }

    public function get($key) { $a = func_get_args(); return $this->follow('GET', fn() => parent::get(...$a)); }
    public function set($key, $value, $opts = null) {
        $a = func_get_args();
        if (!is_array($opts) || !(in_array('nx', $opts, true) || in_array('NX', $opts, true))) {
            return $this->follow('SET', fn() => parent::set(...$a));
        }
        if ($this->nxindex !== null) {
            $this->defer_raw('ZADD', $this->nxindex, time(), ($this->options[\Redis::OPT_PREFIX] ?? '') . $key);
        }
        // SET NX (the session lock, its value the holder's "[pid] host:uri") sent again: see taken().
        if ($this->nxprefetch === null) {
            return $this->follow('SET', fn() => parent::set(...$a), fn(\Closure $send) => $this->taken($send(), $key, $value));
        }
        [$hash, $fields] = $this->nxprefetch;
        [$ok, $record] = $this->follow(
            'SET',
            fn() => [parent::set(...$a), parent::hmget($hash, $fields)],
            fn(\Closure $send) => (fn(array $r) => [$this->taken($r[0], $key, $value), $r[1]])($send()),
            2,
        );
        if ($ok && is_array($record)) {
            $this->prefetched = [$hash => $record];
        }
        return $ok;
    }
    public function exists($key, ...$other) { $a = func_get_args(); return $this->follow('EXISTS', fn() => parent::exists(...$a)); }
    public function expire($key, $timeout) {
        if ($this->deferexpire) {
            $this->deferred[] = fn() => parent::expire($key, $timeout);
            return true;
        }
        $a = func_get_args();
        return $this->follow('EXPIRE', fn() => parent::expire(...$a));
    }
    public function unlink($key, ...$other) { $a = func_get_args(); return $this->follow('UNLINK', fn() => parent::unlink(...$a)); }
    public function hget($key, $member) { $a = func_get_args(); return $this->follow('HGET', fn() => parent::hget(...$a)); }
    public function hmget($key, $members) {
        $record = $this->prefetched[$key] ?? null;
        if ($record !== null && is_array($members) && !array_diff($members, array_keys($record))) {
            $this->prefetchhits++;
            return array_combine($members, array_map(fn($m) => $record[$m], $members));
        }
        $a = func_get_args();
        return $this->follow('HMGET', fn() => parent::hmget(...$a));
    }
    public function hset($key, $member, $value) {
        if ($this->deferwrites) {
            $this->deferred[] = fn() => parent::hset($key, $member, $value);
            $this->held_write($key, [$member => $value]);
            return 0;
        }
        $a = func_get_args();
        return $this->follow('HSET', fn() => parent::hset(...$a));
    }
    public function hmset($key, $pairs) {
        if ($this->deferwrites) {
            $this->deferred[] = fn() => parent::hmset($key, $pairs);
            $this->held_write($key, $pairs);
            return true;
        }
        $a = func_get_args();
        return $this->follow('HMSET', fn() => parent::hmset(...$a));
    }

    /**
     * A held-back write to a hash the lock's pipeline read goes into that copy (see $deferwrites), as
     * the server would give it back: without a serializer phpredis sends a scalar as its string
     * (null and false as ''); with one (the session handler's), it comes back as it went.
     */
    private function held_write(string $key, array $pairs): void {
        if (!isset($this->prefetched[$key])) {
            return;
        }
        $plain = ($this->options[\Redis::OPT_SERIALIZER] ?? \Redis::SERIALIZER_NONE) === \Redis::SERIALIZER_NONE;
        foreach ($pairs as $field => $value) {
            $this->prefetched[$key][$field] = $plain && (is_scalar($value) || $value === null) ? (string) $value : $value;
        }
    }
    public function hgetall($key) { $a = func_get_args(); return $this->follow('HGETALL', fn() => parent::hgetall(...$a)); }
    public function hdel($key, $member, ...$other) { $a = func_get_args(); return $this->follow('HDEL', fn() => parent::hdel(...$a)); }
    public function del($key, ...$other) { $a = func_get_args(); return $this->follow('DEL', fn() => parent::del(...$a)); }
    public function hexists($key, $member) { $a = func_get_args(); return $this->follow('HEXISTS', fn() => parent::hexists(...$a)); }
    public function hkeys($key) { $a = func_get_args(); return $this->follow('HKEYS', fn() => parent::hkeys(...$a)); }
    public function zadd($key, $score, $value, ...$extra) { $a = func_get_args(); return $this->follow('ZADD', fn() => parent::zadd(...$a)); }
    public function zrangebyscore($key, $start, $end, $options = null) { $a = func_get_args(); return $this->follow('ZRANGEBYSCORE', fn() => parent::zrangebyscore(...$a)); }
    public function zrem($key, $member, ...$other) { $a = func_get_args(); return $this->follow('ZREM', fn() => parent::zrem(...$a)); }
    public function eval($script, $args = [], $num_keys = 0) { $a = func_get_args(); return $this->follow('EVAL', fn() => parent::eval(...$a)); }
    public function setnx($key, $value) {
        return $this->follow('SETNX', fn() => parent::setnx($key, $value), fn(\Closure $send) => $this->taken($send(), $key, $value));
    }

    /**
     * A SET NX or SETNX sent again: taken when it set the key, or when the key holds the caller's
     * own value (a unique holder id), which its first send left when that one ran.
     */
    private function taken($set, $key, $value): bool {
        return $set || parent::get($key) === $value;
    }

    /**
     * Sends the command; once more on a fresh connection when the first one was cut or demoted
     * ($again instead, when sending it again differs from sending it: it is given the send, with
     * the held-back commands before it, and answers in its place). $parts: how many commands the
     * closure queues (more than one: sent as a pipeline, their answers in a list). A command that
     * is not a read (READS) ends what the lock's pipeline read.
     */
    private function follow(string $name, \Closure $command, ?\Closure $again = null, int $parts = 1) {
        if (!isset(self::READS[$name])) {
            $this->prefetched = [];
        }
        // Decided at each send: a connection opened again to send it again is checked first.
        $single = $command;
        $command = fn() => $this->deferred || $parts > 1 || $this->unchecked ? $this->with_deferred($single, $parts) : $single();
        try {
            return $this->sent_or_followed($name, $command, $again);
        } catch (\RedisException $e) {
            // Not sent again later (close(), the end): a stalled server would cost another timeout.
            $this->deferred = [];
            throw $e;
        }
    }

    private function sent_or_followed(string $name, \Closure $command, ?\Closure $again) {
        $this->where ??= [$this->getHost(), $this->getPort(), $this->getReadTimeout()];
        $t = microtime(true);
        try {
            return $command();
        } catch (\RedisException $e) {
            $took = microtime(true) - $t;
            if (!$this->worth_again($e, $took)) {
                $ms = (int) round(1000 * $took);
                error_log("moodle-ha: Redis $name on {$this->where[0]}:{$this->where[1]} failed after $ms ms ({$e->getMessage()}); not sent again");
                throw $e;
            }
        }
        $until = $t + $this->failoverwait;
        for (;;) {
            $this->followed++;
            error_log("moodle-ha: Redis $name on {$this->where[0]}:{$this->where[1]} failed ({$e->getMessage()}); sending it again on a new connection");
            $t = microtime(true);
            try {
                $this->reopen();
                return $again ? $again($command) : $command();
            } catch (\RedisException $e) {
                $now = microtime(true);
                if ($now >= $until) {
                    $this->failoverwait = 0.0; // spent: later commands are sent once more only
                    throw $e;
                }
                if (!$this->worth_again($e, $now - $t)) {
                    throw $e;
                }
            }
            usleep(rand(100000, 300000));
        }
    }

    /**
     * The commands held back and then the command in one pipeline: the command's answer (the last
     * $parts answers when the command queues more than one: the lock's SET NX and its HMGET). Sent again
     * whole after a cut (each part gives the same state when repeated: EXPIRE, ZADD and ZREM of the
     * locks' index); held until they went. phpredis reads every reply of the pipeline before it
     * throws a READONLY among them.
     *
     * An exec() that does not answer one reply per command queued (phpredis's own reconnect under
     * the pipeline, see pconnect(); a connection made with connect() keeps it) leaves the
     * connection out of step, its unread replies answering the next commands: it is reported cut,
     * so follow() sends the pipeline again on a new connection (the lock's SET NX then finds its own
     * first write).
     */
    private function with_deferred(\Closure $command, int $parts) {
        $this->multi(\Redis::PIPELINE);
        $token = $this->unchecked ? 'moodle-ha:' . bin2hex(random_bytes(8)) : null;
        $checks = 0;
        if ($token !== null) {
            if ($this->password !== null) {
                parent::rawCommand('AUTH', $this->password);
                $checks++;
            }
            parent::rawCommand('ECHO', $token);
            $checks++;
            if ($this->database !== null) {
                parent::rawCommand('SELECT', $this->database); // a kept connection keeps the database of its last user
                $checks++;
            }
        }
        $queued = $checks + count($this->deferred);
        foreach ($this->deferred as $held) {
            $held();
        }
        $queuing = $command();
        $queued += count(array_filter(is_array($queuing) ? $queuing : [$queuing], fn($r) => $r === $this));
        $replies = $this->exec();
        if (!is_array($replies) || count($replies) !== $queued) {
            throw new \RedisException('Connection lost: phpredis connected again under a pipeline of ' . $queued . ' and lost its replies (it answered ' . json_encode($replies) . ')');
        }
        if ($token !== null) {
            $this->checked(array_splice($replies, 0, $checks), $token);
        }
        $this->deferred = [];
        return $parts === 1 ? end($replies) : array_slice($replies, -$parts);
    }

    /** Checks the connection now, in a round trip of its own, when no command has yet (what Moodle sends outside follow()). */
    private function check(): void {
        if ($this->unchecked) {
            $this->follow('AUTH', fn() => null); // with_deferred() puts the check (and anything held back) before nothing
        }
    }

    /**
     * The check's replies: the ECHO answered with its own token, so every reply before and after it
     * is this pipeline's. Otherwise the connection was out of step (a reply left unread by a request
     * that ended mid-command), or the AUTH failed: reported as a cut (closed, opened again, the
     * pipeline sent again; see the top), or as the failed AUTH. That last branch is a guard:
     * phpredis 5.3.7 throws WRONGPASS from exec() itself, before this runs; a phpredis that answered
     * false there instead would otherwise see "out of step" and send again until the failover wait
     * ends.
     */
    private function checked(array $replies, string $token): void {
        $echo = $replies[$this->password === null ? 0 : 1];
        if ($echo === $token && ($this->database === null || in_array(end($replies), [true, 'OK'], true))) {
            $this->unchecked = false;
            return;
        }
        $error = (string) $this->getLastError();
        if ($echo === false && preg_match('/^(NOAUTH|WRONGPASS|ERR invalid password)/i', $error)) {
            throw new \RedisException("AUTH failed on {$this->where[0]}:{$this->where[1]}: $error");
        }
        throw new \RedisException('Connection lost: a kept connection was out of step (its check answered ' . json_encode($replies) . ')');
    }

    /**
     * A new connection through the endpoint, with this object's options and database. Not left to
     * phpredis's own reconnect on the next command: after a reconnect that failed (phpredis 5.3:
     * the endpoint's name not resolving, or the server gone), its socket stays failed, close()
     * included, and every later command says "Redis server ... went away" without connecting.
     */
    private function reopen(): void {
        try {
            $this->close();
        } catch (\RedisException $gone) {
            // Already gone.
        }
        if ($this->opened === null) {
            return; // connected elsewhere (connect(), not pconnect()): phpredis's reconnect it is
        }
        if (!@$this->take($this->opened)) {
            throw new \RedisException("Connection refused: no connection to {$this->where[0]}:{$this->where[1]}");
        }
        foreach ($this->options as $option => $value) {
            parent::setOption($option, $value);
        }
        if ($this->database !== null && !$this->plain) {
            parent::select($this->database); // a plain connection's check selects it (with_deferred())
        }
    }

    private function worth_again(\RedisException $e, float $took): bool {
        // READONLY: a server demoted under the connection. NOAUTH with a password to send: a
        // connection opened under this object (phpredis's own reconnect, where something turned it
        // back on) without it, as this class sends it itself (see pconnect()); the new connection's
        // check sends it. Without a password, NOAUTH is the settings' mistake: reported at once.
        if (str_starts_with($e->getMessage(), 'READONLY') || ($this->password !== null && str_starts_with($e->getMessage(), 'NOAUTH'))) {
            return true;
        }
        // phpredis 5.3 names the server in some of these ("Redis server r1:6379 went away"); the
        // last three are a new connection's: the name not (yet) resolving, or refused.
        $lost = preg_match('/^(read error on connection|Connection lost|Connection closed|socket error|Redis server (\S+ )?went away|php_network_getaddresses|Connection refused|.*: Connection refused)/i', $e->getMessage());
        return $lost && $took < self::CUT_NOT_SLOW * $this->where[2];
    }
}
