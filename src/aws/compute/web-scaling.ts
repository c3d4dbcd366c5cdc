// Web tier autoscaling, the same policy shape as the local autoscaler: target tracking on requests
// per task (ALBRequestCountPerTarget) and on CPU, between the spec's base min and max. The spec's
// capacity windows move that min and max through the schedule applier (./scheduled-capacity.ts),
// not through scheduled actions: one mechanism for everything a window sets.
import { Duration } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';
import type { Deployment } from '../plan.ts';

export interface WebScalingProps {
  readonly service: ecs.BaseService;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly web: Deployment['web'];
  readonly scaling: Deployment['scaling'];
}

export function addWebScaling(_scope: Construct, props: WebScalingProps): ecs.ScalableTaskCount {
  const s = props.scaling;
  const count = props.service.autoScaleTaskCount({ minCapacity: props.web.minTasks, maxCapacity: props.web.maxTasks });
  const cooldowns = { scaleOutCooldown: Duration.seconds(s.scaleOutCooldown.seconds), scaleInCooldown: Duration.seconds(s.scaleInCooldown.seconds) };
  count.scaleOnRequestCount('RequestsPerTask', { requestsPerTarget: s.requestsPerTargetPerMinute, targetGroup: props.targetGroup, ...cooldowns });
  count.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: s.cpuPercent, ...cooldowns });
  return count;
}
