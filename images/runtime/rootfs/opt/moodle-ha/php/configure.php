<?php
// Cluster configuration written by code during migrate (never by clicks in the admin UI):
// a Redis cache store mapped to the MUC application mode on the caches' server
// (MOODLE_CACHE_REDIS_*, else the sessions' server); the session caches in the user's session
// (Moodle's default, cachestore_session: the session is in Redis and follows the user to any node,
// so it needs no round trip of its own); the request cache in memory; the caches
// whose definitions declare canuselocalstore mapped to each node's own APCu (muc-layout.php says
// which and why that stays correct across nodes); and the code hash that readiness compares.
// Idempotent.
define('CLI_SCRIPT', true);
require('/var/www/moodle/config.php');
require_once('/opt/moodle-ha/php/muc-layout.php');

$mh = mh_settings();
$store = 'moodleha_redis';
$configuration = [
    'server' => $mh['cachehost'] . ':' . $mh['cacheport'],
    'prefix' => $mh['redisprefix'],
    'password' => $mh['cachepass'],
    'serializer' => defined('Redis::SERIALIZER_IGBINARY') ? Redis::SERIALIZER_IGBINARY : Redis::SERIALIZER_PHP,
    'compressor' => 0,
    'connectiontimeout' => 2, // connect and read: src/contract/timeouts.ts (redisConnect)
    'encryption' => $mh['cachetls'],
    // With a CA file the store verifies the server's certificate and name (without one it would not).
    'cafile' => $mh['cachetls'] ? $mh['redisca'] : '',
    'clustermode' => false,
];

$writer = \core_cache\config_writer::instance();
$existing = $writer->get_all_stores();
if (array_key_exists($store, $existing)) {
    $writer->edit_store_instance($store, 'redis', $configuration);
    echo "MUC: store $store updated\n";
} else {
    $writer->add_store_instance($store, 'redis', $configuration);
    echo "MUC: store $store added\n";
}
$writer->set_mode_mappings([
    \core_cache\store::MODE_APPLICATION => [$store],
    \core_cache\store::MODE_SESSION => ['default_session'],
    \core_cache\store::MODE_REQUEST => ['default_request'],
]);
echo "MUC: application caches mapped to $store, session caches to the session\n";

// The node-local tier: APCu, shared by a node's PHP-FPM workers (a CLI process, cron or migrate,
// has its own: apc.enable_cli in php.ini). Each node fills its own copy; nothing is shared.
$local = 'moodleha_local';
if (!extension_loaded('apcu') || !ini_get('apc.enabled') || !ini_get('apc.enable_cli')) {
    fwrite(STDERR, "MUC: the APCu extension is missing or off in the CLI: the image needs php8.2-apcu with apc.enable_cli = 1 (images/runtime)\n");
    exit(1);
}
if (array_key_exists($local, $writer->get_all_stores())) {
    $writer->edit_store_instance($local, 'apcu', ['prefix' => $mh['prefix']]);
} else {
    $writer->add_store_instance($local, 'apcu', ['prefix' => $mh['prefix']]);
}
// The definitions as the tree declares them now (an upgrade or a new plugin may add some).
\core_cache\config_writer::update_definitions();
$writer = \core_cache\config_writer::instance();
$definitions = [];
foreach ($writer->get_definitions() as $id => $d) {
    try {
        $loaded = \core_cache\definition::load($id, $d);
        $d['requirements'] = $loaded->get_requirements_bin();
        $d['locking'] = $loaded->require_locking();
    } catch (\Throwable $e) {
        echo "MUC: definition $id left on the shared store (" . $e->getMessage() . ")\n";
        continue;
    }
    $definitions[$id] = $d;
}
$localstore = $writer->get_all_stores()[$local];
$features = (int) $localstore['features'];
// The class the factory makes for it (cache-factory.php): ours has locks, Moodle's has none.
$locks = in_array(\core_cache\lockable_cache_interface::class, class_implements(\moodleha\cache\factory::store_class($localstore['class'])), true);
$localIds = mh_muc_local_definitions($definitions, $features, $locks);
$changes = mh_muc_mapping_changes($localIds, $writer->get_definition_mappings(), $local, array_keys($writer->get_definitions()));
foreach ($changes as $id => $stores) {
    $writer->set_definition_mappings($id, $stores);
}
echo 'MUC: ' . count($localIds) . " caches on the node's own $local (" . count($changes) . ' mappings changed): ' . implode(' ', $localIds) . "\n";

// Moodle refuses outgoing requests (URL downloads, feeds, LTI) to these hosts; its default list has
// EC2's metadata address but not ECS's task endpoints, which hand out the task role's credentials.
$blocked = array_filter(array_map('trim', explode("\n", (string) get_config('core', 'curlsecurityblockedhosts'))));
if (!in_array('169.254.170.2', $blocked, true)) {
    $blocked[] = '169.254.170.2';
    set_config('curlsecurityblockedhosts', implode("\n", $blocked));
    echo "outgoing requests to 169.254.170.2 (ECS task endpoints) blocked\n";
}

// A purge only when this code meets the database for the first time (an install, an upgrade, a new
// image): the shared caches of files (cachedir: the component map among them) may be another code's.
// Never on the migrate of an up that changes no code (a config bundle, a scale, a no-op up): the purge
// sets localcachedirpurged, and every running node then empties its own localcachedir on its next
// request, under the requests it serves at that moment. Moodle's emptying races them (one request
// removes localcachedir/di while another compiles into it: "Compilation directory is not writable",
// a 500, seen about once a roll), and every node serves from cold caches after each up.
$previous = (string) get_config('core', 'moodleha_codehash');
if ($previous === $argv[1]) {
    echo "recorded code hash " . $argv[1] . ": unchanged, no cache purged\n";
} else {
    set_config('moodleha_codehash', $argv[1]);
    purge_caches(['muc' => false, 'theme' => false, 'lang' => false, 'js' => false, 'template' => false, 'filter' => false, 'other' => true]);
    echo "recorded code hash " . $argv[1] . ($previous === '' ? '' : " (was $previous)") . "; caches of files purged\n";
}
