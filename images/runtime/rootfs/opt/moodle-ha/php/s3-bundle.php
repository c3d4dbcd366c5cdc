<?php
// Loads a config bundle from S3 at container start: every object under s3://bucket/prefix/ is
// written to a folder. Credentials come from the ECS task role (container credentials endpoint)
// or the AWS_* environment; requests are signed with Signature Version 4. No AWS SDK needed.
// Usage: php s3-bundle.php s3://bucket/prefix DIR
require_once(__DIR__ . '/sigv4.php');

[$_, $uri, $dir] = $argv + [null, null, null];
if (!preg_match('#^s3://([a-z0-9.-]{3,63})/?(.*)$#', (string) $uri, $m) || !$dir) {
    fwrite(STDERR, "usage: s3-bundle.php s3://bucket/prefix DIR\n");
    exit(64);
}
[$bucket, $prefix] = [$m[1], rtrim($m[2], '/')];
// The bucket's region is given, never guessed: the ECS agent on EC2 need not set AWS_REGION, and a
// request to another region's endpoint fails (or worse, reaches another bucket of that name).
$region = getenv('MOODLE_CONFIG_BUNDLE_REGION') ?: getenv('AWS_REGION') ?: getenv('AWS_DEFAULT_REGION');
if (!$region || !preg_match('/^[a-z]{2}(-gov)?-[a-z]+-\d$/', $region)) {
    fwrite(STDERR, "config bundle: no AWS region for $uri: set MOODLE_CONFIG_BUNDLE_REGION to the bucket's region (e.g. eu-west-1)" . ($region ? ", got '$region'" : '') . "\n");
    exit(64);
}
$creds = mh_aws_credentials();
$host = "$bucket.s3.$region.amazonaws.com";

$keys = [];
$token = null;
do {
    $query = ['list-type' => '2', 'prefix' => $prefix === '' ? '' : "$prefix/"];
    if ($token !== null) {
        $query['continuation-token'] = $token;
    }
    $xml = simplexml_load_string(mh_s3_get($host, '/', $query, $region, $creds));
    foreach ($xml->Contents as $c) {
        $keys[] = (string) $c->Key;
    }
    $token = ((string) $xml->IsTruncated === 'true') ? (string) $xml->NextContinuationToken : null;
} while ($token !== null);

foreach ($keys as $key) {
    $name = substr($key, strlen($prefix === '' ? '' : "$prefix/"));
    if ($name === '' || str_ends_with($name, '/') || str_contains($name, '..')) {
        continue;
    }
    @mkdir(dirname("$dir/$name"), 0750, true);
    $path = '/' . implode('/', array_map('rawurlencode', explode('/', $key)));
    file_put_contents("$dir/$name", mh_s3_get($host, $path, [], $region, $creds));
}
fwrite(STDERR, 'config bundle: ' . count($keys) . " object(s) from $uri\n");

function mh_s3_get(string $host, string $path, array $query, string $region, array $creds): string {
    $headers = mh_sigv4_headers('GET', $host, $path, $query, '', $region, 's3', $creds, time());
    $qs = http_build_query($query, '', '&', PHP_QUERY_RFC3986);
    $ctx = stream_context_create(['http' => [
        'method' => 'GET', 'ignore_errors' => true, 'timeout' => 20,
        'header' => implode("\r\n", array_map(fn($k, $v) => "$k: $v", array_keys($headers), $headers)),
    ]]);
    $body = file_get_contents("https://$host$path" . ($qs === '' ? '' : "?$qs"), false, $ctx);
    $status = (int) (explode(' ', $http_response_header[0] ?? 'HTTP/1.1 0')[1] ?? 0);
    if ($body === false || $status !== 200) {
        fwrite(STDERR, "config bundle: GET $host$path failed ($status): " . substr((string) $body, 0, 300) . "\n");
        exit(69);
    }
    return $body;
}

function mh_aws_credentials(): array {
    $relative = getenv('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI');
    if ($relative) {
        $json = json_decode((string) file_get_contents("http://169.254.170.2$relative"), true);
        return ['key' => $json['AccessKeyId'], 'secret' => $json['SecretAccessKey'], 'token' => $json['Token'] ?? null];
    }
    if (getenv('AWS_ACCESS_KEY_ID')) {
        return ['key' => getenv('AWS_ACCESS_KEY_ID'), 'secret' => getenv('AWS_SECRET_ACCESS_KEY'), 'token' => getenv('AWS_SESSION_TOKEN') ?: null];
    }
    fwrite(STDERR, "config bundle: no AWS credentials (task role or AWS_ACCESS_KEY_ID)\n");
    exit(77);
}
