// The web service's deployment alarms: two fast (1-minute) alarms on its target group that ECS
// watches while a deployment runs and during the bake time after it, and rolls the service back
// to the last completed deployment when either goes to ALARM (DeploymentConfiguration.Alarms with
// rollback). They catch what the circuit breaker cannot: an image whose tasks start and pass the
// shallow /healthz (an FPM ping) but whose Moodle answers 5xx.
//
// How ECS uses them (AWS, "How CloudWatch alarms detect Amazon ECS deployment failures"): it polls
// the alarms (DescribeAlarms) from the start of a deployment until the bake time after the new
// tasks are in and the old ones are out has passed (ECS derives the bake time from the alarms'
// configuration). An alarm already in ALARM when a deployment starts is not monitored for that
// deployment (AWS Copilot's deployment docs).
//
// Thresholds, against what a normal rollout looks like (100 % minimum healthy, 200 % maximum: the
// new tasks start and pass two health checks before the old ones are deregistered; deregistered
// tasks only finish their requests in flight and are never counted as unhealthy, and health-check
// requests are not counted in the request metrics):
// - 5xx: more than 10 % of the requests the tasks answered in a minute were 5xx, for 3 minutes in a
//   row, counting only minutes with at least 10 requests. A bad image that fails every Moodle page
//   keeps the rate near 50 % while old and new tasks share traffic and near 100 % once it has all
//   of it, so it trips about 3 minutes after its tasks start taking requests (plus about a minute
//   of metric delay). A normal rollout shares traffic for seconds to a minute, and old tasks that
//   err during it (old code against a just-migrated database) cannot fill 3 whole minutes. Quiet
//   minutes (< 10 requests) count as OK: 1 error in 3 requests is no evidence, and ALB publishes
//   nothing without traffic. So a deploy with no traffic at all is not checked by this alarm.
// - Unhealthy hosts: a target of the group failed its health checks (3 × 10 s) in 2 of the last 3
//   minutes. An image whose /healthz fails has an unhealthy target about 30 s after each start
//   until ECS replaces it, so it trips in 2–3 minutes, well before the circuit breaker; new tasks
//   of a normal rollout are "initial", then healthy, never unhealthy.
// No alarm action: their effect is the rollback, which ECS announces as an "ECS Deployment State
// Change" event, already routed to the alarm topic (events.ts); the 5-minute alarms in alarms.ts
// page for the same symptoms outside deployments.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';

/** The numbers above, in one place (tests and docs read them). */
export const DEPLOYMENT_ALARMS = {
  period: Duration.minutes(1),
  target5xx: { percent: 10, minRequestsPerMinute: 10, minutes: 3 },
  unhealthyHosts: { minutes: 2, ofMinutes: 3 },
} as const;

export interface WebDeploymentAlarmsProps {
  /** The web service's target group. */
  readonly targetGroup: elbv2.IApplicationTargetGroup;
}

export class WebDeploymentAlarms extends Construct {
  readonly target5xxRate: cloudwatch.Alarm;
  readonly unhealthyHosts: cloudwatch.Alarm;
  /** Both, for the service's deployment configuration. */
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: WebDeploymentAlarmsProps) {
    super(scope, id);
    const { period, target5xx, unhealthyHosts } = DEPLOYMENT_ALARMS;
    const tg = props.targetGroup.metrics;
    const rate = new cloudwatch.MathExpression({
      expression: `IF(requests >= ${target5xx.minRequestsPerMinute}, 100 * FILL(errors, 0) / requests, 0)`,
      usingMetrics: {
        errors: tg.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period, statistic: 'Sum' }),
        requests: tg.requestCount({ period, statistic: 'Sum' }),
      },
      period,
      label: 'Target 5xx (% of requests)',
    });
    this.target5xxRate = new cloudwatch.Alarm(this, 'Target5xxRate', {
      metric: rate,
      threshold: target5xx.percent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: target5xx.minutes,
      datapointsToAlarm: target5xx.minutes,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `Deployment alarm (ECS rolls the web service back): more than ${target5xx.percent}% of requests answered 5xx by the tasks for ${target5xx.minutes} minutes in a row (minutes with at least ${target5xx.minRequestsPerMinute} requests)`,
    });
    this.unhealthyHosts = new cloudwatch.Alarm(this, 'UnhealthyHosts', {
      metric: tg.unhealthyHostCount({ period, statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: unhealthyHosts.ofMinutes,
      datapointsToAlarm: unhealthyHosts.minutes,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `Deployment alarm (ECS rolls the web service back): a web task failed the /healthz check in ${unhealthyHosts.minutes} of the last ${unhealthyHosts.ofMinutes} minutes`,
    });
    this.alarms = [this.target5xxRate, this.unhealthyHosts];
  }
}
