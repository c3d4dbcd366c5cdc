<?php
// Deep readiness: the database answers and matches this code, Redis answers, the shared dataroot
// is writable. 200 when all pass, 503 otherwise; the body says which check failed. Does not load
// Moodle, so it stays cheap and says the truth even when Moodle itself cannot start.
require_once('/opt/moodle-ha/php/env.php');
header('Content-Type: application/json');
header('Cache-Control: no-store');

$checks = [];
$mh = mh_settings();
$code = json_decode((string) @file_get_contents('/opt/moodle-ha/code-version.json'), true) ?: [];

// Database, and the version it holds against the code's (with Moodle's own TLS verification).
mysqli_report(MYSQLI_REPORT_OFF);
$db = mysqli_init();
$db->options(MYSQLI_OPT_CONNECT_TIMEOUT, 2);
$db->options(MYSQLI_OPT_READ_TIMEOUT, 3);
if (@$db->real_connect($mh['dbhost'], $mh['dbuser'], $mh['dbpass'], $mh['dbname'], $mh['dbport'], null, mh_db_flags($mh))) {
    $table = $db->real_escape_string($mh['prefix'] . 'config');
    $res = @$db->query("SELECT name, value FROM `$table` WHERE name IN ('version', 'moodleha_codehash')");
    if ($res === false) {
        $checks['database'] = 'not installed (' . $db->error . ')';
    } else {
        $rows = [];
        while ($row = $res->fetch_assoc()) {
            $rows[$row['name']] = $row['value'];
        }
        $checks['database'] = 'ok';
        if (($rows['version'] ?? null) === null) {
            $checks['version'] = 'not installed';
        } else if ((float) $rows['version'] !== (float) ($code['version'] ?? -1)) {
            $checks['version'] = "database has {$rows['version']}, code has " . ($code['version'] ?? '?') . ': migrate must run';
        } else if (($rows['moodleha_codehash'] ?? '') !== ($code['codehash'] ?? '')) {
            $checks['version'] = 'plugin versions in the database differ from the code: migrate must run';
        } else {
            $checks['version'] = 'ok';
        }
    }
    $db->close();
} else {
    $checks['database'] = 'unreachable: ' . mysqli_connect_error();
}

// Redis: the sessions' server, and the caches' when it is another one.
$servers = ['redis' => 'session'];
if ($mh['cachehost'] !== $mh['redishost'] || $mh['cacheport'] !== $mh['redisport']) {
    $servers['cache'] = 'cache';
}
foreach ($servers as $check => $which) {
    try {
        $redis = mh_redis_connect($mh, $which, 2.0, 2.0);
        $pong = $redis->ping();
        $checks[$check] = ($pong === true || $pong === '+PONG' || $pong === 'PONG') ? 'ok' : 'unexpected reply';
        $redis->close();
    } catch (Throwable $e) {
        $checks[$check] = 'unreachable: ' . $e->getMessage();
    }
}

// Shared dataroot writable.
$probe = $mh['dataroot'] . '/.readyz-' . gethostname();
if (@file_put_contents($probe, (string) time()) !== false && @unlink($probe)) {
    $checks['dataroot'] = 'ok';
} else {
    $checks['dataroot'] = 'not writable: ' . $mh['dataroot'];
}

// Warm: the node builds its caches before it takes users (warm-node.php removes the flag).
$warming = @filemtime('/run/moodle-ha/warming');
$checks['warm'] = $warming === false ? 'ok' : 'warming up its caches (for ' . max(0, time() - $warming) . ' s)';

$ok = !array_filter($checks, fn($v) => $v !== 'ok');
http_response_code($ok ? 200 : 503);
echo json_encode(['ready' => $ok, 'checks' => $checks, 'code' => $code['release'] ?? null], JSON_UNESCAPED_SLASHES), "\n";
