<?php
// The migrate report: what a migrate changed, as lines for people (in its log: `migrate log`, the
// AWS migrate task's log group) and as one line "MIGRATE-REPORT {json}" that moodle-ha reads
// (src/contract/migrate-report.ts): Moodle's version from → to, the plugins upgraded (from → to),
// installed and uninstalled, and those missing from disk: installed in the database but absent from
// the code (left out by moodle.excludePlugins, or gone from the tree). Moodle lists those on
// admin/plugins.php as "Missing from disk"; their settings and data stay in the database, unused.
//
// migrate.php requires this file: before it installs or upgrades, mh_report_snapshot() reads the
// database's versions (SQL only: Moodle cannot start on an empty or not yet upgraded database);
// once it is done, mh_report_run() runs this file as a script, which starts Moodle, asks its plugin
// manager what is installed and what is on disk, and prints the report:
//   php migrate-report.php SNAPSHOT_FILE ACTION      ACTION: installed, upgraded or unchanged
// A report that cannot be made never fails the migrate: migrate.php goes on, with a warning.

const MH_REPORT_MARK = 'MIGRATE-REPORT';
const MH_REPORT_SCHEMA = 'moodle-ha.migrate-report/1';
const MH_REPORT_PREFIX = 'migrate-report: ';

/** The database's Moodle version and plugin versions (config_plugins), read with SQL; moodle null on an empty database. */
function mh_report_snapshot(mysqli $db, string $prefix): array {
    $config = $db->real_escape_string($prefix . 'config');
    $plugins = $db->real_escape_string($prefix . 'config_plugins');
    $core = [];
    $res = @$db->query("SELECT name, value FROM `$config` WHERE name IN ('version', 'release')");
    while ($res && ($row = $res->fetch_assoc())) {
        $core[$row['name']] = $row['value'];
    }
    $versions = [];
    $res = @$db->query("SELECT plugin, value FROM `$plugins` WHERE name = 'version'");
    while ($res && ($row = $res->fetch_assoc())) {
        $versions[$row['plugin']] = (string) $row['value'];
    }
    ksort($versions);
    return ['moodle' => isset($core['version']) ? ['release' => $core['release'] ?? '?', 'version' => (string) $core['version']] : null, 'plugins' => $versions];
}

/**
 * The report, from the snapshot before ($before), the database after ($after, the same shape), the
 * plugin manager's view ($plugins: component => [status, standard]) and the components the image
 * left out ($excluded). The standard plugins a fresh install puts in are counted, not listed. Pure.
 */
function mh_report(string $action, array $before, array $after, array $plugins, array $excluded): array {
    $fresh = $before['moodle'] === null;
    $upgraded = $installed = $uninstalled = $missing = [];
    $standardInstalled = 0;
    $standard = fn(string $c): bool => (bool) ($plugins[$c]['standard'] ?? false);
    foreach ($after['plugins'] as $c => $version) {
        $was = $before['plugins'][$c] ?? null;
        if ($was === null) {
            if ($fresh && $standard($c)) {
                $standardInstalled++;
            } else {
                $installed[] = ['component' => $c, 'version' => (string) $version, 'standard' => $standard($c)];
            }
        } else if ((string) $was !== (string) $version) {
            $upgraded[] = ['component' => $c, 'from' => (string) $was, 'to' => (string) $version, 'standard' => $standard($c)];
        }
        if (($plugins[$c]['status'] ?? '') === 'missing') {
            $missing[] = ['component' => $c, 'version' => (string) $version, 'excluded' => in_array($c, $excluded, true)];
        }
    }
    foreach ($before['plugins'] as $c => $was) {
        if (!isset($after['plugins'][$c])) {
            $uninstalled[] = ['component' => $c, 'version' => (string) $was, 'standard' => $standard($c)];
        }
    }
    $by = fn(array $a, array $b): int => strcmp($a['component'], $b['component']);
    foreach ([&$upgraded, &$installed, &$uninstalled, &$missing] as &$list) {
        usort($list, $by);
    }
    unset($list);
    return [
        'schema' => MH_REPORT_SCHEMA,
        'action' => $action,
        'moodle' => ['from' => $before['moodle'], 'to' => $after['moodle']],
        'upgraded' => $upgraded,
        'installed' => $installed,
        'standardInstalled' => $standardInstalled,
        'uninstalled' => $uninstalled,
        'missing' => $missing,
    ];
}

/** The report as lines for the log (without their prefix). Pure. */
function mh_report_lines(array $r): array {
    $release = fn(array $m): string => "{$m['release']} ({$m['version']})";
    $from = $r['moodle']['from'];
    $to = $r['moodle']['to'];
    $lines = [];
    if ($from === null) {
        $lines[] = "Moodle {$release($to)} installed" . ($r['standardInstalled'] ? ", with its {$r['standardInstalled']} standard plugins" : '');
    } else if ((float) $from['version'] !== (float) $to['version'] || $from['release'] !== $to['release']) {
        $lines[] = "Moodle {$release($from)} -> {$release($to)}";
    } else {
        $lines[] = "Moodle {$release($to)}, unchanged";
    }
    foreach ($r['upgraded'] as $p) {
        $lines[] = "upgraded: {$p['component']} {$p['from']} -> {$p['to']}";
    }
    foreach ($r['installed'] as $p) {
        $lines[] = "installed: {$p['component']} {$p['version']}";
    }
    foreach ($r['uninstalled'] as $p) {
        $lines[] = "uninstalled: {$p['component']} (was {$p['version']})";
    }
    foreach ($r['missing'] as $p) {
        $lines[] = "missing from disk: {$p['component']} (version {$p['version']} in the database)" . ($p['excluded'] ? ', left out of the image by moodle.excludePlugins' : '');
    }
    if ($r['missing']) {
        $lines[] = 'missing from disk means: Moodle lists these on admin/plugins.php as "Missing from disk"; their settings and data stay in the database, unused. '
            . 'Put the plugin back in the tree (or take it out of moodle.excludePlugins), or uninstall it (its data goes): admin/plugins.php, or '
            . 'php admin/cli/uninstall_plugins.php --plugins=' . implode(',', array_column($r['missing'], 'component')) . ' --run';
    }
    $lines[] = count($r['upgraded']) . ' upgraded, ' . (count($r['installed']) + $r['standardInstalled']) . ' installed, '
        . count($r['uninstalled']) . ' uninstalled, ' . count($r['missing']) . ' missing from disk';
    return $lines;
}

/** The report's lines and its machine-readable line, as printed. Pure. */
function mh_report_text(array $r): string {
    $out = '';
    foreach (mh_report_lines($r) as $l) {
        $out .= MH_REPORT_PREFIX . $l . "\n";
    }
    return $out . MH_REPORT_MARK . ' ' . json_encode($r, JSON_UNESCAPED_SLASHES) . "\n";
}

/** Runs this file as a script (Moodle started in its own process) with $before; true when it printed a report. */
function mh_report_run(array $before, string $action): bool {
    $file = tempnam(sys_get_temp_dir(), 'mh-report-');
    if ($file === false || file_put_contents($file, json_encode($before)) === false) {
        return false;
    }
    $cmd = implode(' ', array_map('escapeshellarg', ['php', __FILE__, $file, $action]));
    $proc = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => STDERR, 2 => STDERR], $pipes);
    $rc = $proc === false ? 127 : proc_close($proc);
    @unlink($file);
    return $rc === 0;
}

/** The report of Moodle's view now (Moodle started: $CFG, $DB), against the snapshot $before. */
function mh_report_now(array $before, string $action): array {
    global $CFG, $DB;
    core_plugin_manager::reset_caches();
    $plugins = [];
    foreach (core_plugin_manager::instance()->get_plugins() as $list) {
        foreach ($list as $p) {
            $plugins[$p->component] = ['status' => $p->get_status(), 'standard' => $p->is_standard()];
        }
    }
    $versions = array_map('strval', $DB->get_records_menu('config_plugins', ['name' => 'version'], 'plugin', 'plugin, value'));
    $after = ['moodle' => ['release' => (string) $CFG->release, 'version' => (string) $CFG->version], 'plugins' => $versions];
    $code = json_decode((string) @file_get_contents('/opt/moodle-ha/code-version.json'), true) ?: [];
    return mh_report($action, $before, $after, $plugins, $code['excludedPlugins'] ?? []);
}

// The script (not when migrate.php requires this file). Moodle's config.php is required at the top
// level, as Moodle expects.
if (PHP_SAPI === 'cli' && isset($_SERVER['SCRIPT_FILENAME']) && realpath($_SERVER['SCRIPT_FILENAME']) === __FILE__) {
    $mhBefore = json_decode((string) @file_get_contents($argv[1] ?? ''), true);
    $mhAction = $argv[2] ?? '';
    if (!is_array($mhBefore) || !in_array($mhAction, ['installed', 'upgraded', 'unchanged'], true)) {
        fwrite(STDERR, MH_REPORT_PREFIX . "usage: php migrate-report.php SNAPSHOT_FILE installed|upgraded|unchanged\n");
        exit(64);
    }
    define('CLI_SCRIPT', true);
    require('/var/www/moodle/config.php');
    echo mh_report_text(mh_report_now($mhBefore, $mhAction));
    exit(0);
}
