<?php
// The tiered MUC layout, as pure functions (no Moodle: unit-tested with php-cli, test/unit/muc-layout.test.ts).
// configure.php feeds them the cache definitions Moodle itself loaded from the tree (core's
// lib/db/caches.php and every plugin's db/caches.php), so plugins and future versions are covered.
//
// A definition goes to the node's own store when it declares 'canuselocalstore' => true (Moodle's
// promise that copies on several nodes stay correct without anyone purging them: the keys or
// versions carry a revision kept in the database, e.g. langrev for strings, course.cacherev for
// course module info, allversionshash for plugin functions), it is an application cache (session
// caches follow the user to any node, so they stay shared), and the local store has every feature
// the definition requires. A definition that requires locking (coursemodinfo: its builders take a
// lock before they write) goes local only to a store with locks of its own: without them Moodle
// falls back to a file lock that never waits (cachelock_file, asked with $block = false), so when
// two requests build the same course at once, one of them fails with "Unable to acquire a lock for
// caching"; a new node's first users, or every node after a course edit, do exactly that. The
// image's APCu store has locks that wait (cache-apcu-store.php), so coursemodinfo goes local too;
// configure.php tells this file which store has them. A few core caches built from the code and
// schema alone go local too (MH_MUC_CODE_DERIVED, each with its reasons). Everything else stays on
// the mode's shared store (Redis).

/** Bits of core_cache\store's modes and features, repeated here so this file needs no Moodle. */
const MH_MUC_MODE_APPLICATION = 1;

/**
 * Core application caches that do not declare canuselocalstore but whose content comes from the
 * code and the database schema alone, which change only when migrate installs or upgrades (then
 * every node is replaced: a fresh APCu) or when a plugin is uninstalled. Each is read on most
 * pages, and each read from Redis is a round trip (issue 10's perfdebug figures: 9 of a
 * dashboard's 35 Redis operations). Moodle's own invalidation is a delete on the node that
 * changed something, so each was checked for what deletes it:
 * - core/databasemeta: a table's columns; purged by DDL (install, upgrade, uninstall). After an
 *   uninstall the other nodes still know the dropped tables' columns, which nothing asks for.
 * - core/capabilities: the capability definitions from every plugin's db/access.php; deleted by
 *   update_capabilities() and capabilities_cleanup() (install, upgrade, uninstall). After an
 *   uninstall the other nodes still list its capabilities, which no role grants any more.
 * - core/fontawesomeiconmapping: the icon map from the plugins' callbacks (code); purged by
 *   "purge all caches" only.
 * - core/yuimodules: YUI module metadata and config functions read from the tree's files, keyed
 *   by file, only while jsrev is not -1 (not the theme designer's mode).
 * Left shared on purpose: core/observers (after an uninstall another node would still call a
 * removed plugin's observers, whose tables are gone), core/plugin_manager (enabling a plugin
 * purges it on one node), core/config and every cache set while users work.
 */
const MH_MUC_CODE_DERIVED = ['core/capabilities', 'core/databasemeta', 'core/fontawesomeiconmapping', 'core/yuimodules'];

/**
 * The ids of the definitions that belong in the node-local store: those that declare
 * canuselocalstore, and the code-derived core ones (MH_MUC_CODE_DERIVED).
 *
 * @param array<string, array> $definitions Moodle's definitions by id, each with 'mode', optionally
 *     'canuselocalstore', 'requirements' (the bits definition::get_requirements_bin() gives) and
 *     'locking' (definition::require_locking())
 * @param int $localFeatures the local store's supported features (store::get_supported_features())
 * @param bool $localLocks the local store has locks of its own (implements lockable_cache_interface)
 * @return string[] sorted ids
 */
function mh_muc_local_definitions(array $definitions, int $localFeatures, bool $localLocks = false): array {
    $local = [];
    foreach ($definitions as $id => $d) {
        $requirements = (int) ($d['requirements'] ?? 0);
        if ((!empty($d['canuselocalstore']) || in_array((string) $id, MH_MUC_CODE_DERIVED, true))
            && (int) ($d['mode'] ?? 0) === MH_MUC_MODE_APPLICATION
            && ($requirements & $localFeatures) === $requirements
            && (empty($d['locking']) || $localLocks)) {
            $local[] = (string) $id;
        }
    }
    sort($local);
    return $local;
}

/**
 * The definition mappings to write so that exactly $local is mapped to $store: each changed
 * definition with its new list of stores (['store'] or [] for the mode's default). A definition
 * mapped to $store that no longer belongs there (its plugin dropped canuselocalstore) goes back to
 * the default; mappings to other stores are left alone. Empty when the config is already right.
 *
 * @param string[] $local ids that belong in $store
 * @param array<int, array{definition: string, store: string}> $mappings the config's definition mappings
 * @param string[] $known every definition id in the config (mappings of unknown ids are Moodle's to drop)
 * @return array<string, string[]>
 */
function mh_muc_mapping_changes(array $local, array $mappings, string $store, array $known): array {
    $current = [];
    foreach ($mappings as $m) {
        $current[$m['definition']][] = $m['store'];
    }
    $changes = [];
    foreach ($local as $id) {
        if (($current[$id] ?? []) !== [$store]) {
            $changes[$id] = [$store];
        }
    }
    foreach ($current as $id => $stores) {
        if (!in_array($id, $local, true) && in_array($id, $known, true) && in_array($store, $stores, true)) {
            $changes[$id] = array_values(array_diff($stores, [$store]));
        }
    }
    ksort($changes);
    return $changes;
}
