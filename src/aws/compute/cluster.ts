// The ECS cluster (Container Insights on, ECS Exec only when asked) and its capacity: an EC2 Auto
// Scaling group over the app subnets of every AZ (ECS-optimised Amazon Linux 2023, IMDSv2,
// encrypted gp3 root volume) behind a capacity provider with managed scaling, managed termination
// protection and managed draining; or Fargate. A launch-template change (a new AMI, published
// through SSM and read at deploy time) starts an instance refresh.
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../nag.ts';
import { InstanceRefresh } from './instance-refresh.ts';

export interface MoodleClusterProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly clusterName?: string;
  /** @default "ec2" */
  readonly compute?: 'ec2' | 'fargate';
  /** EC2 instance type. @default "c6i.large" */
  readonly instanceType?: string;
  /** Fewest and most instances (EC2). @default 1 and 4 */
  readonly minInstances?: number;
  readonly maxInstances?: number;
  /** Topic for Auto Scaling launch/terminate notifications (EC2). */
  readonly notifications?: sns.ITopic;
  /** Allow `aws ecs execute-command`. @default false */
  readonly ecsExec?: boolean;
}

export class MoodleCluster extends Construct {
  readonly cluster: ecs.Cluster;
  readonly autoScalingGroup?: autoscaling.AutoScalingGroup;
  /** The container instances' group (EC2): what Docker volumes, such as an NFS moodledata, mount from. */
  readonly instanceSecurityGroup?: ec2.SecurityGroup;
  readonly capacityProvider?: ecs.AsgCapacityProvider;
  /** The strategy services and one-off tasks use. */
  readonly capacityProviderStrategies: ecs.CapacityProviderStrategy[];

  constructor(scope: Construct, id: string, props: MoodleClusterProps) {
    super(scope, id);
    const fargate = props.compute === 'fargate';
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      clusterName: props.clusterName,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
      enableFargateCapacityProviders: fargate,
      executeCommandConfiguration: props.ecsExec ? { logging: ecs.ExecuteCommandLogging.DEFAULT } : undefined,
    });
    if (fargate) {
      this.capacityProviderStrategies = [{ capacityProvider: 'FARGATE', weight: 1 }];
      this.cluster.addDefaultCapacityProviderStrategy(this.capacityProviderStrategies);
      return;
    }
    const securityGroup = (this.instanceSecurityGroup = new ec2.SecurityGroup(this, 'InstanceSecurityGroup', {
      vpc: props.vpc,
      description: 'ECS container instances: no inbound; tasks have their own ENIs and groups',
      allowAllOutbound: true,
    }));
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ecs.EcsOptimizedImage.amazonLinux2023(),
      instanceType: new ec2.InstanceType(props.instanceType ?? 'c6i.large'),
      userData: ec2.UserData.forLinux(),
      securityGroup,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1, // tasks (awsvpc) cannot reach the instance's metadata
      detailedMonitoring: true,
      role: new iam.Role(this, 'InstanceRole', {
        assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
        description: 'ECS container instances (the agent permissions are added by the cluster)',
      }),
      blockDevices: [{ deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(30, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }) }],
    });
    const asg = new autoscaling.AutoScalingGroup(this, 'Instances', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      launchTemplate,
      minCapacity: props.minInstances ?? 1,
      maxCapacity: props.maxInstances ?? 4,
      notifications: props.notifications ? [{ topic: props.notifications }] : undefined,
      groupMetrics: [autoscaling.GroupMetrics.all()],
      azCapacityDistributionStrategy: autoscaling.CapacityDistributionStrategy.BALANCED_BEST_EFFORT,
      capacityRebalance: false,
    });
    const capacityProvider = new ecs.AsgCapacityProvider(this, 'CapacityProvider', {
      autoScalingGroup: asg,
      enableManagedScaling: true,
      enableManagedTerminationProtection: true,
      enableManagedDraining: true,
      targetCapacityPercent: 100,
      machineImageType: ecs.MachineImageType.AMAZON_LINUX_2,
    });
    this.cluster.addAsgCapacityProvider(capacityProvider);
    this.capacityProviderStrategies = [{ capacityProvider: capacityProvider.capacityProviderName, weight: 1 }];
    this.cluster.addDefaultCapacityProviderStrategy(this.capacityProviderStrategies);
    new InstanceRefresh(this, 'Refresh', { autoScalingGroup: asg, launchTemplate });
    this.autoScalingGroup = asg;
    this.capacityProvider = capacityProvider;

    acknowledgeFinding(this, {
      rule: 'IAM5',
      finding: /^(Resource::\*|Action::ecs:Submit\*)$/,
      reason:
        'The ECS container agent calls (ecs:Poll, ecs:Submit*, ecs:StartTelemetrySession, logs, ECR auth) that CDK grants the instance role do not support resource-level permissions beyond the cluster condition.',
    });
  }
}
