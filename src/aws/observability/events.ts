// Deployment and scaling events to the alarm topic: ECS deployment state changes and service
// actions of the web and cron services (a failed or rolled-back deploy), and every state change of
// the web tier's target-tracking alarms (a scale-out or scale-in starting).
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface MoodleEventsProps {
  readonly topic: sns.ITopic;
  readonly cluster: ecs.ICluster;
  readonly services: readonly ecs.BaseService[];
  /** The service whose target-tracking alarms announce scaling. */
  readonly scaledService: ecs.BaseService;
}

export class MoodleEvents extends Construct {
  readonly deployments: events.Rule;
  readonly scaling: events.Rule;

  constructor(scope: Construct, id: string, props: MoodleEventsProps) {
    super(scope, id);
    const target = new targets.SnsTopic(props.topic);
    this.deployments = new events.Rule(this, 'Deployments', {
      description: 'Moodle ECS deployments and service problems',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Deployment State Change', 'ECS Service Action'],
        resources: props.services.map((s) => s.serviceArn),
      },
      targets: [target],
    });
    this.scaling = new events.Rule(this, 'Scaling', {
      description: 'Moodle web tier scaling (target tracking alarms)',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: {
          alarmName: [{ prefix: `TargetTracking-service/${props.cluster.clusterName}/${props.scaledService.serviceName}` }],
          state: { value: ['ALARM'] },
        },
      },
      targets: [target],
    });
  }
}
