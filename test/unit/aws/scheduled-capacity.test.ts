// The capacity schedule in the templates: one applier Lambda, EventBridge Scheduler schedules at each
// window's open and close, a custom resource that re-runs it on every deploy after the resources it
// sets, IAM scoped to those resources, and no Application Auto Scaling scheduled actions.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { capacitySchedule } from '../../../src/aws/compute/schedule.ts';
import { ScheduledCapacity, webAclFromArn } from '../../../src/aws/compute/scheduled-capacity.ts';
import { RATE_LIMIT_RULE_NAME } from '../../../src/aws/waf-rule-names.ts';
import { build, only, PRODUCTION, resources, SMALL } from './fixtures.ts';

const prod = build(PRODUCTION, { image: { tag: 'release-1' } });
const SMALL_WITH_WINDOWS = {
  ...SMALL,
  scaling: {
    schedule: [
      {
        name: 'exams',
        from: '2099-06-01T06:00:00Z',
        until: '2099-06-12T20:00:00Z',
        min: 3,
        max: 6,
        rateLimit: 20000,
        database: { minCapacity: 4, maxCapacity: 32 },
      },
      { name: 'summer', from: '2099-07-01T00:00:00Z', until: '2099-09-01T00:00:00Z', min: 1, database: { minCapacity: 0 } },
    ],
  },
};
const small = build(SMALL_WITH_WINDOWS);

const applier = (t: Template) =>
  only(Object.fromEntries(Object.entries(resources(t, 'AWS::Lambda::Function')).filter(([k]) => k.startsWith('ScheduleApplier'))));
const env = (t: Template) => applier(t)[1].Properties.Environment.Variables;
const statements = (t: Template): any[] =>
  only(Object.fromEntries(Object.entries(resources(t, 'AWS::IAM::Policy')).filter(([k]) => k.startsWith('ScheduleRole'))))[1].Properties.PolicyDocument
    .Statement;
const statement = (t: Template, action: string) => statements(t).find((s) => [s.Action].flat().includes(action));

describe('schedules: the applier runs at every window edge', () => {
  test('production: EventBridge Scheduler at each open and close, in UTC, with the scheduled time in the input', () => {
    const schedules = Object.values(resources(prod.main, 'AWS::Scheduler::Schedule')).map((s) => s.Properties);
    assert.deepEqual(schedules.map((s) => [JSON.parse(s.Target.Input).trigger, s.ScheduleExpression]).sort(), [
      ['exam-week-close', 'at(2099-06-12T20:00:00)'],
      ['exam-week-open', 'at(2099-06-01T06:00:00)'],
      ['weekday-mornings-close', 'cron(0 18 ? * 2,3,4,5,6 *)'],
      ['weekday-mornings-open', 'cron(30 6 ? * 2,3,4,5,6 *)'],
    ]);
    const [applierId] = applier(prod.main);
    for (const s of schedules) {
      assert.equal(s.ScheduleExpressionTimezone, 'Etc/UTC');
      assert.deepEqual(s.FlexibleTimeWindow, { Mode: 'OFF' });
      assert.deepEqual(s.Target.Arn, { 'Fn::GetAtt': [applierId, 'Arn'] });
      assert.equal(JSON.parse(s.Target.Input).scheduledTime, '<aws.scheduler.scheduled-time>');
    }
  });
  test('no Application Auto Scaling scheduled actions: the applier is the one mechanism', () => {
    const [, target] = only(resources(prod.main, 'AWS::ApplicationAutoScaling::ScalableTarget'));
    assert.equal(target.Properties.ScheduledActions, undefined);
    assert.equal(target.Properties.MinCapacity, 2);
    assert.equal(target.Properties.MaxCapacity, 6);
  });
  test('the scheduler role may only invoke the applier, for schedules of this account', () => {
    const [roleId, role] = only(
      Object.fromEntries(Object.entries(resources(prod.main, 'AWS::IAM::Role')).filter(([k]) => k.startsWith('ScheduleSchedulerRole'))),
    );
    assert.deepEqual(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal, { Service: 'scheduler.amazonaws.com' });
    assert.deepEqual(role.Properties.AssumeRolePolicyDocument.Statement[0].Condition, { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
    const [, policy] = only(
      Object.fromEntries(
        Object.entries(resources(prod.main, 'AWS::IAM::Policy')).filter(([, p]) => (JSON.stringify(p.Properties.Roles) ?? '').includes(roleId)),
      ),
    );
    assert.deepEqual(
      policy.Properties.PolicyDocument.Statement.map((s: any) => s.Action),
      ['lambda:InvokeFunction'],
    );
  });
});

describe('every deploy re-applies the window in force', () => {
  const [, cr] = only(resources(prod.main, 'Custom::MoodleScheduledCapacity'));
  test('the custom resource carries a value that changes at every synthesis', () => {
    assert.match(cr.Properties.Deploy, /^[0-9a-f-]{36}$/);
    const [, smallCr] = only(resources(small.main, 'Custom::MoodleScheduledCapacity'));
    assert.notEqual(smallCr.Properties.Deploy, cr.Properties.Deploy);
  });
  test('it runs after the resources an update resets: the scalable target, the web service, the Auto Scaling group', () => {
    const deps = cr.DependsOn!.join(' ');
    assert.match(deps, /WebTaskCountTarget[0-9A-F]{8}\b/);
    assert.match(deps, /WebService/);
    assert.match(deps, /ComputeInstancesASG/);
  });
  test('and after the Aurora cluster when it sets Serverless v2 capacity', () => {
    const [, smallCr] = only(resources(small.main, 'Custom::MoodleScheduledCapacity'));
    assert.match(smallCr.DependsOn!.join(' '), /DatabaseCluster[0-9A-F]{8}\b/);
  });
  test('the applier: Node.js 24, the bundled handler, the schedule of the plan in its environment', () => {
    const [, fn] = applier(prod.main);
    assert.equal(fn.Properties.Runtime, 'nodejs24.x');
    assert.equal(fn.Properties.Handler, 'index.handler');
    const schedule = JSON.parse(env(prod.main).SCHEDULE);
    assert.deepEqual(schedule.base, { web: { min: 2, max: 6 }, instances: 2, rateLimit: 3000 });
    assert.deepEqual(
      schedule.windows.map((w: any) => [w.name, w.targets.web, w.targets.instances]),
      [
        ['exam-week', { min: 8, max: 12 }, 5],
        ['weekday-mornings', { min: 3, max: 6 }, 2],
      ],
    );
  });
  test('failures alarm on the alarm topic', () => {
    const [, alarm] = only(Object.fromEntries(Object.entries(resources(prod.main, 'AWS::CloudWatch::Alarm')).filter(([k]) => k.startsWith('ScheduleFailed'))));
    assert.equal(alarm.Properties.MetricName, 'Errors');
    assert.deepEqual(alarm.Properties.Dimensions, [{ Name: 'FunctionName', Value: { Ref: applier(prod.main)[0] } }]);
    assert.match(JSON.stringify(alarm.Properties.AlarmActions), /AlarmsTopic/);
  });
});

describe('production: EC2 floor, provisioned Aurora, the CloudFront web ACL in us-east-1', () => {
  test('the applier acts on the web service, the Auto Scaling group and the edge ACL (name and id read from its ARN)', () => {
    const e = env(prod.main);
    assert.match(JSON.stringify(e.WEB_SCALABLE_TARGET), /service\/.*ComputeCluster.*WebService/);
    assert.match(JSON.stringify(e.AUTO_SCALING_GROUP), /ComputeInstancesASG/);
    assert.equal(e.DB_CLUSTER, undefined);
    assert.equal(e.WEB_ACL_SCOPE, 'CLOUDFRONT');
    assert.equal(e.WEB_ACL_REGION, 'us-east-1');
    assert.equal(e.WAF_RATE_RULE, RATE_LIMIT_RULE_NAME);
    assert.deepEqual(e.WEB_ACL_NAME['Fn::Select'][0], 2);
    assert.deepEqual(e.WEB_ACL_ID['Fn::Select'][0], 3);
    assert.match(JSON.stringify(e.WEB_ACL_ID), /ExportsReader/);
  });
  test('IAM: desired counts of ECS services only (and the web service, which registering checks); MinSize of the one group, within the floors of the schedule; no RDS', () => {
    assert.deepEqual(statement(prod.main, 'application-autoscaling:RegisterScalableTarget').Condition, {
      StringEquals: { 'application-autoscaling:service-namespace': 'ecs', 'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount' },
    });
    const asg = statement(prod.main, 'autoscaling:UpdateAutoScalingGroup');
    assert.deepEqual(asg.Condition, { NumericGreaterThanEquals: { 'autoscaling:MinSize': 2 }, NumericLessThanEquals: { 'autoscaling:MinSize': 5 } });
    assert.match(JSON.stringify(asg.Resource), /autoScalingGroupName\/".*ComputeInstancesASG/);
    assert.equal(statement(prod.main, 'rds:ModifyDBCluster'), undefined);
    const actions = statements(prod.main)
      .flatMap((s) => [s.Action].flat())
      .sort();
    assert.deepEqual(actions, [
      'application-autoscaling:RegisterScalableTarget',
      'autoscaling:UpdateAutoScalingGroup',
      'ecs:DescribeServices',
      'ecs:UpdateService',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'wafv2:GetWebACL',
      'wafv2:UpdateWebACL',
    ]);
    assert.deepEqual(statement(prod.main, 'ecs:UpdateService').Resource, {
      Ref: Object.keys(resources(prod.main, 'AWS::ECS::Service')).find((k) => k.startsWith('WebService')),
    });
  });
  test('IAM: the edge web ACL and the global managed rule groups it uses, nothing else', () => {
    assert.match(JSON.stringify(statement(prod.main, 'wafv2:GetWebACL').Resource), /^\{"Fn::GetAtt":\["ExportsReader/);
    const update = statement(prod.main, 'wafv2:UpdateWebACL').Resource;
    assert.equal(update.length, 2);
    assert.match(JSON.stringify(update[1]), /:wafv2:us-east-1:",\{"Ref":"AWS::AccountId"\},":global\/managedruleset\/\*"/);
  });
  test(`the edge web ACL has the rate-based rule the applier looks for (${RATE_LIMIT_RULE_NAME})`, () => {
    const [, acl] = only(resources(prod.edge!, 'AWS::WAFv2::WebACL'));
    assert.ok(acl.Properties.Rules.some((r: any) => r.Name === RATE_LIMIT_RULE_NAME && r.Statement.RateBasedStatement));
  });
});

describe('small: Fargate, Serverless v2, the regional web ACL on the ALB', () => {
  test('windows carry their rate limit and Aurora range; summer may pause the database', () => {
    const schedule = JSON.parse(env(small.main).SCHEDULE);
    assert.deepEqual(schedule.base, { web: { min: 1, max: 4 }, rateLimit: 2000, database: { min: 0.5, max: 16 } });
    assert.deepEqual(
      schedule.windows.map((w: any) => w.targets),
      [
        { web: { min: 3, max: 6 }, rateLimit: 20000, database: { min: 4, max: 32 } },
        { web: { min: 1, max: 4 }, rateLimit: 2000, database: { min: 0, max: 16 } },
      ],
    );
  });
  test('IAM: read and modify the one Aurora cluster; no Auto Scaling group', () => {
    const db = statement(small.main, 'rds:ModifyDBCluster');
    assert.deepEqual(db.Action, ['rds:DescribeDBClusters', 'rds:ModifyDBCluster']);
    assert.match(JSON.stringify(db.Resource), /:rds:eu-west-1:.*:cluster:",\{"Ref":"DatabaseCluster/);
    assert.equal(statement(small.main, 'autoscaling:UpdateAutoScalingGroup'), undefined);
    assert.equal(env(small.main).AUTO_SCALING_GROUP, undefined);
    assert.match(JSON.stringify(env(small.main).DB_CLUSTER), /DatabaseCluster/);
  });
  test('the regional web ACL in the main region, with its regional managed rule groups', () => {
    const e = env(small.main);
    assert.equal(e.WEB_ACL_SCOPE, 'REGIONAL');
    assert.equal(e.WEB_ACL_REGION, 'eu-west-1');
    assert.match(JSON.stringify(e.WEB_ACL_NAME), /WafWebAcl.*Arn/);
    const update = statement(small.main, 'wafv2:UpdateWebACL').Resource;
    assert.match(JSON.stringify(update[0]), /"Fn::GetAtt":\["WafWebAcl[0-9A-F]{8}","Arn"\]/);
    assert.match(JSON.stringify(update[1]), /:wafv2:eu-west-1:",\{"Ref":"AWS::AccountId"\},":regional\/managedruleset\/\*"/);
    const [, acl] = only(resources(small.main, 'AWS::WAFv2::WebACL'));
    assert.ok(acl.Properties.Rules.some((r: any) => r.Name === RATE_LIMIT_RULE_NAME && r.Statement.RateBasedStatement));
  });
});

describe('ScheduledCapacity construct', () => {
  const setup = () => {
    const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'] });
    const cluster = ecs.Cluster.fromClusterAttributes(stack, 'Cluster', { clusterName: 'probe', vpc });
    const webService = ecs.Ec2Service.fromEc2ServiceAttributes(stack, 'Web', { cluster, serviceName: 'probe-web' });
    const webAcl = webAclFromArn('arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/probe-acl/0a1b', 'REGIONAL', 'eu-west-1');
    const schedule = capacitySchedule([], { web: { min: 1, max: 2 }, instancesFor: () => 1, rateLimit: 1000, production: false, floor: 1 });
    return { stack, props: { schedule, cluster, webService, webScaling: webService, webAcl } };
  };
  test('a web ACL given by a literal ARN: name and id read from it', () => {
    const acl = webAclFromArn('arn:aws:wafv2:us-east-1:123456789012:global/webacl/moodle-edge/0a1b-2c3d', 'CLOUDFRONT', 'us-east-1');
    assert.deepEqual([acl.name, acl.id], ['moodle-edge', '0a1b-2c3d']);
  });
  test('deployNonce sets the value that triggers the deploy-time run', () => {
    const { stack, props } = setup();
    new ScheduledCapacity(stack, 'Schedule', {
      ...props,
      autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg2', 'probe-asg'),
      deployNonce: 'deploy-42',
    });
    Template.fromStack(stack).hasResourceProperties('Custom::MoodleScheduledCapacity', { Deploy: 'deploy-42', ServiceToken: Match.anyValue() });
  });
  test('an EC2 floor in the schedule without an Auto Scaling group is refused, naming the prop', () => {
    const { stack, props } = setup();
    assert.throws(() => new ScheduledCapacity(stack, 'Schedule', props), /give autoScalingGroup exactly when the schedule sets an EC2 floor/);
  });
  test('Aurora capacity in the schedule without the cluster is refused, naming the prop', () => {
    const { stack, props } = setup();
    const schedule = capacitySchedule([], { web: { min: 1, max: 2 }, rateLimit: 1000, database: { min: 0.5, max: 4 }, production: false, floor: 1 });
    assert.throws(() => new ScheduledCapacity(stack, 'Schedule', { ...props, schedule }), /give database exactly when the schedule sets Aurora capacity/);
  });
});
