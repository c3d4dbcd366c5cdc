// Web tier autoscaling, the same policy shape as the local autoscaler: target tracking on requests
// per task (ALBRequestCountPerTarget) and on CPU, min/max from the spec, and scheduled actions
// that open and close the spec's capacity windows (exam peaks, off-season).
import { Duration } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';
import type { Deployment } from '../config.ts';

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
  for (const action of s.schedule) {
    count.scaleOnSchedule(action.name, {
      schedule: appscaling.Schedule.expression(action.expression),
      minCapacity: action.minCapacity,
      maxCapacity: action.maxCapacity,
    });
  }
  return count;
}
