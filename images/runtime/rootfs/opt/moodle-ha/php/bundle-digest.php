<?php
// Prints the digest of a config bundle folder, as src/contract/bundle.ts computes it: SHA-256 over,
// for each regular file in byte order of its "/"-separated path below the folder, the path, a NUL
// byte, the hex SHA-256 of its content and "\n".
// Usage: php bundle-digest.php DIR
$dir = rtrim($argv[1] ?? '', '/');
if ($dir === '' || !is_dir($dir)) {
    fwrite(STDERR, "usage: bundle-digest.php DIR\n");
    exit(64);
}
$files = [];
$it = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($dir, FilesystemIterator::SKIP_DOTS | FilesystemIterator::FOLLOW_SYMLINKS));
foreach ($it as $f) {
    if ($f->isFile()) {
        $files[substr($f->getPathname(), strlen($dir) + 1)] = hash_file('sha256', $f->getPathname());
    }
}
ksort($files, SORT_STRING);
$h = hash_init('sha256');
foreach ($files as $path => $sum) {
    hash_update($h, "$path\0$sum\n");
}
echo hash_final($h), "\n";
