<?php
// A web node warms itself before the load balancer sends it users (moodle-ha-entrypoint runs this
// in the background as the node starts). While the flag file exists, /healthz (the load balancer's
// check, HAProxy's and the ALB's) and /readyz answer 503, so no user reaches a cold node:
//   1. warm.php, inside the users' PHP-FPM: the cluster's hot list into OPcache, every component's
//      strings into the node's APCu string cache;
//   2. the first pages every visitor loads, through this node's nginx as a browser asks for them:
//      the login page, its theme CSS, and its JavaScript (the files Moodle builds into the node's
//      localcachedir on first use). Each must decode as sent (gzip), or the log says which did not;
//   3. the flag is removed. A warm-up that fails or runs out of its budget (MOODLE_WARM_SECONDS,
//      src/contract/timeouts.ts) never keeps the node out: it logs why and the node serves cold.
// `warm-node.php publish` adds the scripts this node has compiled to the cluster's hot list.
require_once('/opt/moodle-ha/php/env.php');

const MH_WARM_FLAG = '/run/moodle-ha/warming';

function mh_log(string $message): void {
    fwrite(STDERR, "moodle-ha[warm]: $message\n");
}

/**
 * One GET; returns [status, headers (lower-case names), body, seconds]: status 0 when no answer
 * came; the body as a browser reads it (gzip decoded), false when it cannot be decoded.
 */
function mh_get(string $url, array $headers, float $timeout): array {
    $t0 = microtime(true);
    $context = stream_context_create(['http' => [
        'method' => 'GET',
        'header' => implode("\r\n", $headers),
        'timeout' => max(0.5, $timeout),
        'ignore_errors' => true,
        'follow_location' => 0,
    ]]);
    $body = @file_get_contents($url, false, $context);
    $status = 0;
    $out = [];
    foreach ($http_response_header ?? [] as $line) {
        if (preg_match('~^HTTP/\S+ (\d{3})~', $line, $m)) {
            $status = (int) $m[1];
        } else if (str_contains($line, ':')) {
            [$name, $value] = explode(':', $line, 2);
            $out[strtolower(trim($name))] = trim($value);
        }
    }
    $body = $body === false ? '' : $body;
    if (($out['content-encoding'] ?? '') === 'gzip') {
        $body = @gzdecode($body);
    }
    return [$status, $out, $body, microtime(true) - $t0];
}

/** The request headers of a visitor of the site (Moodle redirects a request for another host). */
function mh_site_headers(string $wwwroot): array {
    $site = parse_url($wwwroot);
    $headers = ['Host: ' . $site['host'] . (isset($site['port']) ? ':' . $site['port'] : ''), 'Accept-Encoding: gzip', 'User-Agent: moodle-ha-warm'];
    if (($site['scheme'] ?? 'http') === 'https') {
        $headers[] = 'X-Forwarded-Proto: https';
    }
    return $headers;
}

$command = $argv[1] ?? 'warm';
$internal = 'http://127.0.0.1:8081/warm';

if ($command === 'publish') {
    [$status, , $body] = mh_get($internal . '?publish=1', mh_site_headers(mh_settings()['wwwroot']), 30);
    if ($status !== 200) {
        mh_log("publishing the hot list failed (HTTP $status): " . trim(substr((string) $body, 0, 300)));
        exit(1);
    }
    exit(0);
}
if ($command !== 'warm') {
    mh_log("unknown command '$command' (warm or publish)");
    exit(64);
}

$started = microtime(true);
$budget = mh_env('MOODLE_WARM_SECONDS', '20');
if (!ctype_digit($budget) || (int) $budget > 120) {
    mh_fail("MOODLE_WARM_SECONDS must be a whole number of seconds from 0 (no warm-up) to 120, got '$budget'");
}
$budget = (float) $budget;
if ($budget === 0.0) {
    mh_log('no warm-up (MOODLE_WARM_SECONDS=0): the node takes users cold');
    exit(0);
}
$left = fn() => $budget - (microtime(true) - $started);
$done = [];
try {
    $mh = mh_settings();
    $path = rtrim((string) parse_url($mh['wwwroot'], PHP_URL_PATH), '/');
    $headers = mh_site_headers($mh['wwwroot']);

    // nginx and PHP-FPM start beside this script.
    while ($left() > 0 && @fsockopen('127.0.0.1', 8081, $errno, $errstr, 0.5) === false) {
        usleep(100_000);
    }

    // 1. Inside PHP-FPM: OPcache from the hot list, the string cache. Up to 60 % of the budget.
    do {
        [$status, , $body] = mh_get($internal . '?budget=' . round($budget * 0.6, 1), $headers, $left());
    } while (($status === 0 || $status === 502) && $left() > $budget * 0.7 && usleep(200_000) === null);
    $inside = json_decode((string) $body, true);
    if ($status !== 200 || !is_array($inside)) {
        throw new RuntimeException("the warm-up inside PHP-FPM answered HTTP $status: " . trim(substr(strip_tags((string) $body), 0, 300)));
    }
    $s = $inside['scripts'];
    $done[] = sprintf('OPcache %d scripts (%d of the hot list\'s %d compiled now, %d missing), %d string sets%s',
        $inside['opcache']['scripts'], $s['compiled'], $s['listed'], $s['missing'], $inside['strings'], $inside['cut'] ? ' (budget reached)' : '');

    // 2. The pages and files every visitor loads first, as a browser asks for them.
    $base = "http://127.0.0.1:8080$path";
    [$status, , $page, $secs] = mh_get("$base/login/index.php", $headers, $left());
    if ($status !== 200 || $page === false) {
        throw new RuntimeException("the login page answered HTTP $status");
    }
    $done[] = sprintf('login page %.2f s', $secs);
    preg_match_all('~(?:href|src)="([^"]+/(?:theme/styles\.php|lib/javascript\.php)/[^"]+)"~', $page, $m);
    $urls = array_map(fn($u) => html_entity_decode($u), $m[1]);
    if (preg_match('~"jsrev":"(-?\d+)"~', $page, $rev) && (int) $rev[1] > 0) {
        $urls[] = $mh['wwwroot'] . '/lib/requirejs.php/' . $rev[1] . '/core/first.js';
    }
    $urls = array_unique($urls);
    $bytes = 0;
    $broken = [];
    foreach ($urls as $url) {
        if ($left() <= 0) {
            $done[] = 'budget reached before ' . $url;
            break;
        }
        if (!str_starts_with($url, $mh['wwwroot'] . '/')) {
            continue;
        }
        [$status, , $plain] = mh_get($base . substr($url, strlen($mh['wwwroot'])), $headers, $left());
        if ($status !== 200 || $plain === false) {
            $broken[] = "$url (HTTP $status" . ($plain === false ? ', its gzip body does not decode' : '') . ')';
        } else {
            $bytes += strlen($plain);
        }
    }
    $done[] = sprintf('CSS and JavaScript %d files, %.1f MB', count($urls) - count($broken), $bytes / 1048576);
    if ($broken) {
        mh_log('ERROR: a file browsers load is broken as served: ' . implode('; ', $broken));
    }
    mh_log(sprintf('warm in %.1f s: %s', microtime(true) - $started, implode('; ', $done)));
} catch (Throwable $e) {
    mh_log(sprintf('warm-up stopped after %.1f s (%s); the node serves without it%s', microtime(true) - $started, $e->getMessage(), $done ? ' (done: ' . implode('; ', $done) . ')' : ''));
} finally {
    @unlink(MH_WARM_FLAG);
}
