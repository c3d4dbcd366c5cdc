// The two long-running ECS services. Web: behind the ALB target group, spread over AZs (and
// instances), rolling with 100% minimum healthy, a circuit breaker that rolls back, and deployment
// alarms that roll back too (observability/deployment-alarms.ts); its task
// count belongs to Application Auto Scaling (web-scaling.ts, the schedule applier), so the template
// has no DesiredCount: with one, every update of the service (each new image) would set the count
// back to it, in the middle of an exam (CloudFormation omits an unset DesiredCount from updates and
// starts a new service with 1; registering the scalable target then raises it to the minimum; see
// aws/aws-cdk#13130). Cron: exactly one task; a deploy stops the old one before starting the new one.
import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';

export interface MoodleServiceProps {
  readonly cluster: ecs.ICluster;
  readonly taskDefinition: ecs.TaskDefinition;
  readonly compute: 'ec2' | 'fargate';
  readonly capacityProviderStrategies: ecs.CapacityProviderStrategy[];
  readonly securityGroup: ec2.ISecurityGroup;
  readonly subnets: ec2.SubnetSelection;
  /** @default false */
  readonly ecsExec?: boolean;
}

export interface WebServiceProps extends MoodleServiceProps {
  readonly targetGroup: elbv2.IApplicationTargetGroup;
  /** Alarms ECS watches during a deployment, rolling back when one goes to ALARM. @default - none */
  readonly deploymentAlarms?: readonly cloudwatch.IAlarm[];
}

function service(
  scope: Construct,
  id: string,
  props: MoodleServiceProps,
  extra: {
    desiredCount?: number;
    minHealthyPercent: number;
    maxHealthyPercent: number;
    healthCheckGracePeriod?: Duration;
    deploymentAlarms?: readonly cloudwatch.IAlarm[];
  },
): ecs.BaseService {
  const common = {
    cluster: props.cluster,
    taskDefinition: props.taskDefinition,
    desiredCount: extra.desiredCount,
    minHealthyPercent: extra.minHealthyPercent,
    maxHealthyPercent: extra.maxHealthyPercent,
    circuitBreaker: { enable: true, rollback: true },
    capacityProviderStrategies: props.capacityProviderStrategies,
    securityGroups: [props.securityGroup],
    vpcSubnets: props.subnets,
    enableExecuteCommand: props.ecsExec ?? false,
    propagateTags: ecs.PropagatedTagSource.SERVICE,
    healthCheckGracePeriod: extra.healthCheckGracePeriod,
    deploymentAlarms: extra.deploymentAlarms?.length
      ? { alarmNames: extra.deploymentAlarms.map((a) => a.alarmName), behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM }
      : undefined,
  };
  if (props.compute === 'fargate') return new ecs.FargateService(scope, id, { ...common, assignPublicIp: false });
  return new ecs.Ec2Service(scope, id, {
    ...common,
    placementStrategies: [ecs.PlacementStrategy.spreadAcross(ecs.BuiltInAttributes.AVAILABILITY_ZONE), ecs.PlacementStrategy.spreadAcrossInstances()],
  });
}

/** The web tier; attach it to the ALB target group. */
export function webService(scope: Construct, id: string, props: WebServiceProps): ecs.BaseService {
  const svc = service(scope, id, props, {
    minHealthyPercent: 100,
    maxHealthyPercent: 200,
    healthCheckGracePeriod: Duration.seconds(60),
    deploymentAlarms: props.deploymentAlarms,
  });
  svc.attachToApplicationTargetGroup(props.targetGroup);
  return svc;
}

/** Exactly one cron task, never two at once. */
export function cronService(scope: Construct, id: string, props: MoodleServiceProps): ecs.BaseService {
  return service(scope, id, props, { desiredCount: 1, minHealthyPercent: 0, maxHealthyPercent: 100 });
}
