// The metrics contract (src/contract/metrics.ts): what the cron container prints is a valid
// CloudWatch Embedded Metric Format line for the metric, namespace and dimensions the alarms read.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CONTRACT_METRICS, emfRecord, METRIC_DIMENSIONS, METRICS_NAMESPACE, SECONDS_SINCE_SCHEDULED_TASK } from '../../src/contract/metrics.ts';

describe('metrics contract', () => {
  test('the cron metric: moodle-ha / SecondsSinceScheduledTask in Seconds, by Cluster, every minute', () => {
    assert.equal(METRICS_NAMESPACE, 'moodle-ha');
    assert.equal(SECONDS_SINCE_SCHEDULED_TASK.name, 'SecondsSinceScheduledTask');
    assert.equal(SECONDS_SINCE_SCHEDULED_TASK.unit, 'Seconds');
    assert.deepEqual(SECONDS_SINCE_SCHEDULED_TASK.dimensions, ['Cluster']);
    assert.equal(SECONDS_SINCE_SCHEDULED_TASK.intervalSeconds, 60);
  });
  test('metric names are unique', () => {
    assert.equal(new Set(CONTRACT_METRICS.map((m) => m.name)).size, CONTRACT_METRICS.length);
  });
  test('emfRecord is the EMF line: _aws metadata, then each dimension and the metric as members', () => {
    const line = JSON.stringify(emfRecord(SECONDS_SINCE_SCHEDULED_TASK, { [METRIC_DIMENSIONS.cluster]: 'campus' }, 42, 1_700_000_000_000));
    assert.equal(
      line,
      '{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"moodle-ha","Dimensions":[["Cluster"]],' +
        '"Metrics":[{"Name":"SecondsSinceScheduledTask","Unit":"Seconds"}]}]},"Cluster":"campus","SecondsSinceScheduledTask":42}',
    );
  });
  test('a record without its dimension value is refused (CloudWatch would drop it)', () => {
    assert.throws(() => emfRecord(SECONDS_SINCE_SCHEDULED_TASK, {}, 1, 0), /needs dimension Cluster/);
  });
});

describe("the image's emitter (cron-metrics.php) uses the contract's names", () => {
  const php = readFileSync(join(import.meta.dirname, '..', '..', 'images', 'runtime', 'rootfs', 'opt', 'moodle-ha', 'php', 'cron-metrics.php'), 'utf8');
  const constant = (name: string) => new RegExp(`const ${name} = '([^']*)';`).exec(php)?.[1];
  test('namespace, metric, unit, dimension and interval', () => {
    assert.equal(constant('METRICS_NAMESPACE'), METRICS_NAMESPACE);
    assert.equal(constant('METRIC_NAME'), SECONDS_SINCE_SCHEDULED_TASK.name);
    assert.equal(constant('METRIC_UNIT'), SECONDS_SINCE_SCHEDULED_TASK.unit);
    assert.equal(constant('DIMENSION'), METRIC_DIMENSIONS.cluster);
    assert.equal(Number(/const INTERVAL_S = (\d+);/.exec(php)?.[1]), SECONDS_SINCE_SCHEDULED_TASK.intervalSeconds);
  });
});
