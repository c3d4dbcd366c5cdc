<?php
// Moodle configuration of the moodle-ha runtime image. Nothing here is edited per site: every
// value comes from the environment contract (docs/env.md) or the config bundle.
unset($CFG);
global $CFG;
$CFG = new stdClass();

require_once('/opt/moodle-ha/php/env.php');
require_once('/opt/moodle-ha/php/session.php');
$mh = mh_settings();

$CFG->dbtype = $mh['dbtype'];
$CFG->dblibrary = 'native';
$CFG->dbhost = $mh['dbhost'];
$CFG->dbname = $mh['dbname'];
$CFG->dbuser = $mh['dbuser'];
$CFG->dbpass = $mh['dbpass'];
$CFG->prefix = $mh['prefix'];
$CFG->dboptions = [
    'dbpersist' => 0,
    'dbport' => $mh['dbport'],
    'dbcollation' => 'utf8mb4_unicode_ci',
    'connecttimeout' => 3,
];
// verify-full: the server's certificate must chain to MOODLE_DB_TLS_CA (openssl.cafile, set at
// start) and name MOODLE_DB_HOST.
if ($mh['dbtls'] !== 'off') {
    $CFG->dboptions['ssl'] = $mh['dbtls'];
}
// The reader endpoint (Aurora's reader, the ha profile's Galera members other than the writer):
// Moodle sends SELECTs there unless the request wrote the table in the last `latency` seconds, or
// runs a transaction, a lock or a session query. Migrate (CLI install and upgrade) never reads a
// replica: MOODLE_DB_READ_HOST is not in its environment.
if ($mh['dbreadhost'] !== '') {
    $CFG->dboptions['readonly'] = [
        'instance' => [['dbhost' => $mh['dbreadhost'], 'dbport' => $mh['dbreadport']]],
        'connecttimeout' => 2,
        'latency' => 1,
    ];
}

$CFG->wwwroot = $mh['wwwroot'];
$CFG->sslproxy = $mh['sslproxy'];
$CFG->admin = 'admin';
// The client's address is REMOTE_ADDR, which nginx sets from the trusted load balancer's
// X-Forwarded-For or CloudFront-Viewer-Address; never headers a browser can send
// (GETREMOTEADDR_SKIP_HTTP_X_FORWARDED_FOR | GETREMOTEADDR_SKIP_HTTP_CLIENT_IP).
$CFG->getremoteaddrconf = 3;
$CFG->directorypermissions = 02770;

// Shared by every node (the shared mount).
$CFG->dataroot = $mh['dataroot'];
$CFG->cachedir = $mh['dataroot'] . '/cache';
$CFG->tempdir = $mh['dataroot'] . '/temp';
$CFG->backuptempdir = $mh['dataroot'] . '/backuptemp';
// Each node's own disk: files here never change, so a node rebuilds its own copy.
$CFG->localcachedir = $mh['localdir'] . '/localcache';
$CFG->localrequestdir = $mh['localdir'] . '/request';

// Locks in the database (GET_LOCK), never files on shared storage.
$CFG->lock_factory = '\\core\\lock\\mysql_lock_factory';

// Sessions in Redis: a user keeps their session whichever node serves them. Moodle's handler and
// cache store with a connection kept per worker (session-handler.php, cache-redis-store.php through
// cache-factory.php, both on kept-redis.php), and the APCu store with locks (cache-apcu-store.php),
// loaded when Moodle asks.
spl_autoload_register(static function (string $class): void {
    $ours = [
        'moodleha\\session\\redis' => 'session-handler.php',
        'moodleha\\redis\\kept' => 'kept-redis.php',
        'moodleha\\cache\\factory' => 'cache-factory.php',
        'moodleha\\cache\\kept_redis_store' => 'cache-redis-store.php',
        'moodleha\\cache\\locking_apcu_store' => 'cache-apcu-store.php',
        'moodleha\\cache\\local_copies' => 'cache-local-copies.php',
    ];
    if (isset($ours[$class])) {
        require_once('/opt/moodle-ha/php/' . $ours[$class]);
    }
});
// No leading backslash: Moodle compares it with get_called_class() (factory::get_disabled_writer()).
$CFG->alternative_cache_factory_class = 'moodleha\\cache\\factory';
$CFG->session_handler_class = '\\moodleha\\session\\redis';
$CFG->session_redis_host = $mh['redishost'];
$CFG->session_redis_port = $mh['redisport'];
$CFG->session_redis_database = 0;
$CFG->session_redis_prefix = mh_session_prefix($mh);
// Lock timings and why: session.php.
$CFG->session_redis_acquire_lock_timeout = $mh['sessionlockwait'];
$CFG->session_redis_acquire_lock_retry = MH_SESSION_ACQUIRE_RETRY_MS;
$CFG->session_redis_lock_expire = MH_SESSION_LOCK_EXPIRE_S;
$CFG->session_redis_serializer_use_igbinary = true;
// Connect and read timeout (one value in Moodle), and tries: src/contract/timeouts.ts.
$CFG->session_redis_connection_timeout = 2;
$CFG->session_redis_max_retries = 2;
// ... and how long tries that fail at once go on (a killed primary until the endpoint follows the promoted replica).
$CFG->moodleha_redis_failover_wait = 8;
// The application caches in Redis are read from the node's APCu while their version is unchanged
// (cache-local-copies.php): one round trip per definition and page instead of one per read.
$CFG->moodleha_cache_local_copies = true;
if ($mh['redispass'] !== '') {
    $CFG->session_redis_auth = $mh['redispass'];
}
if ($mh['redistls']) {
    // The server's certificate must chain to MOODLE_REDIS_TLS_CA and name the endpoint.
    $CFG->session_redis_encrypt = mh_redis_tls($mh);
}

// Production settings.
$CFG->cachejs = true;
$CFG->cachetemplates = true;
$CFG->langstringcache = true;
$CFG->themedesignermode = false;
$CFG->preventexecpath = true;
$CFG->disableupdateautodeploy = true;
$CFG->disableupdatenotifications = true;
// Cron runs as one process per keep-alive (the cron container starts the next 10 s after one ends),
// and Moodle judges cron by how often a process starts: expecting one a minute (its default), the
// admin's Notifications and System status pages would warn about a healthy cron all the time. The
// 60 s cover that pause, PHP's start and a task that runs on past the keep-alive.
$CFG->expectedcronfrequency = $mh['cronkeepalive'] + 60;
$CFG->xsendfile = 'X-Accel-Redirect';
$CFG->xsendfilealiases = ['/dataroot/' => $CFG->dataroot];
// The programs Moodle runs, all in the image (src/contract/external-tools.ts).
$CFG->pathtophp = '/usr/bin/php';
$CFG->pathtodu = '/usr/bin/du';
$CFG->pathtogs = '/usr/bin/gs';
$CFG->pathtopdftoppm = '/usr/bin/pdftoppm';

// Outgoing mail, forced (docs/env.md): the SMTP server and who mail comes from are the
// environment's, never a click's. Mail "from" a user whose address is outside the mail domain
// goes out from the no-reply address, so the receiving side's SPF and DKIM checks pass.
if ($mh['smtphost'] !== '') {
    $CFG->smtphosts = $mh['smtphost'] . ':' . $mh['smtpport'];
    // PHPMailer's names: 'tls' is STARTTLS, 'ssl' is TLS from the start.
    $CFG->smtpsecure = ['none' => '', 'starttls' => 'tls', 'tls' => 'ssl'][$mh['smtpsecurity']];
    $CFG->smtpauthtype = 'LOGIN';
    $CFG->smtpuser = $mh['smtpuser'];
    $CFG->smtppass = $mh['smtppass'];
}
$CFG->noreplyaddress = $mh['noreply'];
$CFG->allowedemaildomains = $mh['maildomain'];
if (PHP_SAPI !== 'cli') {
    // Web nodes never install or upgrade: an unknowable upgrade key blocks the web installer.
    $CFG->upgradekey = bin2hex(random_bytes(24));
}

// Site-specific settings from the config bundle.
if (is_file('/etc/moodle-ha/runtime/config-extra.php')) {
    require('/etc/moodle-ha/runtime/config-extra.php');
}

require_once(__DIR__ . '/lib/setup.php');
