<?php
// migrate: the one place a cluster's database is installed or upgraded. Holds a database lock
// (GET_LOCK) for the whole run, so two migrates never race: the second waits, then finds nothing
// to do. Installs on an empty database; upgrades when one is pending (maintenance mode on,
// upgrade, caches purged); configures MUC; records the code version. Idempotent.
//
// Maintenance mode after an upgrade (MOODLE_MIGRATE_MAINTENANCE): `release` turns it off at once
// (the local cluster replaces its web nodes first); `keep` leaves it on, so no request is served
// by code that does not match the new schema while the web tier rolls, until `migrate finish`
// (on AWS, a task the deploy runs once the web service runs the new image) turns it off. Only
// maintenance that a migrate turned on is ever turned off (a marker in dataroot says so).
//
// An install that stopped half-way (install-state.php) is never upgraded or installed over: migrate
// exits 76 saying what the database holds. `migrate reinstall` drops the half-installed tables and
// installs again, only when the site holds no one's data (else it exits 65 naming what it found).
//
//   migrate            install or upgrade, configure
//   migrate finish     turn maintenance off, if a migrate left it on and the code matches the database
//   migrate reinstall  as migrate, but an interrupted install without data is dropped and installed again
require_once('/opt/moodle-ha/php/env.php');
require_once('/opt/moodle-ha/php/install-state.php');
require_once('/opt/moodle-ha/php/migrate-report.php');

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
$keepMaintenance = mh_env('MOODLE_MIGRATE_MAINTENANCE', 'release');
if ($keepMaintenance !== 'release' && $keepMaintenance !== 'keep') {
    say("MOODLE_MIGRATE_MAINTENANCE must be release or keep, got '$keepMaintenance'");
    exit(64);
}
$keepMaintenance = $keepMaintenance === 'keep';
$finish = ($argv[1] ?? '') === 'finish';
$reinstall = ($argv[1] ?? '') === 'reinstall';
if (isset($argv[1]) && !$finish && !$reinstall) {
    say("unknown argument '{$argv[1]}': use no argument (install or upgrade), 'finish' or 'reinstall'");
    exit(64);
}
$marker = $mh['dataroot'] . '/moodle-ha/maintenance-by-migrate';
$climaintenance = $mh['dataroot'] . '/climaintenance.html';

// 1. Reach the database (it may still be starting).
mysqli_report(MYSQLI_REPORT_OFF);
$deadline = microtime(true) + 120;
do {
    $db = mysqli_init();
    $db->options(MYSQLI_OPT_CONNECT_TIMEOUT, 3);
    $ok = @$db->real_connect($mh['dbhost'], $mh['dbuser'], $mh['dbpass'], $mh['dbname'], $mh['dbport'], null, mh_db_flags($mh));
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

// 3. Installed? Empty, complete, or an install that stopped half-way (install-state.php).
$table = $db->real_escape_string($mh['prefix'] . 'config');
$state = mh_install_state(mh_install_facts($db, $mh['prefix'], mh_env('MOODLE_ADMIN_USER', 'admin')));
if ($state['state'] === 'interrupted') {
    say("interrupted install: {$state['detail']}");
    if (!$reinstall) {
        say('nothing was changed: installing over it or upgrading it would leave a broken site. An empty half-installed site is reinstalled by "migrate reinstall" (locally: moodle-ha migrate --reinstall; on AWS: the migrate task with the command "migrate reinstall"); a site with data never is.');
        say('MIGRATE-RESULT interrupted-install');
        exit(76);
    }
    if ($state['found']) {
        say('not reinstalling: the database holds data (' . implode('; ', $state['found']) . '). Nothing was changed. Restore a backup, or repair the site by hand.');
        exit(65);
    }
    $drop = mh_prefix_tables($db, $mh['prefix']);
    foreach ($drop as $t) {
        if (!$db->query('DROP TABLE `' . $db->real_escape_string($t) . '`')) {
            say("could not drop table $t: {$db->error}");
            exit(70);
        }
    }
    say('reinstall: dropped the ' . count($drop) . ' tables of the interrupted install (no user data was there)');
    $state = ['state' => 'empty'];
} else if ($reinstall) {
    say("nothing to reinstall ({$state['detail']}): migrating as usual");
}
$installed = $state['state'] === 'complete';
if ($installed && $state['upgradeRunning']) {
    // This migrate holds the lock, so no other install or upgrade runs: the flag is what a killed
    // one left. Moodle refuses to run while it is set (for 5 min); the upgrade resumes from its last savepoint.
    say('upgraderunning is set, but no other migrate runs (this one holds the lock): an install or upgrade was killed half-way; clearing the stale flag');
    $db->query("DELETE FROM `$table` WHERE name = 'upgraderunning'");
}
$code = json_decode(file_get_contents('/opt/moodle-ha/code-version.json'), true);
$action = 'none';

if ($finish) {
    $rows = [];
    $res = $installed ? $db->query("SELECT name, value FROM `$table` WHERE name IN ('version', 'moodleha_codehash')") : false;
    while ($res && ($row = $res->fetch_assoc())) {
        $rows[$row['name']] = $row['value'];
    }
    if (($rows['moodleha_codehash'] ?? '') !== $code['codehash'] || (float) ($rows['version'] ?? -1) !== (float) $code['version']) {
        say("the database does not match this image's code (Moodle {$code['release']}): run migrate with this image first; maintenance mode left as it is");
        exit(70);
    }
    if (!is_file($marker)) {
        say('no upgrade left maintenance mode on: nothing to do');
        say('MIGRATE-RESULT unchanged');
    } else {
        if (php_cli('admin/cli/maintenance.php', ['--disable']) !== 0) {
            say('could not turn maintenance mode off; run migrate finish again');
            exit(70);
        }
        @unlink($marker);
        say("MIGRATE-RESULT finished; maintenance mode off: the site serves Moodle {$code['release']}");
    }
    $db->query("SELECT RELEASE_LOCK('$lockName')");
    exit(0);
}

// What the database has before, for the report of what this run changed (migrate-report.php).
$reportBefore = mh_report_snapshot($db, $mh['prefix']);
if (!$installed) {
    say("empty database: installing Moodle {$code['release']} (about a minute)");
    $rc = php_cli('admin/cli/install_database.php', [
        // In English: the site's language is set afterwards (site-defaults.php), once its pack is
        // there, so a pack that cannot be fetched leaves an English site, not one in a missing language.
        '--agree-license', '--lang=en',
        '--adminuser=' . mh_env('MOODLE_ADMIN_USER', 'admin'),
        '--adminpass=' . mh_secret('MOODLE_ADMIN_PASSWORD'),
        '--adminemail=' . mh_env('MOODLE_ADMIN_EMAIL', 'admin@example.invalid'),
        '--supportemail=' . mh_env('MOODLE_SUPPORT_EMAIL', mh_env('MOODLE_ADMIN_EMAIL', 'admin@example.invalid')),
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
        // Maintenance an administrator turned on stays theirs: only ours is ever turned off.
        $ours = is_file($marker) || !is_file($climaintenance);
        say("upgrade pending: maintenance mode on, upgrading to {$code['release']}");
        if ($ours) {
            @mkdir(dirname($marker), 02770, true);
            file_put_contents($marker, date('c') . " upgrade to {$code['release']}\n");
        }
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
        $action = 'upgraded';
        if (!$ours) {
            say('MIGRATE-RESULT upgraded; maintenance mode was on before the upgrade and stays on');
        } else if ($keepMaintenance) {
            say('MIGRATE-RESULT upgraded; maintenance mode stays on until "migrate finish", once every web node runs the new code');
        } else {
            php_cli('admin/cli/maintenance.php', ['--disable']);
            @unlink($marker);
            say('MIGRATE-RESULT upgraded; maintenance mode off');
        }
    } else if ($rc === 0) {
        say('database matches the code: no install or upgrade needed');
        say('MIGRATE-RESULT unchanged');
    } else {
        say("upgrade.php --is-pending failed (exit $rc)");
        exit(70);
    }
}

// 4. Cluster configuration by code: Redis for the MUC application caches (session caches in the session), the code
//    version for readiness; then the site's defaults (no "New settings" page after an install).
$rc = run(['php', '/opt/moodle-ha/php/configure.php', $code['codehash']]);
if ($rc !== 0) {
    say("configuring caches failed (exit $rc)");
    exit(70);
}
$rc = run(['php', '/opt/moodle-ha/php/site-defaults.php']);
if ($rc !== 0) {
    say("setting the site's defaults failed (exit $rc)");
    exit(70);
}
// 5. What changed: Moodle from -> to, plugins upgraded, installed, missing from disk (a failed report only warns).
if (!mh_report_run($reportBefore, $action === 'none' ? 'unchanged' : $action)) {
    say('could not report what changed (see the lines above); the migrate itself succeeded');
}
$db->query("SELECT RELEASE_LOCK('$lockName')");
say("done ($action); lock released");
exit(0);
