<?php
// A web node's warm-up, inside its users' PHP-FPM (nginx serves it on 127.0.0.1:8081 only, which
// nothing outside the container reaches). What it builds is what users' requests then find: OPcache
// is shared by every worker of this FPM, and so is APCu, the node-local tier of Moodle's caches
// (muc-layout.php). warm-node.php asks for it while the node holds itself out of the load balancer.
//
//   /warm?budget=S   compile the hot list into OPcache, then load every component's strings into
//                    Moodle's string cache; stops when S seconds are used. JSON of what it did.
//   /warm?publish=1  add the scripts this node has compiled to the hot list. The hot list lives in
//                    the shared dataroot, so it is what the cluster's users actually ran, and a new
//                    node compiles it before its first user instead of during its first pages.
define('NO_MOODLE_COOKIES', true);
define('NO_DEBUG_DISPLAY', true);
define('NO_UPGRADE_CHECK', true);
require '/var/www/moodle/config.php';
require_once __DIR__ . '/precompile.php';
header('Content-Type: application/json');
header('Cache-Control: no-store');

/** At most this many scripts in the hot list: Moodle's hot set is about 2,000 (about 80 MB of OPcache's 256). */
const MH_HOT_MAX = 5000;

$started = microtime(true);
$root = rtrim(realpath($CFG->dirroot), '/') . '/';
$hotfile = $CFG->dataroot . '/moodle-ha/hot-scripts.txt';

/** The hot list: paths relative to the code root, each a PHP file (anything else in the file is ignored). */
function mh_hot_read(string $file): array {
    $lines = is_readable($file) ? file($file, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) : [];
    return array_values(array_filter($lines, fn($l) => preg_match('~^[A-Za-z0-9_./-]+\.php$~', $l) && !str_contains($l, '..')));
}

if (isset($_GET['publish'])) {
    $mine = [];
    foreach (array_keys(opcache_get_status(true)['scripts'] ?? []) as $path) {
        if (str_starts_with($path, $root)) {
            $mine[] = substr($path, strlen($root));
        }
    }
    $list = array_values(array_unique(array_merge($mine, mh_hot_read($hotfile))));
    $list = array_slice(array_values(array_filter($list, fn($rel) => is_file($root . $rel))), 0, MH_HOT_MAX);
    if (!is_dir(dirname($hotfile))) {
        @mkdir(dirname($hotfile), $CFG->directorypermissions, true);
    }
    // Another node may publish at the same moment: each writes its own file and renames it over.
    $tmp = $hotfile . '.' . gethostname() . '.tmp';
    $ok = file_put_contents($tmp, implode("\n", $list) . "\n") !== false && rename($tmp, $hotfile);
    http_response_code($ok ? 200 : 500);
    echo json_encode(['published' => $ok ? count($list) : 0, 'mine' => count($mine), 'file' => $hotfile]), "\n";
    exit;
}

$budget = max(1.0, min(120.0, (float) ($_GET['budget'] ?? 12)));
$deadline = $started + $budget;
$cut = false;

// OPcache: the scripts the cluster's users ran, compiled (not run) before the first user needs them;
// only those precompile.php allows (no class declared), the others compile on first use. The image
// build has baked the same ones of the whole tree: those are loaded from OPcache's file cache.
$scripts = ['listed' => 0, 'compiled' => 0, 'cached' => 0, 'missing' => 0, 'failed' => 0, 'declaring' => 0];
foreach (mh_hot_read($hotfile) as $rel) {
    $scripts['listed']++;
    if (microtime(true) > $deadline) {
        $cut = true;
        break;
    }
    $path = $root . $rel;
    if (opcache_is_script_cached($path)) {
        $scripts['cached']++;
    } else if (!is_file($path)) {
        $scripts['missing']++;
    } else {
        try {
            if (!mh_precompilable((string) file_get_contents($path))) {
                $scripts['declaring']++;
                continue;
            }
            opcache_compile_file($path) ? $scripts['compiled']++ : $scripts['failed']++;
        } catch (Throwable $e) {
            $scripts['failed']++;
        }
    }
}

// Moodle's string cache (APCu on this node): every component's strings in the site's language.
$strings = 0;
if (!$cut) {
    $lang = $CFG->lang ?? 'en';
    $components = ['moodle'];
    foreach (core_component::get_plugin_types() as $type => $unused) {
        foreach (core_component::get_plugin_list($type) as $name => $unused2) {
            $components[] = $type . '_' . $name;
        }
    }
    $sm = get_string_manager();
    foreach ($components as $component) {
        if (microtime(true) > $deadline) {
            $cut = true;
            break;
        }
        $sm->load_component_strings($component, $lang);
        $strings++;
    }
}

$status = opcache_get_status(false);
echo json_encode([
    'scripts' => $scripts,
    'strings' => $strings,
    'cut' => $cut,
    'seconds' => round(microtime(true) - $started, 2),
    'opcache' => ['scripts' => $status['opcache_statistics']['num_cached_scripts'] ?? 0, 'usedMb' => round(($status['memory_usage']['used_memory'] ?? 0) / 1048576, 1)],
    'apcuEntries' => function_exists('apcu_cache_info') ? (apcu_cache_info(true)['num_entries'] ?? 0) : 0,
], JSON_UNESCAPED_SLASHES), "\n";
