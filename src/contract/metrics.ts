// The metrics the runtime image publishes, declared once: the image's cron container writes them,
// the CDK app alarms on them (src/aws/observability/alarms.ts). The image publishes with no AWS SDK
// and no IAM: it prints one CloudWatch Embedded Metric Format (EMF) line to stdout, the awslogs
// log driver sends stdout to CloudWatch Logs, and CloudWatch Logs extracts the metric from it.
//
// EMF, as CloudWatch documents it ("Specification: Embedded metric format"): one JSON object per
// log event, whose `_aws` member holds `Timestamp` (milliseconds since the epoch) and
// `CloudWatchMetrics`, a list of { Namespace, Dimensions: [[dimension names]], Metrics: [{ Name,
// Unit }] }; every dimension and metric named there is a top-level member of the same object
// holding its value. `emfRecord` below builds exactly the line the emitter must print.

/** Namespace of every moodle-ha metric. */
export const METRICS_NAMESPACE = 'moodle-ha';

/** Dimension names (the values are per cluster). */
export const METRIC_DIMENSIONS = {
  /**
   * The cluster: the spec's `name`, which is also the ECS cluster's name on AWS. The cron task
   * reads it from the ECS task metadata endpoint (`$ECS_CONTAINER_METADATA_URI_V4/task`, field
   * `Cluster`: an ARN or a name; the part after the last "/"), so no variable is added to the env
   * contract. Without that endpoint (the local cluster) the emitter prints nothing.
   */
  cluster: 'Cluster',
} as const;

/** A metric of the contract. */
export interface ContractMetric {
  readonly name: string;
  /** One of CloudWatch's StandardUnit values. */
  readonly unit: 'Seconds' | 'Count' | 'Percent';
  readonly dimensions: readonly (typeof METRIC_DIMENSIONS)[keyof typeof METRIC_DIMENSIONS][];
  /** How often the image publishes it, in seconds. */
  readonly intervalSeconds: number;
  readonly description: string;
}

/**
 * Seconds since a Moodle scheduled task last finished successfully in this cluster: now minus the
 * end of the most recent successful scheduled-task run Moodle recorded (its task log), or, when
 * none has finished yet, the seconds since the cron container started. Published every minute by
 * the cron container, also when the value is large; no value means the cron container is not
 * running or cannot publish (the alarm treats missing data as breaching).
 */
export const SECONDS_SINCE_SCHEDULED_TASK: ContractMetric = {
  name: 'SecondsSinceScheduledTask',
  unit: 'Seconds',
  dimensions: [METRIC_DIMENSIONS.cluster],
  intervalSeconds: 60,
  description: 'Seconds since a Moodle scheduled task last finished successfully in this cluster, published every minute by the cron container.',
};

export const CONTRACT_METRICS: readonly ContractMetric[] = [SECONDS_SINCE_SCHEDULED_TASK];

/** The EMF log line (one JSON object) that publishes `value` of `metric` for `dimensions`. */
export function emfRecord(metric: ContractMetric, dimensions: Readonly<Record<string, string>>, value: number, timestampMs: number): Record<string, unknown> {
  const missing = metric.dimensions.filter((d) => !dimensions[d]);
  if (missing.length) throw new Error(`${metric.name} needs dimension${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  return {
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [[...metric.dimensions]], Metrics: [{ Name: metric.name, Unit: metric.unit }] }],
    },
    ...Object.fromEntries(metric.dimensions.map((d) => [d, dimensions[d]!])),
    [metric.name]: value,
  };
}
