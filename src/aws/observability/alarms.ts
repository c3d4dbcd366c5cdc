// The alarms that say a user is (or is about to be) affected, all wired to the alarm topic for
// both ALARM and OK: ALB 5xx and latency, unhealthy hosts, web CPU and memory, Aurora CPU,
// connections, freeable memory and replica lag, cache memory and evictions, EFS I/O limit, and
// cron not running (the metric the cron container publishes, src/contract/metrics.ts).
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as efs from 'aws-cdk-lib/aws-efs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { METRIC_DIMENSIONS, METRICS_NAMESPACE, SECONDS_SINCE_SCHEDULED_TASK } from '../../contract/metrics.ts';

/**
 * Cron alarms when, for this long, the cron container either published nothing (not running) or
 * reported that no scheduled task had succeeded for longer than this (so at about twice this age).
 */
export const CRON_STALE_AFTER = Duration.minutes(10);

export interface MoodleAlarmsProps {
  readonly topic: sns.ITopic;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly webService: ecs.BaseService;
  readonly database: rds.DatabaseCluster;
  /** Readers exist: alarm on replica lag. */
  readonly hasReaders: boolean;
  /** Connections above which something is wrong: most FPM workers the web tier can run, plus cron and migrate. */
  readonly maxExpectedConnections: number;
  /**
   * Member cluster ids of the sessions' replication group. Only they are alarmed on memory and
   * evictions: the caches' group (allkeys-lru) fills its memory and evicts by design, so the same
   * alarms there would stay in ALARM on a healthy site and teach people to ignore the topic.
   */
  readonly sessionNodes: readonly string[];
  /** EFS (none when moodledata is on an NFS server). */
  readonly fileSystem?: efs.IFileSystem;
  /** Response time (p95) above which users notice. @default Duration.seconds(3) */
  readonly slowResponse?: Duration;
  /** The `Cluster` dimension of the image's metrics: the spec's name. */
  readonly clusterName: string;
}

export class MoodleAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: MoodleAlarmsProps) {
    super(scope, id);
    this.action = new actions.SnsAction(props.topic);
    const tg = props.targetGroup.metrics;
    const alb = props.loadBalancer.metrics;
    const five = Duration.minutes(5);
    const one = Duration.minutes(1);
    this.add(
      'Alb5xx',
      alb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: five, statistic: 'Sum' }),
      20,
      'The load balancer answered 5xx (no healthy task, or timeouts) more than 20 times in 5 minutes',
    );
    this.add(
      'Target5xx',
      tg.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: five, statistic: 'Sum' }),
      50,
      'Moodle answered 5xx more than 50 times in 5 minutes',
    );
    this.add(
      'ResponseTime',
      tg.targetResponseTime({ period: five, statistic: 'p95' }),
      (props.slowResponse ?? Duration.seconds(3)).toSeconds(),
      '95th percentile response time above the limit',
      2,
    );
    this.add('UnhealthyHosts', tg.unhealthyHostCount({ period: one, statistic: 'Maximum' }), 0, 'A web task fails the /healthz check', 3);
    this.add(
      'WebCpu',
      props.webService.metricCpuUtilization({ period: five }),
      85,
      'Web tasks above 85% CPU although autoscaling should have added tasks (at scaling.max?)',
      3,
    );
    this.add(
      'WebMemory',
      props.webService.metricMemoryUtilization({ period: five }),
      85,
      'Web tasks above 85% of their memory: raise web.memory or lower web.fpmWorkers',
      3,
    );
    const db = props.database;
    this.add('DbCpu', db.metricCPUUtilization({ period: five }), 80, 'Aurora writer CPU above 80%', 3);
    this.add(
      'DbConnections',
      db.metricDatabaseConnections({ period: five, statistic: 'Maximum' }),
      props.maxExpectedConnections,
      'More database connections than the web tier can open: a leak or a foreign client',
      2,
    );
    this.add(
      'DbFreeableMemory',
      db.metricFreeableMemory({ period: five, statistic: 'Minimum' }),
      256 * 1024 ** 2,
      'Aurora freeable memory below 256 MiB',
      3,
      cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    );
    if (props.hasReaders) {
      this.add(
        'DbReplicaLag',
        db.metric('AuroraReplicaLagMaximum', { period: one, statistic: 'Maximum' }),
        2000,
        'A reader lags the writer by more than 2 s: a failover would lose recent writes',
        5,
      );
    }
    props.sessionNodes.forEach((node, i) => {
      const m = (name: string, statistic: string) =>
        new cloudwatch.Metric({ namespace: 'AWS/ElastiCache', metricName: name, dimensionsMap: { CacheClusterId: node }, period: five, statistic });
      this.add(
        `SessionsMemory${i + 1}`,
        m('DatabaseMemoryUsagePercentage', 'Maximum'),
        80,
        `Sessions' node ${i + 1} above 80% memory: it never evicts, so when full it refuses new sessions and nobody can log in`,
        2,
      );
      this.add(
        `SessionsEvictions${i + 1}`,
        m('Evictions', 'Sum'),
        0,
        `Sessions' node ${i + 1} evicted keys: users were logged out (its parameter group must say maxmemory-policy noeviction)`,
        1,
      );
    });
    const cronAge = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: SECONDS_SINCE_SCHEDULED_TASK.name,
      dimensionsMap: { [METRIC_DIMENSIONS.cluster]: props.clusterName },
      period: one,
      statistic: 'Maximum',
    });
    const stale = CRON_STALE_AFTER.toMinutes();
    this.add(
      'CronStalled',
      cronAge,
      CRON_STALE_AFTER.toSeconds(),
      `Cron is not running: for ${stale} minutes the cron container published nothing, or no scheduled task had succeeded for over ${stale} minutes`,
      stale,
      cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      cloudwatch.TreatMissingData.BREACHING,
    );
    if (props.fileSystem) {
      const io = new cloudwatch.Metric({
        namespace: 'AWS/EFS',
        metricName: 'PercentIOLimit',
        dimensionsMap: { FileSystemId: props.fileSystem.fileSystemId },
        period: five,
        statistic: 'Maximum',
      });
      this.add('EfsIoLimit', io, 95, 'EFS moodledata near its I/O limit: requests touching dataroot will slow down', 3);
    }
  }

  private add(
    id: string,
    metric: cloudwatch.IMetric,
    threshold: number,
    description: string,
    periods = 1,
    comparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
  ): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
      comparisonOperator,
      treatMissingData,
      alarmDescription: description,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
  }
}
