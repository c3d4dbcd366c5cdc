// Replaces the container instances when the launch template changes (a new ECS-optimised AMI is
// read from SSM at every deploy, which makes a new template version). CloudFormation has no
// "instance refresh" property, so an AwsCustomResource calls StartInstanceRefresh whenever the
// template version changes. Scale-in protected instances (ECS managed termination protection)
// are refreshed too; ECS managed draining moves their tasks first.
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../nag.ts';

export interface InstanceRefreshProps {
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly launchTemplate: ec2.LaunchTemplate;
}

export class InstanceRefresh extends Construct {
  constructor(scope: Construct, id: string, props: InstanceRefreshProps) {
    super(scope, id);
    const asg = props.autoScalingGroup;
    const call: cr.AwsSdkCall = {
      service: 'AutoScaling',
      action: 'startInstanceRefresh',
      parameters: {
        AutoScalingGroupName: asg.autoScalingGroupName,
        Strategy: 'Rolling',
        Preferences: {
          MinHealthyPercentage: 100,
          MaxHealthyPercentage: 200, // launch the replacement before terminating
          InstanceWarmup: 120,
          SkipMatching: true,
          ScaleInProtectedInstances: 'Refresh',
          StandbyInstances: 'Terminate',
        },
      },
      // The template version is part of the call: a new version is a changed resource, so an update.
      physicalResourceId: cr.PhysicalResourceId.of(`${props.launchTemplate.launchTemplateId}:${props.launchTemplate.latestVersionNumber}`),
      ignoreErrorCodesMatching: 'InstanceRefreshInProgress',
    };
    const refresh = new cr.AwsCustomResource(this, 'Start', {
      onUpdate: call,
      installLatestAwsSdk: false,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['autoscaling:StartInstanceRefresh'],
          resources: [asg.autoScalingGroupArn],
        }),
      ]),
    });
    refresh.node.addDependency(asg);
    acknowledgeFinding(refresh, {
      rule: 'IAM5',
      finding: /^Resource::arn:.*:autoscaling:.*:autoScalingGroup:\*:autoScalingGroupName\/<.*>$/,
      reason: 'The ARN of one named Auto Scaling group: its id part is unknown until created, so it is a wildcard; the name pins the group.',
    });
  }
}
