// One CloudWatch dashboard: traffic and errors, the web tier's size and load, the database, the
// cache and moodledata, and the alarms' states.
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';

export interface MoodleDashboardProps {
  readonly name: string;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly webService: ecs.BaseService;
  readonly clusterName: string;
  readonly database: rds.DatabaseCluster;
  readonly cacheNodes: readonly string[];
  readonly fileSystemId?: string;
  readonly alarms: readonly cloudwatch.IAlarm[];
}

export class MoodleDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MoodleDashboardProps) {
    super(scope, id);
    const tg = props.targetGroup.metrics;
    const running = new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName: 'RunningTaskCount',
      statistic: 'Average',
      dimensionsMap: { ClusterName: props.clusterName, ServiceName: props.webService.serviceName },
    });
    const cache = (name: string) =>
      props.cacheNodes.map(
        (node) =>
          new cloudwatch.Metric({ namespace: 'AWS/ElastiCache', metricName: name, dimensionsMap: { CacheClusterId: node }, statistic: 'Maximum', label: node }),
      );
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: props.name, defaultInterval: undefined });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Requests per minute',
        left: [tg.requestCount({ statistic: 'Sum' })],
        right: [tg.requestCountPerTarget({ statistic: 'Sum' })],
      }),
      new cloudwatch.GraphWidget({
        title: 'Errors (5xx)',
        left: [props.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT), tg.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT)],
      }),
      new cloudwatch.GraphWidget({
        title: 'Response time (p50, p95)',
        left: [tg.targetResponseTime({ statistic: 'p50' }), tg.targetResponseTime({ statistic: 'p95' })],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Web tasks', left: [running], right: [tg.healthyHostCount(), tg.unhealthyHostCount()] }),
      new cloudwatch.GraphWidget({
        title: 'Web CPU and memory (%)',
        left: [props.webService.metricCpuUtilization(), props.webService.metricMemoryUtilization()],
      }),
      new cloudwatch.GraphWidget({ title: 'Database', left: [props.database.metricCPUUtilization()], right: [props.database.metricDatabaseConnections()] }),
    );
    const files = props.fileSystemId
      ? [
          new cloudwatch.GraphWidget({
            title: 'moodledata (EFS)',
            left: [
              new cloudwatch.Metric({
                namespace: 'AWS/EFS',
                metricName: 'PercentIOLimit',
                dimensionsMap: { FileSystemId: props.fileSystemId },
                statistic: 'Maximum',
              }),
            ],
          }),
        ]
      : [];
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Cache memory (%) and evictions', left: cache('DatabaseMemoryUsagePercentage'), right: cache('Evictions') }),
      ...files,
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms] }),
    );
  }
}
