<?php
// The environment contract, read by config.php, readyz.php and migrate.php. Every name read here
// is declared in src/contract/env.ts (a test checks it). A secret is read from NAME, or from the
// file named by NAME_FILE.

function mh_env(string $name, ?string $default = null): string {
    $value = getenv($name);
    if ($value === false || $value === '') {
        if ($default === null) {
            mh_fail("environment variable $name is required but not set");
        }
        return $default;
    }
    return $value;
}

function mh_secret(string $name, bool $required = true): string {
    $value = getenv($name);
    if ($value !== false && $value !== '') {
        return $value;
    }
    $file = getenv($name . '_FILE');
    if ($file !== false && $file !== '') {
        $content = @file_get_contents($file);
        if ($content === false) {
            mh_fail("{$name}_FILE names $file, which cannot be read");
        }
        return rtrim($content, "\r\n");
    }
    if ($required) {
        mh_fail("secret $name is required: set $name or {$name}_FILE");
    }
    return '';
}

function mh_bool(string $name, bool $default): bool {
    $value = mh_env($name, $default ? 'true' : 'false');
    if ($value !== 'true' && $value !== 'false') {
        mh_fail("$name must be true or false, got '$value'");
    }
    return $value === 'true';
}

function mh_fail(string $message): void {
    if (PHP_SAPI === 'cli') {
        fwrite(STDERR, "moodle-ha: $message\n");
        exit(78);
    }
    error_log("moodle-ha: $message");
    http_response_code(503);
    header('Content-Type: text/plain');
    echo "Service unavailable: configuration error (see the container log).\n";
    exit(1);
}

/** The settings shared by config.php, readyz.php and migrate.php, from the environment. */
function mh_settings(): array {
    $dataroot = rtrim(mh_env('MOODLE_DATAROOT', '/var/www/moodledata'), '/');
    $local = rtrim(mh_env('MOODLE_LOCALCACHEDIR', '/var/cache/moodle'), '/');
    $tls = mh_env('MOODLE_DB_TLS', 'off');
    if (!in_array($tls, ['off', 'require', 'verify-full'], true)) {
        mh_fail("MOODLE_DB_TLS must be off, require or verify-full, got '$tls'");
    }
    $dbtype = mh_env('MOODLE_DB_TYPE', 'mariadb');
    if (!in_array($dbtype, ['mariadb', 'mysqli', 'auroramysql'], true)) {
        mh_fail("MOODLE_DB_TYPE must be mariadb, mysqli or auroramysql, got '$dbtype'");
    }
    $lockwait = mh_env('MOODLE_SESSION_LOCK_WAIT', '120');
    if (!ctype_digit($lockwait) || (int) $lockwait < 1) {
        mh_fail("MOODLE_SESSION_LOCK_WAIT must be a whole number of seconds, got '$lockwait'");
    }
    $keepalive = mh_env('MOODLE_CRON_KEEPALIVE', '300');
    // Moodle's own ceiling for a keep-alive (core\cron::MAX_MAIN_PROCESS_KEEPALIVE: 15 minutes).
    if (!ctype_digit($keepalive) || (int) $keepalive < 1 || (int) $keepalive > 900) {
        mh_fail("MOODLE_CRON_KEEPALIVE must be a whole number of seconds from 1 to 900, got '$keepalive'");
    }
    return [
        'wwwroot' => rtrim(mh_env('MOODLE_WWWROOT'), '/'),
        'cronkeepalive' => (int) $keepalive,
        'sessionlockwait' => (int) $lockwait,
        'sslproxy' => mh_bool('MOODLE_SSLPROXY', false),
        'dbtype' => $dbtype,
        'dbhost' => mh_env('MOODLE_DB_HOST'),
        'dbport' => (int) mh_env('MOODLE_DB_PORT', '3306'),
        'dbreadhost' => mh_env('MOODLE_DB_READ_HOST', ''),
        'dbreadport' => (int) mh_env('MOODLE_DB_READ_PORT', mh_env('MOODLE_DB_PORT', '3306')),
        'dbname' => mh_env('MOODLE_DB_NAME', 'moodle'),
        'dbuser' => mh_env('MOODLE_DB_USER', 'moodle'),
        'dbpass' => mh_secret('MOODLE_DB_PASSWORD'),
        'dbtls' => $tls,
        'prefix' => mh_env('MOODLE_DB_PREFIX', 'mdl_'),
        'dataroot' => $dataroot,
        'localdir' => $local,
    ] + mh_redis_settings() + mh_mail_settings();
}

/** Outgoing mail: the SMTP server, and who mail comes from. */
function mh_mail_settings(): array {
    $port = mh_env('MOODLE_SMTP_PORT', '25');
    if (!ctype_digit($port) || (int) $port < 1 || (int) $port > 65535) {
        mh_fail("MOODLE_SMTP_PORT must be a port number, got '$port'");
    }
    $security = mh_env('MOODLE_SMTP_SECURITY', 'none');
    if (!in_array($security, ['none', 'starttls', 'tls'], true)) {
        mh_fail("MOODLE_SMTP_SECURITY must be none, starttls or tls, got '$security'");
    }
    $host = strtolower((string) parse_url(mh_env('MOODLE_WWWROOT'), PHP_URL_HOST));
    $domain = mh_env('MOODLE_MAIL_DOMAIN', $host);
    $noreply = mh_env('MOODLE_NOREPLY_ADDRESS', 'noreply@' . $domain);
    if (filter_var($noreply, FILTER_VALIDATE_EMAIL) === false) {
        mh_fail("MOODLE_NOREPLY_ADDRESS must be an e-mail address, got '$noreply'");
    }
    return [
        'smtphost' => mh_env('MOODLE_SMTP_HOST', ''),
        'smtpport' => (int) $port,
        'smtpsecurity' => $security,
        'smtpuser' => mh_secret('MOODLE_SMTP_USER', false),
        'smtppass' => mh_secret('MOODLE_SMTP_PASSWORD', false),
        'noreply' => $noreply,
        'maildomain' => $domain,
    ];
}

/** The Redis part alone (the session janitor needs nothing else): sessions, and the caches' server. */
function mh_redis_settings(): array {
    $prefix = mh_env('MOODLE_REDIS_PREFIX', 'mdl');
    if (strlen($prefix) > 5) {
        mh_fail("MOODLE_REDIS_PREFIX must be at most 5 characters, got '$prefix'");
    }
    $session = [
        'redishost' => mh_env('MOODLE_REDIS_HOST'),
        'redisport' => (int) mh_env('MOODLE_REDIS_PORT', '6379'),
        'redispass' => mh_secret('MOODLE_REDIS_PASSWORD', false),
        'redistls' => mh_bool('MOODLE_REDIS_TLS', false),
        'redisprefix' => $prefix,
        'redisca' => mh_env('MOODLE_REDIS_TLS_CA', '/etc/moodle-ha/tls/amazon-trust-ca.pem'),
    ];
    // The MUC caches may live on their own server (allkeys-lru), so cache pressure never evicts a session.
    $cachetls = mh_env('MOODLE_CACHE_REDIS_TLS', '');
    if ($cachetls !== '' && $cachetls !== 'true' && $cachetls !== 'false') {
        mh_fail("MOODLE_CACHE_REDIS_TLS must be true or false, got '$cachetls'");
    }
    $cacheport = mh_env('MOODLE_CACHE_REDIS_PORT', '');
    $cachepass = mh_secret('MOODLE_CACHE_REDIS_PASSWORD', false);
    return $session + [
        'cachehost' => mh_env('MOODLE_CACHE_REDIS_HOST', '') ?: $session['redishost'],
        'cacheport' => $cacheport === '' ? $session['redisport'] : (int) $cacheport,
        'cachepass' => $cachepass === '' ? $session['redispass'] : $cachepass,
        'cachetls' => $cachetls === '' ? $session['redistls'] : $cachetls === 'true',
    ];
}

/** TLS options for a Redis connection: the server's certificate must chain to MOODLE_REDIS_TLS_CA and name the host. */
function mh_redis_tls(array $mh): array {
    return ['cafile' => $mh['redisca'], 'verify_peer' => true, 'verify_peer_name' => true];
}

/**
 * A connected, authenticated Redis: the sessions' server ('session') or the caches' ('cache'),
 * with the same TLS verification Moodle's session handler and cache store use.
 */
function mh_redis_connect(array $mh, string $which, float $timeout, float $readtimeout): Redis {
    $p = $which === 'cache' ? 'cache' : 'redis';
    $tls = $mh[$p . 'tls'];
    $r = new Redis();
    $host = $tls ? 'tls://' . $mh[$p . 'host'] : $mh[$p . 'host'];
    if (!$r->connect($host, $mh[$p . 'port'], $timeout, null, 0, $readtimeout, $tls ? ['stream' => mh_redis_tls($mh)] : [])) {
        throw new RedisException("cannot connect to {$mh[$p . 'host']}:{$mh[$p . 'port']}");
    }
    if ($mh[$p . 'pass'] !== '') {
        $r->auth($mh[$p . 'pass']);
    }
    return $r;
}

/** mysqli connect flags for the database's TLS mode (the CA comes from openssl.cafile, set at start). */
function mh_db_flags(array $mh): int {
    if ($mh['dbtls'] === 'off') {
        return 0;
    }
    return MYSQLI_CLIENT_SSL | ($mh['dbtls'] === 'verify-full' ? MYSQLI_CLIENT_SSL_VERIFY_SERVER_CERT : MYSQLI_CLIENT_SSL_DONT_VERIFY_SERVER_CERT);
}
