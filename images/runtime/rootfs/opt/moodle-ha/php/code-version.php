<?php
// Run at image build: records the code's Moodle version and a hash over every version.php's
// version lines (core and plugins), so readiness can tell whether the database matches the code;
// and the plugins the spec left out of the tree (moodle.excludePlugins, comma-separated in $argv[2]),
// which the migrate report names as the reason they are missing from disk.
$root = rtrim($argv[1] ?? '/var/www/moodle', '/');
$excluded = array_values(array_filter(explode(',', $argv[2] ?? '')));
$lines = [];
$it = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($root, FilesystemIterator::SKIP_DOTS));
foreach ($it as $file) {
    if ($file->getFilename() !== 'version.php') {
        continue;
    }
    $rel = substr($file->getPathname(), strlen($root));
    if (preg_match('#/(tests|fixtures|vendor|node_modules)/#', $rel)) {
        continue;
    }
    $text = file_get_contents($file->getPathname());
    if (preg_match_all('/^\s*\$(?:plugin|module)?(?:->)?version\s*=\s*([0-9.]+)\s*;/m', $text, $m)) {
        $lines[] = $rel . '=' . implode(',', $m[1]);
    }
}
sort($lines);
$core = file_get_contents("$root/version.php");
preg_match('/^\s*\$version\s*=\s*([0-9.]+)\s*;/m', $core, $v);
preg_match("/^\s*\\\$release\s*=\s*'([^']+)'/m", $core, $r);
echo json_encode([
    'version' => $v[1] ?? null,
    'release' => $r[1] ?? null,
    'codehash' => hash('sha256', implode("\n", $lines)),
    'versionfiles' => count($lines),
    'excludedPlugins' => $excluded,
], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";
