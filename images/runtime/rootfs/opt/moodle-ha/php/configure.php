<?php
// Cluster configuration written by code during migrate (never by clicks in the admin UI):
// a Redis cache store mapped to the MUC application and session modes (the request cache stays
// in memory) on the caches' server (MOODLE_CACHE_REDIS_*, else the sessions' server), and the
// code hash that readiness compares. Idempotent.
define('CLI_SCRIPT', true);
require('/var/www/moodle/config.php');

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
    \core_cache\store::MODE_SESSION => [$store],
    \core_cache\store::MODE_REQUEST => ['default_request'],
]);
echo "MUC: application and session caches mapped to $store\n";

// Moodle refuses outgoing requests (URL downloads, feeds, LTI) to these hosts; its default list has
// EC2's metadata address but not ECS's task endpoints, which hand out the task role's credentials.
$blocked = array_filter(array_map('trim', explode("\n", (string) get_config('core', 'curlsecurityblockedhosts'))));
if (!in_array('169.254.170.2', $blocked, true)) {
    $blocked[] = '169.254.170.2';
    set_config('curlsecurityblockedhosts', implode("\n", $blocked));
    echo "outgoing requests to 169.254.170.2 (ECS task endpoints) blocked\n";
}

set_config('moodleha_codehash', $argv[1]);
purge_caches(['muc' => false, 'theme' => false, 'lang' => false, 'js' => false, 'template' => false, 'filter' => false, 'other' => true]);
echo "recorded code hash " . $argv[1] . "\n";
