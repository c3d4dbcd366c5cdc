<?php
// Run at image build, as the server user: compiles the code's PHP scripts into OPcache's file cache
// (/var/cache/opcache, opcache.file_cache in php.ini), so a new container's PHP-FPM loads them
// instead of compiling them: the warm-up of a node that autoscaling adds, which compiles the
// cluster's hot list before the node takes users, and the first pages of every script the hot
// list does not name.
//
//   php opcache-bake.php <root>   bakes, prints a summary; exit 1 when nothing was baked
//
// The scripts are compiled by PHP-FPM itself, started here for the build with the image's own
// settings (only its shared memory larger, to hold the whole tree): the cache a PHP-FPM writes is
// what a PHP-FPM reads, as when a node that crashed is started again. One that this CLI wrote
// instead (opcache_compile_file under `php`, with or without opcache.file_cache_only) made every
// PHP-FPM worker of the real tree die on the login page with SIGSEGV (PHP 8.2, Debian bookworm),
// though the CLI itself ran Moodle's setup from it.
//
// Only the scripts precompile.php allows (no class declared: a class file compiled ahead left
// classes undeclared, and the login and every admin page failed): 5,674 of the real tree's 15,207,
// 171.2 MB. Left out too: Moodle's copies of the AWS and Google SDKs (lib/aws-sdk, lib/google),
// 1,479 of those (119.9 MB, the SDKs' data arrays), loaded only by those integrations: they
// compile on first use, as before. What is baked: 4,195 scripts, 51.3 MB, 3.2 s.
//
// The compiler keeps each file's top-level functions declared for the rest of the request: a later
// file declaring the same name (Moodle has such pairs: mdie() in lib/weblib.php and
// admin/mailout-debugger.php) fails to compile in that request ("Cannot redeclare"), though it
// compiles alone. So what a request could not compile goes to the next request, again and again;
// a script that fails first in a request is not baked (it compiles on first use, as before).
require_once __DIR__ . '/precompile.php';

const EXCLUDED = ['lib/aws-sdk/', 'lib/google/'];
const FPM = '/usr/sbin/php-fpm8.2';
const WORK = '/tmp/opcache-bake';

$root = rtrim($argv[1] ?? ($_SERVER['BAKE_ROOT'] ?? '/var/www/moodle'), '/');

/** The scripts to bake, sorted (the same numbering in the driver and in PHP-FPM). */
function scripts(string $root): array {
    $out = [];
    $it = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($root, FilesystemIterator::SKIP_DOTS));
    foreach ($it as $file) {
        if (substr($file->getFilename(), -4) !== '.php') {
            continue;
        }
        $rel = substr($file->getPathname(), strlen($root) + 1);
        foreach (EXCLUDED as $prefix) {
            if (strncmp($rel, $prefix, strlen($prefix)) === 0) {
                continue 2;
            }
        }
        if (mh_precompilable((string) file_get_contents($file->getPathname()))) {
            $out[] = $file->getPathname();
        }
    }
    sort($out);
    return $out;
}

// Inside PHP-FPM: compile the scripts whose numbers the driver wrote, answer those that failed.
if (PHP_SAPI === 'fpm-fcgi') {
    $list = scripts($root);
    $failed = [];
    $at = fopen(WORK . '/at', 'c');
    foreach (file(WORK . '/todo', FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) as $i) {
        // Told before each script: when the worker dies on it, the driver knows which one.
        ftruncate($at, 0);
        rewind($at);
        fwrite($at, $i);
        fflush($at);
        if (!@opcache_compile_file($list[(int) $i])) {
            $failed[] = (int) $i;
        }
    }
    header('Content-Type: text/plain');
    echo implode("\n", $failed);
    exit(0);
}

function fail(string $why): void {
    fwrite(STDERR, "opcache-bake: $why\n");
    exit(1);
}

/** One FastCGI request to PHP-FPM's socket (the responder role); returns its body, null when the worker died in it. */
function fastcgi(string $socket, array $params): ?string {
    $s = @stream_socket_client("unix://$socket", $errno, $error, 10);
    if (!$s) {
        fail("cannot reach PHP-FPM at $socket: $error");
    }
    stream_set_timeout($s, 600);
    $record = fn(int $type, string $content) => pack('CCnnCx', 1, $type, 1, strlen($content), 0) . $content;
    $length = fn(int $n) => $n < 128 ? chr($n) : pack('N', $n | 0x80000000);
    $pairs = '';
    foreach ($params as $k => $v) {
        $pairs .= $length(strlen($k)) . $length(strlen($v)) . $k . $v;
    }
    fwrite($s, $record(1, pack('nCx5', 1, 0)) . $record(4, $pairs) . $record(4, '') . $record(5, ''));
    $read = function (int $n) use ($s): string {
        $data = '';
        while (strlen($data) < $n) {
            $chunk = fread($s, $n - strlen($data));
            if ($chunk === false || $chunk === '') {
                if (stream_get_meta_data($s)['timed_out']) {
                    fail('PHP-FPM did not answer within 600 s');
                }
                break; // closed: the caller sees a short read
            }
            $data .= $chunk;
        }
        return $data;
    };
    $out = '';
    while (true) {
        $header = $read(8);
        if (strlen($header) < 8) {
            fclose($s);
            return null;
        }
        $h = unpack('Cversion/Ctype/nid/nlength/Cpadding', $header);
        $content = substr($read($h['length'] + $h['padding']), 0, $h['length']);
        if ($h['type'] === 6) {
            $out .= $content;
        } elseif ($h['type'] === 3) {
            break;
        }
    }
    fclose($s);
    $body = strpos($out, "\r\n\r\n");
    return $body === false ? $out : substr($out, $body + 4);
}

$dir = ini_get('opcache.file_cache');
if (!$dir || !is_dir($dir) || !is_writable($dir)) {
    fail("opcache.file_cache ('$dir') is not a folder this user can write");
}
$t0 = microtime(true);
$list = scripts($root);
@mkdir(WORK, 0700, true);
$socket = WORK . '/fpm.sock';
file_put_contents(WORK . '/fpm.conf', implode("\n", [
    '[global]',
    'error_log = /proc/self/fd/2',
    'daemonize = no',
    '[bake]',
    "listen = $socket",
    'pm = static',
    'pm.max_children = 1',
    'php_admin_flag[log_errors] = off',
    "env[BAKE_ROOT] = $root",
    '',
]));
// The whole tree in shared memory (the image's 256 MB would fill); file_update_protection 0: the
// build's files may be seconds old.
$fpm = proc_open([FPM, '-F', '-y', WORK . '/fpm.conf', '-d', 'opcache.memory_consumption=1024', '-d', 'opcache.file_update_protection=0'], [0 => ['file', '/dev/null', 'r']], $pipes);
if (!is_resource($fpm)) {
    fail('cannot start ' . FPM);
}
// Whatever ends this script, PHP-FPM goes with it: left running, it would hold the build step's
// output open and the build would never end.
$stopFpm = function () use ($fpm): void {
    if (is_resource($fpm)) {
        proc_terminate($fpm);
        proc_close($fpm);
    }
};
register_shutdown_function($stopFpm);
for ($t = 0; !file_exists($socket); $t++) {
    if ($t > 100 || !proc_get_status($fpm)['running']) {
        fail('PHP-FPM did not start (its output is above)');
    }
    usleep(100_000);
}

$pending = array_keys($list);
$notBaked = 0;
$requests = 0;
$deaths = 0;
while ($pending) {
    $requests++;
    file_put_contents(WORK . '/todo', implode("\n", $pending));
    $answer = fastcgi($socket, ['SCRIPT_FILENAME' => __FILE__, 'REQUEST_METHOD' => 'GET', 'GATEWAY_INTERFACE' => 'CGI/1.1', 'SERVER_PROTOCOL' => 'HTTP/1.1']);
    if ($answer === null) {
        // The worker died compiling a script (PHP-FPM starts another): that one is not baked; the
        // others go to the next request (those it had compiled are answered from shared memory).
        $died = (int) file_get_contents(WORK . '/at');
        fwrite(STDERR, "opcache-bake: PHP-FPM's worker died compiling {$list[$died]}: not baked\n");
        $notBaked++;
        $pending = array_values(array_filter($pending, fn($i) => $i !== $died));
        if (++$deaths > 20) {
            fail('PHP-FPM\'s worker died more than 20 times');
        }
        continue;
    }
    $failed = array_map('intval', array_filter(explode("\n", $answer), 'strlen'));
    if ($failed && $failed[0] === $pending[0]) {
        // It failed first in a request: on its own, so not baked.
        $notBaked++;
        array_shift($failed);
    }
    $pending = $failed;
}
$stopFpm();

$baked = 0;
$bytes = 0;
foreach (glob("$dir/*", GLOB_ONLYDIR) as $id) {
    // This script's own compiled form is no use in the image.
    @unlink($id . __FILE__ . '.bin');
    for ($d = dirname($id . __FILE__); $d !== $id && @rmdir($d); $d = dirname($d));
    if (!is_dir($id . $root)) {
        continue;
    }
    $it = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($id . $root, FilesystemIterator::SKIP_DOTS));
    foreach ($it as $file) {
        if (substr($file->getFilename(), -4) === '.bin') {
            $baked++;
            $bytes += $file->getSize();
        }
    }
}
array_map('unlink', glob(WORK . '/*'));
rmdir(WORK);
printf(
    "opcache-bake: %d of %d scripts baked by PHP-FPM into %s (%.1f MB), %d not (they compile on first use), %d requests, %.1f s\n",
    $baked,
    count($list),
    $dir,
    $bytes / 1048576,
    $notBaked,
    $requests,
    microtime(true) - $t0,
);
exit($baked > 0 ? 0 : 1);
