<?php
// AWS Signature Version 4 for a request with no body (GET). Returns the headers to send.

function mh_sigv4_headers(string $method, string $host, string $path, array $query, string $body,
        string $region, string $service, array $creds, int $now): array {
    $amzdate = gmdate('Ymd\THis\Z', $now);
    $date = substr($amzdate, 0, 8);
    $payloadhash = hash('sha256', $body);
    $headers = ['host' => $host, 'x-amz-content-sha256' => $payloadhash, 'x-amz-date' => $amzdate];
    if (!empty($creds['token'])) {
        $headers['x-amz-security-token'] = $creds['token'];
    }
    ksort($headers);
    ksort($query);
    $canonicalquery = implode('&', array_map(
        fn($k, $v) => rawurlencode($k) . '=' . rawurlencode((string) $v), array_keys($query), $query));
    $canonicalheaders = implode('', array_map(fn($k, $v) => "$k:" . trim($v) . "\n", array_keys($headers), $headers));
    $signed = implode(';', array_keys($headers));
    $canonical = "$method\n$path\n$canonicalquery\n$canonicalheaders\n$signed\n$payloadhash";
    $scope = "$date/$region/$service/aws4_request";
    $tosign = "AWS4-HMAC-SHA256\n$amzdate\n$scope\n" . hash('sha256', $canonical);
    $key = hash_hmac('sha256', 'aws4_request', hash_hmac('sha256', $service, hash_hmac('sha256', $region,
        hash_hmac('sha256', $date, 'AWS4' . $creds['secret'], true), true), true), true);
    $signature = hash_hmac('sha256', $tosign, $key);
    $headers['authorization'] = "AWS4-HMAC-SHA256 Credential={$creds['key']}/$scope, SignedHeaders=$signed, Signature=$signature";
    return $headers;
}
