<?php
// The site's defaults, written by migrate so the first page after an install is the dashboard, not
// "New settings": support address, timezone, country, language (MOODLE_SUPPORT_EMAIL,
// MOODLE_TIMEZONE, MOODLE_COUNTRY, MOODLE_LANG). A value is written when the setting is unset or
// the environment's value changed since the last migrate wrote it; a change an administrator made
// in the admin UI stays until then. The no-reply address and mail settings are forced by
// config.php instead. The MathJax filter loads MathJax from the node, not from Moodle's default
// CDN (see below). Ends by listing any setting Moodle would still ask for. Idempotent.
define('CLI_SCRIPT', true);
require('/var/www/moodle/config.php');
require_once($CFG->libdir . '/adminlib.php');

$adminemail = mh_env('MOODLE_ADMIN_EMAIL', 'admin@example.invalid');
$wanted = [
    'supportemail' => mh_env('MOODLE_SUPPORT_EMAIL', $adminemail),
    'timezone' => mh_env('MOODLE_TIMEZONE', 'UTC'),
    'country' => mh_env('MOODLE_COUNTRY', ''),
    'lang' => mh_env('MOODLE_LANG', 'en'),
];
if (!validate_email($wanted['supportemail'])) {
    mh_fail("MOODLE_SUPPORT_EMAIL must be an e-mail address, got '{$wanted['supportemail']}'");
}
if (!array_key_exists($wanted['timezone'], core_date::get_list_of_timezones(null, true))) {
    mh_fail("MOODLE_TIMEZONE must be a timezone Moodle knows, such as Europe/London or UTC, got '{$wanted['timezone']}'");
}
if ($wanted['country'] !== '' && !array_key_exists($wanted['country'], get_string_manager()->get_list_of_countries(true))) {
    mh_fail("MOODLE_COUNTRY must be an ISO 3166 two-letter code such as GB, got '{$wanted['country']}'");
}
if ($wanted['country'] === '') {
    unset($wanted['country']); // not given: Moodle's own default (none) stays
}
if (!mh_language_installed($wanted['lang'])) {
    unset($wanted['lang']);
}

$applied = json_decode((string) get_config('core', 'moodleha_sitedefaults'), true) ?: [];
foreach ($wanted as $name => $value) {
    $current = get_config('core', $name);
    $unset = $current === false || $current === '' || $current === null;
    if (!$unset && ($applied[$name] ?? null) === $value) {
        continue; // ours and unchanged, or an administrator's change to keep
    }
    if ($current !== $value) {
        set_config($name, $value);
        echo "site defaults: $name = $value" . ($unset ? '' : " (was $current)") . "\n";
    }
    $applied[$name] = $value;
}
set_config('moodleha_sitedefaults', json_encode($applied));

// MathJax: Moodle's default URL is a CDN (cdn.jsdelivr.net), which a site with no way out to the
// Internet cannot reach (every page then logs the failed script, and maths shows as TeX source).
// The image has the same MathJax release (Debian's libjs-mathjax 2.7.9), served by nginx under
// /moodle-ha/mathjax/ on every node; a path, so Moodle prefixes the site's wwwroot. Only Moodle's
// default is replaced: a URL an administrator chose stays.
const MH_MATHJAX_CDN = 'https://cdn.jsdelivr.net/npm/mathjax@2.7.9/MathJax.js';
const MH_MATHJAX_NODE = '/moodle-ha/mathjax/MathJax.js';
if (file_exists($CFG->dirroot . '/filter/mathjaxloader/version.php')) {
    $mathjax = get_config('filter_mathjaxloader', 'httpsurl');
    if ($mathjax === false || $mathjax === '' || $mathjax === MH_MATHJAX_CDN) {
        set_config('httpsurl', MH_MATHJAX_NODE, 'filter_mathjaxloader');
        echo 'site defaults: filter_mathjaxloader | httpsurl = ' . MH_MATHJAX_NODE . ' (MathJax from the node, was ' . ($mathjax ?: 'unset') . ")\n";
    }
}

// Settings added by an install or upgrade whose default Moodle could not write itself: the
// "New settings" page lists them. Defaults first (what that page's Save button writes), then what
// is still missing is named, so a migrate log shows it.
admin_apply_default_settings(null, false);
$missing = mh_new_settings(admin_get_root(true, false));
if ($missing) {
    echo 'site defaults: Moodle still asks for ' . implode(', ', $missing) . " (Site administration > Notifications)\n";
} else {
    echo "site defaults: no new setting left to ask for\n";
}

/** Is the language pack installed? If not, migrate tries to fetch it (needs download.moodle.org). */
function mh_language_installed(string $lang): bool {
    global $CFG;
    if (get_string_manager()->translation_exists($lang, false)) {
        return true;
    }
    require_once($CFG->dirroot . '/' . $CFG->admin . '/tool/langimport/lib.php');
    $controller = new \tool_langimport\controller();
    try {
        $controller->install_languagepacks($lang);
    } catch (\Throwable $e) {
        echo "site defaults: language pack $lang could not be installed: " . $e->getMessage() . "\n";
    }
    get_string_manager()->reset_caches();
    if (get_string_manager()->translation_exists($lang, false)) {
        echo "site defaults: language pack $lang installed\n";
        return true;
    }
    fwrite(STDERR, "moodle-ha: language pack '$lang' is not installed and could not be downloaded: the site's language stays "
        . get_config('core', 'lang') . ". Put the pack in moodledata/lang/$lang (air-gapped sites) or allow HTTPS to"
        . " download.moodle.org, then run migrate again.\n");
    return false;
}

/** Names of the settings that have no value yet (what admin/upgradesettings.php would show). */
function mh_new_settings(part_of_admin_tree $node): array {
    $names = [];
    if ($node instanceof admin_category) {
        foreach ($node->get_children() as $child) {
            $names = array_merge($names, mh_new_settings($child));
        }
    } else if ($node instanceof admin_settingpage) {
        foreach ($node->settings as $setting) {
            if ($setting->get_setting() === null) {
                $names[] = ($setting->plugin ? $setting->plugin . '/' : '') . $setting->name;
            }
        }
    }
    return $names;
}
