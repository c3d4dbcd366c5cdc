// The CloudFront alarm, in a small us-east-1 stack of its own. CloudFront publishes its metrics
// only in us-east-1 (dimension Region = Global), an alarm can only watch metrics of its own region,
// and an alarm's SNS action must be a topic of that region too: so this stack has the alarm and
// its own KMS-encrypted topic, subscribed to the same e-mail as the main one (a second
// subscription to confirm). It reads the distribution id from the main stack through CDK's
// crossRegionReferences, as the main stack reads the edge stack's certificate, and is deployed
// after the main stack (edge, pipeline, main, then this one).
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Construct } from 'constructs';
import { AlarmTopic } from './alarm-topic.ts';

/** 5xx responses as a share of all CloudFront requests, above which the site is failing. */
export const EDGE_5XX = { percent: 5, period: Duration.minutes(5), periods: 2 } as const;

export interface EdgeMonitoringStackProps extends StackProps {
  /** The CloudFront distribution (of the main stack). */
  readonly distributionId: string;
  /** Address subscribed to this stack's topic. @default - no subscription */
  readonly alarmEmail?: string;
}

export class EdgeMonitoringStack extends Stack {
  readonly alarmTopic: AlarmTopic;
  readonly errorRate: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: EdgeMonitoringStackProps) {
    super(scope, id, { ...props, crossRegionReferences: true });
    if (props.env?.region && props.env.region !== 'us-east-1') {
      throw new Error(`EdgeMonitoringStack: env.region must be us-east-1 (CloudFront publishes its metrics there), got ${props.env.region}`);
    }
    this.alarmTopic = new AlarmTopic(this, 'Alarms', { email: props.alarmEmail, publishers: ['cloudwatch.amazonaws.com'], autoScalingNotifications: false });
    const rate = new cloudwatch.Metric({
      namespace: 'AWS/CloudFront',
      metricName: '5xxErrorRate',
      dimensionsMap: { DistributionId: props.distributionId, Region: 'Global' },
      statistic: 'Average',
      period: EDGE_5XX.period,
    });
    this.errorRate = new cloudwatch.Alarm(this, 'CloudFront5xxRate', {
      metric: rate,
      threshold: EDGE_5XX.percent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: EDGE_5XX.periods,
      datapointsToAlarm: EDGE_5XX.periods,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `More than ${EDGE_5XX.percent}% of CloudFront's responses were 5xx for ${EDGE_5XX.periods * EDGE_5XX.period.toMinutes()} minutes (Moodle, the ALB, or CloudFront failing to reach the origin)`,
    });
    const action = new actions.SnsAction(this.alarmTopic.topic);
    this.errorRate.addAlarmAction(action);
    this.errorRate.addOkAction(action);
  }
}
