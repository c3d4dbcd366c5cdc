// Compute of the production configuration: the ECS cluster and its EC2 capacity, the web and cron
// services, autoscaling (its windows: scheduled-capacity.test.ts), the migrate run that gates every
// rollout, instance refresh.
import { Match } from 'aws-cdk-lib/assertions';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { build, only, PRODUCTION, resources } from './fixtures.ts';

const { main } = build(PRODUCTION, { image: { tag: 'release-1' } });
const services = resources(main, 'AWS::ECS::Service');
const service = (prefix: string) => only(Object.fromEntries(Object.entries(services).filter(([k]) => k.startsWith(prefix))));
const taskDefs = resources(main, 'AWS::ECS::TaskDefinition');
const taskDef = (family: string) => Object.entries(taskDefs).find(([, t]) => t.Properties.Family === family)!;

describe('cluster and capacity', () => {
  test('Container Insights on', () => {
    main.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
  });
  test('an Auto Scaling group over the app subnets of all 3 AZs, sized for the peak window', () => {
    const [, asg] = only(resources(main, 'AWS::AutoScaling::AutoScalingGroup'));
    assert.equal(asg.Properties.VPCZoneIdentifier.length, 3);
    for (const s of asg.Properties.VPCZoneIdentifier) assert.match(s.Ref, /appSubnet/);
    assert.equal(asg.Properties.MinSize, '2');
    assert.equal(asg.Properties.MaxSize, '14'); // peak window max (12) + cron + migrate
    assert.equal(asg.Properties.NewInstancesProtectedFromScaleIn, true);
  });
  test('ECS-optimised Amazon Linux 2023 from SSM, IMDSv2 only, encrypted gp3 root volume', () => {
    const params = main.toJSON().Parameters as Record<string, { Default: string }>;
    assert.ok(Object.values(params).some((p) => p.Default === '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id'));
    main.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 'm6i.large',
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 30, VolumeType: 'gp3' } }],
      }),
    });
  });
  test('capacity provider with managed scaling, termination protection and draining, the cluster default', () => {
    main.hasResourceProperties('AWS::ECS::CapacityProvider', {
      AutoScalingGroupProvider: Match.objectLike({
        ManagedScaling: { Status: 'ENABLED', TargetCapacity: 100 },
        ManagedTerminationProtection: 'ENABLED',
        ManagedDraining: 'ENABLED',
      }),
    });
    main.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      DefaultCapacityProviderStrategy: [{ CapacityProvider: { Ref: Match.stringLikeRegexp('^ComputeCapacityProvider') }, Weight: 1 }],
    });
  });
  test('a launch-template change starts an instance refresh that replaces protected instances', () => {
    const refresh = Object.entries(resources(main, 'Custom::AWS')).find(([k]) => k.startsWith('ComputeRefresh'))!;
    const update = JSON.stringify(refresh[1].Properties.Update);
    assert.match(update, /startInstanceRefresh/);
    assert.match(update, /ScaleInProtectedInstances\\":\\"Refresh/);
    assert.match(update, /MinHealthyPercentage\\":100/);
    assert.match(update, /LatestVersionNumber/); // the trigger
  });
  test('Auto Scaling launch and terminate notifications go to the alarm topic', () => {
    main.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      NotificationConfigurations: [Match.objectLike({ TopicARN: { Ref: Match.stringLikeRegexp('^AlarmsTopic') } })],
    });
  });
});

describe('web service', () => {
  const [, web] = service('Web');
  test('no DesiredCount: a deploy never resets the count that autoscaling and the schedule set', () => {
    assert.equal(web.Properties.DesiredCount, undefined);
  });
  test('spread over AZs, then instances', () => {
    assert.deepEqual(web.Properties.PlacementStrategies, [
      { Type: 'spread', Field: 'attribute:ecs.availability-zone' },
      { Type: 'spread', Field: 'instanceId' },
    ]);
  });
  test('rolls with 100% minimum healthy and a circuit breaker that rolls back', () => {
    assert.equal(web.Properties.DeploymentConfiguration.MinimumHealthyPercent, 100);
    assert.equal(web.Properties.DeploymentConfiguration.MaximumPercent, 200);
    assert.deepEqual(web.Properties.DeploymentConfiguration.DeploymentCircuitBreaker, { Enable: true, Rollback: true });
  });
  test('deployment alarms on target 5xx and unhealthy hosts roll a deployment back', () => {
    const alarms = resources(main, 'AWS::CloudWatch::Alarm');
    const id = (prefix: string) => only(Object.fromEntries(Object.entries(alarms).filter(([k]) => k.startsWith(prefix))))[0];
    assert.deepEqual(web.Properties.DeploymentConfiguration.Alarms, {
      Enable: true,
      Rollback: true,
      AlarmNames: [{ Ref: id('DeploymentAlarmsTarget5xxRate') }, { Ref: id('DeploymentAlarmsUnhealthyHosts') }],
    });
  });
  test('behind the target group on port 8080, in the app subnets, no public IP, ECS Exec off', () => {
    assert.equal(web.Properties.LoadBalancers.length, 1);
    const lb = web.Properties.LoadBalancers[0];
    assert.equal(lb.ContainerName, 'web');
    assert.equal(lb.ContainerPort, 8080);
    assert.match(lb.TargetGroupArn.Ref, /^LoadBalancerWeb/);
    assert.equal(web.Properties.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, 'DISABLED');
    assert.equal(web.Properties.EnableExecuteCommand, false);
  });
  test('the task runs the image in mode "web" with moodledata mounted', () => {
    const [, td] = taskDef('campus-web');
    const c = td.Properties.ContainerDefinitions[0];
    assert.deepEqual(c.Command, ['web']);
    assert.deepEqual(c.PortMappings, [{ ContainerPort: 8080, Protocol: 'tcp', Name: 'http' }]);
    assert.deepEqual(c.MountPoints, [{ SourceVolume: 'moodledata', ContainerPath: '/var/www/moodledata', ReadOnly: false }]);
    assert.equal(c.StopTimeout, 30);
    assert.equal(td.Properties.NetworkMode, 'awsvpc');
    assert.deepEqual(td.Properties.RequiresCompatibilities, ['EC2']);
    const efs = td.Properties.Volumes[0].EFSVolumeConfiguration;
    assert.match(efs.FilesystemId.Ref, /^SharedFilesFileSystem/);
    assert.equal(efs.TransitEncryption, 'ENABLED');
    assert.equal(efs.AuthorizationConfig.IAM, 'ENABLED');
    assert.match(efs.AuthorizationConfig.AccessPointId.Ref, /^SharedFilesFileSystemMoodledata/);
    assert.match(c.Image['Fn::Join'][1].join(''), /release-1/);
  });
  test('only the load balancer and the tasks themselves (the cron janitor) reach the tasks, only on 8080', () => {
    const rules = Object.values(resources(main, 'AWS::EC2::SecurityGroupIngress')).filter((r) =>
      JSON.stringify(r.Properties.GroupId).includes('"TaskSecurityGroup'),
    );
    assert.equal(rules.length, 2);
    for (const r of rules) assert.deepEqual([r.Properties.FromPort, r.Properties.ToPort], [8080, 8080]);
    const sources = rules.map((r) => JSON.stringify(r.Properties.SourceSecurityGroupId)).sort();
    assert.match(sources[0]!, /LoadBalancerSecurityGroup/);
    assert.match(sources[1]!, /TaskSecurityGroup/);
  });
});

describe('cron service', () => {
  const [, cron] = service('Cron');
  test('exactly one task, never two during a deploy', () => {
    assert.equal(cron.Properties.DesiredCount, 1);
    assert.equal(cron.Properties.DeploymentConfiguration.MinimumHealthyPercent, 0);
    assert.equal(cron.Properties.DeploymentConfiguration.MaximumPercent, 100);
    assert.equal(cron.Properties.LoadBalancers, undefined);
  });
  test('no deployment alarms (no target group; one task stopped before the next starts)', () => {
    assert.equal(cron.Properties.DeploymentConfiguration.Alarms.Enable, false);
  });
  test('runs the image in mode "cron"', () => {
    assert.deepEqual(taskDef('campus-cron')[1].Properties.ContainerDefinitions[0].Command, ['cron']);
  });
  test('is never scaled (the only scalable target is the web service)', () => {
    const [, target] = only(resources(main, 'AWS::ApplicationAutoScaling::ScalableTarget'));
    assert.match(JSON.stringify(target.Properties.ResourceId), /WebService/);
  });
});

describe('autoscaling', () => {
  test('min and max from the spec', () => {
    main.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 6,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
  });
  test('target tracking on ALB requests per task (40 req/s = 2400 per minute) with the spec cooldowns', () => {
    main.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel: Match.anyValue() }),
        TargetValue: 2400,
        ScaleOutCooldown: 30,
        ScaleInCooldown: 120,
      }),
    });
  });
  test('target tracking on CPU', () => {
    main.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        TargetValue: 60,
      }),
    });
  });
});

describe('migrate before rollout', () => {
  const [migrateId, migrate] = only(resources(main, 'Custom::MoodleMigrate'));
  test('runs the migrate task definition (mode "migrate") on the cluster, in the app subnets', () => {
    const [tdId, td] = taskDef('campus-migrate');
    assert.deepEqual(migrate.Properties.TaskDefinition, { Ref: tdId });
    assert.deepEqual(td.Properties.ContainerDefinitions[0].Command, ['migrate']);
    assert.equal(migrate.Properties.Subnets.length, 3);
  });
  test('the web and cron services wait for it', () => {
    for (const prefix of ['Web', 'Cron']) assert.ok(service(prefix)[1].DependsOn!.includes(migrateId), `${prefix} does not depend on ${migrateId}`);
  });
  test('it waits for the database, cache and moodledata mount targets', () => {
    const deps = migrate.DependsOn!.join(' ');
    assert.match(deps, /DatabaseClusterWriter/);
    assert.match(deps, /CacheReplicationGroup/);
    assert.match(deps, /EfsMountTarget1/);
  });
  test('the handler polls until the task stops (up to an hour) and may only run that family on that cluster', () => {
    main.hasResourceProperties('AWS::StepFunctions::StateMachine', { LoggingConfiguration: Match.objectLike({ Level: 'ALL' }) });
    main.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'ecs:RunTask',
            Resource: { 'Fn::Join': ['', Match.arrayWith([':task-definition/campus-migrate:*'])] },
            Condition: { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [Match.stringLikeRegexp('^ComputeCluster'), 'Arn'] } } },
          }),
        ]),
      },
    });
    main.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'iam:PassRole',
            Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
          }),
        ]),
      },
    });
  });
});

describe('least privilege', () => {
  test('no IAM statement allows every action', () => {
    for (const p of Object.values(resources(main, 'AWS::IAM::Policy'))) {
      for (const s of p.Properties.PolicyDocument.Statement)
        assert.ok(!(s.Effect === 'Allow' && (s.Action === '*' || (Array.isArray(s.Action) && s.Action.includes('*')))), JSON.stringify(s));
    }
  });
  test('the task role only mounts moodledata and reads the bundle', () => {
    const [, policy] = only(Object.fromEntries(Object.entries(resources(main, 'AWS::IAM::Policy')).filter(([k]) => k.startsWith('TasksTaskRole'))));
    const actions = policy.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat());
    assert.deepEqual(actions.sort(), [
      'elasticfilesystem:ClientMount',
      'elasticfilesystem:ClientWrite',
      's3:GetObject',
      's3:GetObjectVersion',
      's3:ListBucket',
    ]);
  });
});
