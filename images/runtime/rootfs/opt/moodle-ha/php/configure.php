<?php
// Cluster configuration written by code during migrate (never by clicks in the admin UI):
// a Redis cache store mapped to the MUC application and session modes (the request cache stays
// in memory), and the code hash that readiness compares. Idempotent.
define('CLI_SCRIPT', true);
require('/var/www/moodle/config.php');

$mh = mh_settings();
$store = 'moodleha_redis';
$configuration = [
    'server' => $mh['redishost'] . ':' . $mh['redisport'],
    'prefix' => $mh['redisprefix'],
    'password' => $mh['redispass'],
    'serializer' => defined('Redis::SERIALIZER_IGBINARY') ? Redis::SERIALIZER_IGBINARY : Redis::SERIALIZER_PHP,
    'compressor' => 0,
    'connectiontimeout' => 3,
    'encryption' => $mh['redistls'],
    'cafile' => '',
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

set_config('moodleha_codehash', $argv[1]);
purge_caches(['muc' => false, 'theme' => false, 'lang' => false, 'js' => false, 'template' => false, 'filter' => false, 'other' => true]);
echo "recorded code hash " . $argv[1] . "\n";
