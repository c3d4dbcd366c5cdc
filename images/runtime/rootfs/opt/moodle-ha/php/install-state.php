<?php
// What the database holds of a Moodle install: nothing, a complete install, or one that stopped
// half-way (its process killed: a container removed or crashed, a machine down). Read by
// migrate.php (under its lock: it installs, upgrades, refuses or reinstalls by it) and by the
// CLI's `migrate status` / `status` (through src/local/migrate-status.ts).
//
// How Moodle 4.5 marks an install (admin/cli/install_database.php → install_cli_database()):
//   1. install_core() creates the core tables from lib/db/install.xml (no config table yet, or
//      one without rows), then upgrade_started() sets config `upgraderunning` (now + 300 s);
//   2. xmldb_main_install() writes the default config rows, `rolesactive` = 0 among them, and the
//      admin and guest accounts; upgrade_main_savepoint() stores `version`;
//   3. upgrade_noncore() installs every plugin; the admin password and email are set;
//   4. set_config('rolesactive', 1) ("indicate that this site is fully configured") and
//      upgrade_finished() unsets `upgraderunning`.
// So an install is complete exactly when `rolesactive` is 1. Without it, a site serves nobody
// (no capability is granted), and admin/cli/upgrade.php would "upgrade" it into a broken site.

/** The tables with the site's prefix (`_` in it matched as itself, not as LIKE's wildcard). */
function mh_prefix_tables(mysqli $db, string $prefix): array {
    $like = $db->real_escape_string(addcslashes($prefix, '\\_%')) . '%';
    $tables = [];
    $res = $db->query("SHOW TABLES LIKE '$like'");
    while ($res && ($row = $res->fetch_row())) {
        $tables[] = $row[0];
    }
    return $tables;
}

/** The facts, read with `$db` (a mysqli connection to the cluster's database). */
function mh_install_facts(mysqli $db, string $prefix, string $adminuser): array {
    $tables = mh_prefix_tables($db, $prefix);
    $has = fn(string $t) => in_array($prefix . $t, $tables, true);
    $config = [];
    if ($has('config')) {
        $t = $db->real_escape_string($prefix . 'config');
        $res = $db->query("SELECT name, value FROM `$t` WHERE name IN ('version', 'release', 'rolesactive', 'upgraderunning', 'siteguest')");
        while ($res && ($row = $res->fetch_assoc())) {
            $config[$row['name']] = $row['value'];
        }
    }
    $count = function (string $table, string $where) use ($db, $prefix, $has): int {
        if (!$has($table)) {
            return 0;
        }
        $t = $db->real_escape_string($prefix . $table);
        $res = $db->query("SELECT COUNT(*) FROM `$t` WHERE $where");
        return $res ? (int) $res->fetch_row()[0] : 0;
    };
    $accounts = implode(', ', array_map(fn($u) => "'" . $db->real_escape_string($u) . "'", array_unique(['admin', 'guest', $adminuser])));
    return [
        'tables' => count($tables),
        'configTable' => $has('config'),
        'config' => $config,
        'data' => [
            // Accounts other than the two the installer makes (admin, under the spec's name, and guest).
            'users' => $count('user', "deleted = 0 AND username NOT IN ($accounts)"),
            // Courses other than the site course (format 'site', made by the installer).
            'courses' => $count('course', "format <> 'site'"),
            // Any stored file but those an install itself stores (directory entries, filename '.', hold nothing).
            'files' => $count('files', "filename <> '.' AND NOT " . MH_INSTALLER_FILES),
        ],
        'fileAreas' => mh_file_areas($db, $prefix, $has('files')),
    ];
}

/**
 * The files Moodle 4.5's install stores itself: assignfeedback_editpdf's default stamps
 * (mod/assign/feedback/editpdf/db/install.php). They are nobody's data.
 */
const MH_INSTALLER_FILES = "(component = 'assignfeedback_editpdf' AND filearea = 'stamps' AND filename IN ('smile.png', 'sad.png', 'tick.png', 'cross.png'))";

/** Where the stored files counted as data are, as "component/filearea: n" (the 5 largest), so a refusal can say what it found. */
function mh_file_areas(mysqli $db, string $prefix, bool $hasFiles): array {
    if (!$hasFiles) {
        return [];
    }
    $t = $db->real_escape_string($prefix . 'files');
    $res = $db->query("SELECT component, filearea, COUNT(*) AS n FROM `$t` WHERE filename <> '.' AND NOT " . MH_INSTALLER_FILES . " GROUP BY component, filearea ORDER BY n DESC LIMIT 5");
    $areas = [];
    while ($res && ($row = $res->fetch_assoc())) {
        $areas[] = "{$row['component']}/{$row['filearea']}: {$row['n']}";
    }
    return $areas;
}

/**
 * The verdict on the facts. Pure.
 * state: 'empty' (no table with the prefix), 'complete', or 'interrupted' (an install stopped
 * half-way); detail: what the database holds, in words; found: the data a reinstall would delete
 * (mh_install_data_found); upgradeRunning: config `upgraderunning`
 * is set (an install or upgrade runs, or was interrupted, until the time it holds).
 */
function mh_install_state(array $f): array {
    $config = $f['config'] ?? [];
    $flag = isset($config['upgraderunning']) ? ' (upgraderunning is set)' : '';
    $data = $f['data'] ?? ['users' => 0, 'courses' => 0, 'files' => 0];
    $base = ['data' => $data, 'found' => mh_install_data_found($data, $f['fileAreas'] ?? []), 'upgradeRunning' => isset($config['upgraderunning'])];
    if (($f['tables'] ?? 0) === 0) {
        return $base + ['state' => 'empty', 'detail' => 'no Moodle table: nothing installed'];
    }
    if (empty($f['configTable'])) {
        return $base + ['state' => 'interrupted', 'detail' => "{$f['tables']} tables but no config table: the install stopped while creating the core tables"];
    }
    if (!isset($config['version'])) {
        return $base + ['state' => 'interrupted', 'detail' => "{$f['tables']} tables, but the config table has no version: the install stopped in the core install$flag"];
    }
    if ((string) ($config['rolesactive'] ?? '') !== '1') {
        return $base + ['state' => 'interrupted', 'detail' => "core version {$config['version']} is stored but rolesactive is not 1: the install stopped before it finished (plugins, the admin account or site settings are missing)$flag"];
    }
    return $base + ['state' => 'complete', 'detail' => "Moodle " . ($config['release'] ?? '?') . " installed$flag"];
}

/** What of the data a reinstall would delete is there, in words ([] when none: the site holds nothing of anyone's). Pure. */
function mh_install_data_found(array $data, array $fileAreas = []): array {
    $found = [];
    if (($data['users'] ?? 0) > 0) {
        $found[] = "{$data['users']} user account(s) besides admin and guest";
    }
    if (($data['courses'] ?? 0) > 0) {
        $found[] = "{$data['courses']} course(s) besides the site course";
    }
    if (($data['files'] ?? 0) > 0) {
        $found[] = "{$data['files']} stored file(s)" . ($fileAreas ? ' (' . implode(', ', $fileAreas) . ')' : '');
    }
    return $found;
}
