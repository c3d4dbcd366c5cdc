<?php
// Publishes the cron task's health as CloudWatch metrics, with no AWS SDK and no IAM: every minute
// one CloudWatch Embedded Metric Format (EMF) line on stdout, which the awslogs driver sends to
// CloudWatch Logs, which extracts the metric. The names are src/contract/metrics.ts's (a test
// checks this line against emfRecord there). Runs in the cron container when ECS's task metadata
// endpoint is there (the Cluster dimension comes from it); elsewhere it prints nothing.
//
//   SecondsSinceScheduledTask: now minus the end of the newest successful scheduled-task run in
//   Moodle's task log (or, before one has finished, since this process started).

require_once('/opt/moodle-ha/php/env.php');

const METRICS_NAMESPACE = 'moodle-ha';
const METRIC_NAME = 'SecondsSinceScheduledTask';
const METRIC_UNIT = 'Seconds';
const DIMENSION = 'Cluster';
const INTERVAL_S = 60;

function metrics_log(string $line): void {
    fwrite(STDERR, 'moodle-ha[cron-metrics]: ' . $line . "\n");
}

/** The ECS cluster's name, from the task metadata (Cluster is an ARN or a name). */
function metrics_cluster(string $uri): ?string {
    $json = @file_get_contents(rtrim($uri, '/') . '/task', false, stream_context_create(['http' => ['timeout' => 3]]));
    $cluster = $json === false ? null : (json_decode($json, true)['Cluster'] ?? null);
    if (!is_string($cluster) || $cluster === '') {
        return null;
    }
    $parts = explode('/', $cluster);
    return end($parts);
}

/** The end time of the newest successful scheduled task, or null when none finished yet. */
function metrics_last_success(array $mh): ?int {
    mysqli_report(MYSQLI_REPORT_OFF);
    $db = mysqli_init();
    $db->options(MYSQLI_OPT_CONNECT_TIMEOUT, 5);
    $db->options(MYSQLI_OPT_READ_TIMEOUT, 10);
    if (!@$db->real_connect($mh['dbhost'], $mh['dbuser'], $mh['dbpass'], $mh['dbname'], $mh['dbport'], null, mh_db_flags($mh))) {
        throw new RuntimeException('database unreachable: ' . mysqli_connect_error());
    }
    $table = $db->real_escape_string($mh['prefix'] . 'task_log');
    // type 0: scheduled task; result 0: success.
    $res = $db->query("SELECT MAX(timeend) AS t FROM `$table` WHERE type = 0 AND result = 0");
    $value = $res === false ? null : $res->fetch_assoc()['t'];
    $db->close();
    return $value === null ? null : (int) $value;
}

$uri = getenv('ECS_CONTAINER_METADATA_URI_V4');
if (!$uri) {
    metrics_log('no ECS task metadata endpoint: not publishing metrics');
    exit(0);
}
$mh = mh_settings();
$started = time();
$cluster = null;
$stop = false;
pcntl_async_signals(true);
pcntl_signal(SIGTERM, function () use (&$stop) { $stop = true; });
while (!$stop) {
    $cluster ??= metrics_cluster($uri);
    if ($cluster === null) {
        metrics_log('the task metadata names no cluster yet; trying again in a minute');
    } else {
        try {
            $last = metrics_last_success($mh);
            $value = time() - ($last ?? $started);
            echo json_encode([
                '_aws' => [
                    'Timestamp' => (int) round(microtime(true) * 1000),
                    'CloudWatchMetrics' => [[
                        'Namespace' => METRICS_NAMESPACE,
                        'Dimensions' => [[DIMENSION]],
                        'Metrics' => [['Name' => METRIC_NAME, 'Unit' => METRIC_UNIT]],
                    ]],
                ],
                DIMENSION => $cluster,
                METRIC_NAME => max(0, $value),
            ], JSON_UNESCAPED_SLASHES), "\n";
        } catch (Throwable $e) {
            // No line: the alarm treats missing data as breaching.
            metrics_log('not published: ' . $e->getMessage());
        }
    }
    for ($i = 0; $i < INTERVAL_S && !$stop; $i++) {
        sleep(1);
    }
}
