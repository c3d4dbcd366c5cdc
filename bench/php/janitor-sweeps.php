<?php
// `npm run bench -- janitor` (bench/janitor.ts), run in a container of the runtime image: the
// session janitor's sweep by scanning the keyspace (janitor_all_locks, what every sweep did
// before) against reading the locks' index (janitor_indexed_locks, every sweep now), both the
// janitor's own functions, on one Redis (REDIS_HOST) holding SESSIONS sessions (a session key and
// a user key each) and LOCKS locks taken as the session handler takes them (a kept connection
// that records each in the index). Alternating rounds of SWEEPS sweeps each; per sweep: commands,
// the server's CPU (INFO commandstats) and the wall time. One JSON line on stdout.
require '/opt/moodle-ha/php/kept-redis.php';
require '/opt/moodle-ha/php/session.php';
require '/opt/moodle-ha/php/session-janitor.php';

$sessions = (int) getenv('SESSIONS');
$locks = (int) getenv('LOCKS');
$sweeps = (int) getenv('SWEEPS');
$rounds = (int) getenv('ROUNDS');
$mh = ['redisprefix' => 'mdl'];
$prefix = mh_session_prefix($mh);

$r = new Redis();
$r->connect(getenv('REDIS_HOST'), 6379, 5.0);
$r->flushAll();
for ($from = 1; $from <= $sessions; $from += 1000) {
    $p = $r->multi(Redis::PIPELINE);
    for ($i = $from; $i < $from + 1000 && $i <= $sessions; $i++) {
        $p->hMSet("{$prefix}session_s$i", ['userid' => $i, 'timecreated' => time(), 'sessdata' => str_repeat('x', 200)]);
        $p->hSet("{$prefix}user_$i", "s$i", time());
    }
    $p->exec();
}
$handler = new moodleha\redis\kept();
$handler->connect(getenv('REDIS_HOST'), 6379, 5.0);
$handler->setOption(Redis::OPT_SERIALIZER, Redis::SERIALIZER_IGBINARY);
$handler->setOption(Redis::OPT_PREFIX, $prefix);
$handler->nxindex = mh_session_lock_index($prefix);
for ($i = 1; $i <= $locks; $i++) {
    if (!$handler->set("session_s$i.lock", "[pid $i] web-1:/course/view.php?id=2", ['nx', 'ex' => MH_SESSION_LOCK_EXPIRE_S])) {
        throw new RuntimeException("lock $i not taken");
    }
}

/** Sum of calls and µs over every command since the last reset. */
function server_stats(Redis $r): array {
    $calls = 0;
    $usec = 0;
    foreach (explode("\n", $r->rawCommand('INFO', 'commandstats')) as $line) {
        if (preg_match('/^cmdstat_(\w+):calls=(\d+),usec=(\d+)/', $line, $m) && $m[1] !== 'config') {
            $calls += (int) $m[2];
            $usec += (int) $m[3];
        }
    }
    return [$calls, $usec];
}

$ways = [
    'scan' => fn() => janitor_all_locks($r, $mh),
    'index' => fn() => janitor_indexed_locks($r, $mh),
];
$out = ['sessions' => $sessions, 'keys' => $r->dbSize(), 'locks' => $locks, 'sweeps' => $sweeps, 'rounds' => []];
for ($round = 0; $round < $rounds; $round++) {
    $order = $round % 2 === 0 ? ['scan', 'index'] : ['index', 'scan'];
    foreach ($order as $way) {
        $r->rawCommand('CONFIG', 'RESETSTAT');
        $t = hrtime(true);
        $found = 0;
        for ($s = 0; $s < $sweeps; $s++) {
            $found += count($ways[$way]());
        }
        $wallMs = (hrtime(true) - $t) / 1e6;
        [$calls, $usec] = server_stats($r);
        $out['rounds'][] = ['way' => $way, 'round' => $round + 1, 'locksFound' => $found / $sweeps, 'commands' => $calls / $sweeps,
            'serverMs' => $usec / 1000 / $sweeps, 'wallMs' => $wallMs / $sweeps];
    }
}
echo json_encode($out), "\n";
