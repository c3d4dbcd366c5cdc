<?php
// migrate: the one place a cluster's database is installed or upgraded. Holds a database lock
// (GET_LOCK) for the whole run, so two migrates never race: the second waits, then finds nothing
// to do. Installs on an empty database; upgrades when one is pending (maintenance mode on,
// upgrade, caches purged, maintenance off); configures MUC; records the code version. Idempotent.
require_once('/opt/moodle-ha/php/env.php');

const CODE = '/var/www/moodle';
$started = microtime(true);
function say(string $m): void { global $started; fprintf(STDERR, "migrate[%5.1fs]: %s\n", microtime(true) - $started, $m); }
function run(array $args, array $env = []): int {
    $cmd = implode(' ', array_map('escapeshellarg', $args));
    $proc = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => STDERR, 2 => STDERR], $pipes, CODE, $env ? array_merge(getenv(), $env) : null);
    return $proc === false ? 127 : proc_close($proc);
}
function php_cli(string $script, array $args = []): int {
    return run(array_merge(['php', CODE . '/' . $script], $args));
}

$mh = mh_settings();
// Two migrates may start at once: the other one making it first is not a failure.
if (!is_dir($mh['dataroot']) && !@mkdir($mh['dataroot'], 02770, true) && !is_dir($mh['dataroot'])) {
    say("dataroot {$mh['dataroot']} does not exist and cannot be created");
    exit(73);
}
$lockTimeout = (int) mh_env('MOODLE_MIGRATE_LOCK_TIMEOUT', '1800');

// 1. Reach the database (it may still be starting).
mysqli_report(MYSQLI_REPORT_OFF);
$deadline = microtime(true) + 120;
do {
    $db = mysqli_init();
    $db->options(MYSQLI_OPT_CONNECT_TIMEOUT, 3);
    $ok = @$db->real_connect($mh['dbhost'], $mh['dbuser'], $mh['dbpass'], $mh['dbname'], $mh['dbport'], null, $mh['dbtls'] === 'off' ? 0 : MYSQLI_CLIENT_SSL);
    if (!$ok) {
        $err = mysqli_connect_error();
        if (microtime(true) > $deadline) {
            say("database {$mh['dbhost']}:{$mh['dbport']} unreachable for 120 s: $err");
            exit(69);
        }
        say("waiting for database {$mh['dbhost']}:{$mh['dbport']} ($err)");
        sleep(2);
    }
} while (!$ok);

// 2. Take the cluster-wide migrate lock. It is tied to this connection: if this process dies, the
//    database releases it.
$lockName = $db->real_escape_string('moodle-ha:migrate:' . $mh['dbname'] . ':' . $mh['prefix']);
//    First without waiting, so "waiting" is said exactly when another migrate holds it (asking
//    IS_FREE_LOCK first could race with the other one taking it).
$got = $db->query("SELECT GET_LOCK('$lockName', 0) AS l")->fetch_assoc()['l'];
if ((string) $got !== '1') {
    say('another migrate holds the lock; waiting (up to ' . $lockTimeout . ' s)');
    $got = $db->query("SELECT GET_LOCK('$lockName', $lockTimeout) AS l")->fetch_assoc()['l'];
}
if ((string) $got !== '1') {
    say("could not take the migrate lock within $lockTimeout s: is another migrate stuck?");
    exit(75);
}
say('holding the migrate lock');

// 3. Installed? (the config table and its version row)
$table = $db->real_escape_string($mh['prefix'] . 'config');
$res = $db->query("SELECT value FROM `$table` WHERE name = 'version'");
$installed = $res !== false && $res->num_rows === 1;
$code = json_decode(file_get_contents('/opt/moodle-ha/code-version.json'), true);
$action = 'none';

if (!$installed) {
    say("empty database: installing Moodle {$code['release']} (about a minute)");
    $rc = php_cli('admin/cli/install_database.php', [
        '--agree-license', '--lang=en',
        '--adminuser=' . mh_env('MOODLE_ADMIN_USER', 'admin'),
        '--adminpass=' . mh_secret('MOODLE_ADMIN_PASSWORD'),
        '--adminemail=' . mh_env('MOODLE_ADMIN_EMAIL', 'admin@example.invalid'),
        '--fullname=' . mh_env('MOODLE_SITE_FULLNAME', 'Moodle'),
        '--shortname=' . mh_env('MOODLE_SITE_SHORTNAME', 'moodle'),
    ]);
    if ($rc !== 0) {
        say("install failed (exit $rc); the database is left as the installer left it: see the messages above");
        exit(70);
    }
    $action = 'installed';
    say('MIGRATE-RESULT installed');
} else {
    $rc = php_cli('admin/cli/upgrade.php', ['--is-pending']);
    if ($rc === 2) {
        say("upgrade pending: maintenance mode on, upgrading to {$code['release']}");
        if (php_cli('admin/cli/maintenance.php', ['--enable']) !== 0) {
            say('could not enable maintenance mode; not upgrading');
            exit(70);
        }
        $rc = php_cli('admin/cli/upgrade.php', ['--non-interactive', '--allow-unstable']);
        if ($rc !== 0) {
            say("upgrade failed (exit $rc); maintenance mode stays ON so users do not meet a half-upgraded site. Fix the cause, then run migrate again.");
            exit(70);
        }
        php_cli('admin/cli/purge_caches.php');
        php_cli('admin/cli/maintenance.php', ['--disable']);
        $action = 'upgraded';
        say('MIGRATE-RESULT upgraded; maintenance mode off');
    } else if ($rc === 0) {
        say('database matches the code: no install or upgrade needed');
        say('MIGRATE-RESULT unchanged');
    } else {
        say("upgrade.php --is-pending failed (exit $rc)");
        exit(70);
    }
}

// 4. Cluster configuration by code: Redis for the MUC application and session caches, the code
//    version for readiness.
$rc = run(['php', '/opt/moodle-ha/php/configure.php', $code['codehash']]);
if ($rc !== 0) {
    say("configuring caches failed (exit $rc)");
    exit(70);
}
$db->query("SELECT RELEASE_LOCK('$lockName')");
say("done ($action); lock released");
exit(0);
