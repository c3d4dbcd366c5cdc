// The capacity schedule on AWS: one Lambda, the schedule applier (./schedule-applier/), sets what
// the window in force asks for (web tasks' min/max, the EC2 floor, Aurora Serverless v2 capacity,
// the WAF per-IP rate limit). It runs
//   - from EventBridge Scheduler at every window's open and close, and
//   - from a custom resource on every deploy, after the resources it sets: a CloudFormation update
//     of one of them (a new AMI updates the Auto Scaling group, any rule change rewrites the whole
//     web ACL, a cluster change rewrites its scaling configuration) puts back the template's base
//     value, even in the middle of an exam window.
// It replaces Application Auto Scaling scheduled actions: one mechanism, and one evaluation of the
// windows (src/spec/windows.ts) shared with the local autoscaler.
import { CustomResource, Duration, Fn, Stack, TimeZone } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IConstruct } from 'constructs';
import { randomUUID } from 'node:crypto';
import { acknowledgeFinding } from '../nag.ts';
import { RATE_LIMIT_RULE_NAME } from '../waf-rule-names.ts';
import type { CapacitySchedule } from './schedule.ts';
import { APPLIER_HANDLER, applierBundle } from './schedule-applier/bundle.ts';
import { encodeSchedule, ENV, resourceEnvironment, type WebAclScope } from './schedule-applier/config.ts';

/** A web ACL the applier sets the rate limit of. */
export interface WebAclRef {
  readonly arn: string;
  readonly name: string;
  readonly id: string;
  readonly scope: WebAclScope;
  /** Region of its WAF API: us-east-1 for CLOUDFRONT, the ACL's own region for REGIONAL. */
  readonly region: string;
  /** Its per-IP rate-based rule. @default RATE_LIMIT_RULE_NAME */
  readonly rateRuleName?: string;
  /** IP sets, regex pattern sets and rule groups it references: UpdateWebACL needs permission on them. @default [] */
  readonly referencedArns?: readonly string[];
}

/** A web ACL known by its ARN ("…:global/webacl/<name>/<id>"): name and id are read from it at deploy time. */
export function webAclFromArn(arn: string, scope: WebAclScope, region: string): WebAclRef {
  const parts = Fn.split('/', arn);
  return { arn, name: Fn.select(2, parts), id: Fn.select(3, parts), scope, region };
}

export interface ScheduledCapacityProps {
  /** What each window sets and when to run (the deployment plan's scaling.schedule). */
  readonly schedule: CapacitySchedule;
  readonly cluster: ecs.ICluster;
  readonly webService: ecs.IBaseService;
  /** The web service's scalable target: the deploy-time run waits for CloudFormation to update it. */
  readonly webScaling: IConstruct;
  /** The EC2 capacity's group; required when the schedule sets an EC2 floor. @default - Fargate */
  readonly autoScalingGroup?: autoscaling.IAutoScalingGroup;
  /** The Aurora cluster; required when the schedule sets Serverless v2 capacity. @default - provisioned instances */
  readonly database?: rds.IDatabaseCluster;
  readonly webAcl: WebAclRef;
  /** Topic the "applier failed" alarm notifies. @default - no alarm */
  readonly alarmTopic?: sns.ITopic;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Differs at every synthesis so that every deploy runs the applier. @default - a random UUID */
  readonly deployNonce?: string;
}

export class ScheduledCapacity extends Construct {
  readonly function: lambda.Function;
  readonly resource: CustomResource;
  readonly schedules: readonly scheduler.Schedule[];
  readonly alarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ScheduledCapacityProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { schedule, webAcl } = props;
    const all = [schedule.base, ...schedule.windows.map((w) => w.targets)];
    if ((schedule.base.instances !== undefined) !== (props.autoScalingGroup !== undefined)) {
      throw new Error('ScheduledCapacity: give autoScalingGroup exactly when the schedule sets an EC2 floor (ec2 compute)');
    }
    if ((schedule.base.database !== undefined) !== (props.database !== undefined)) {
      throw new Error('ScheduledCapacity: give database exactly when the schedule sets Aurora capacity (engine serverless)');
    }

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Applies the capacity window in force',
    });
    logGroup.grantWrite(role);
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['application-autoscaling:RegisterScalableTarget'],
        resources: [stack.formatArn({ service: 'application-autoscaling', resource: 'scalable-target', resourceName: '*' })],
        conditions: {
          StringEquals: { 'application-autoscaling:service-namespace': 'ecs', 'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount' },
        },
      }),
    );
    // Application Auto Scaling checks that the caller of RegisterScalableTarget may itself describe
    // and update the target ("Permissions validation for Application Auto Scaling API calls on target
    // resources"): the web service only.
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeServices', 'ecs:UpdateService'], resources: [props.webService.serviceArn] }));
    if (props.autoScalingGroup) {
      const floors = all.map((t) => t.instances!);
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['autoscaling:UpdateAutoScalingGroup'],
          resources: [props.autoScalingGroup.autoScalingGroupArn],
          conditions: {
            NumericGreaterThanEquals: { 'autoscaling:MinSize': Math.min(...floors) },
            NumericLessThanEquals: { 'autoscaling:MinSize': Math.max(...floors) },
          },
        }),
      );
    }
    if (props.database) {
      role.addToPolicy(new iam.PolicyStatement({ actions: ['rds:DescribeDBClusters', 'rds:ModifyDBCluster'], resources: [props.database.clusterArn] }));
    }
    role.addToPolicy(new iam.PolicyStatement({ actions: ['wafv2:GetWebACL'], resources: [webAcl.arn] }));
    // UpdateWebACL is also authorized against the managed rule groups the ACL uses (AWS managed
    // rule groups are "managedruleset" resources of the ACL's scope and region).
    const managedRuleSets = stack.formatArn({
      service: 'wafv2',
      region: webAcl.region,
      resource: webAcl.scope === 'CLOUDFRONT' ? 'global' : 'regional',
      resourceName: 'managedruleset/*',
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['wafv2:UpdateWebACL'], resources: [webAcl.arn, managedRuleSets, ...(webAcl.referencedArns ?? [])] }));

    this.function = new lambda.Function(this, 'Applier', {
      runtime: lambda.Runtime.NODEJS_24_X,
      code: lambda.Code.fromAsset(applierBundle()),
      handler: APPLIER_HANDLER,
      role,
      logGroup,
      timeout: Duration.minutes(5),
      memorySize: 256,
      description: 'moodle-ha: applies the capacity window in force (web tasks, EC2 floor, Aurora capacity, WAF rate limit)',
      environment: {
        [ENV.schedule]: encodeSchedule({ base: schedule.base, windows: schedule.windows }),
        ...resourceEnvironment({
          webScalableTarget: `service/${props.cluster.clusterName}/${props.webService.serviceName}`,
          autoScalingGroup: props.autoScalingGroup?.autoScalingGroupName,
          dbCluster: props.database?.clusterIdentifier,
          webAcl: { name: webAcl.name, id: webAcl.id, scope: webAcl.scope, region: webAcl.region, rateRule: webAcl.rateRuleName ?? RATE_LIMIT_RULE_NAME },
        }),
      },
    });

    // Every deploy: the nonce changes, so CloudFormation sends an Update once the resources it
    // depends on are updated.
    const provider = new cr.Provider(this, 'Provider', { onEventHandler: this.function, logGroup });
    this.resource = new CustomResource(this, 'Apply', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::MoodleScheduledCapacity',
      properties: { Deploy: props.deployNonce ?? randomUUID() },
    });
    this.resource.node.addDependency(props.webService, props.webScaling);
    if (props.autoScalingGroup) this.resource.node.addDependency(props.autoScalingGroup);
    if (props.database) this.resource.node.addDependency(props.database);

    // Our own role for EventBridge Scheduler (CDK would make one at the stack's root), limited to
    // schedules of this account.
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: 'EventBridge Scheduler: invokes the schedule applier at window edges',
    });
    this.schedules = schedule.triggers.map(
      (t) =>
        new scheduler.Schedule(this, t.name, {
          schedule: scheduler.ScheduleExpression.expression(t.expression, TimeZone.ETC_UTC),
          description: `moodle-ha: capacity window ${t.name}`,
          target: new targets.LambdaInvoke(this.function, {
            role: schedulerRole,
            input: scheduler.ScheduleTargetInput.fromObject({ trigger: t.name, scheduledTime: scheduler.ContextAttribute.scheduledTime }),
            // The applier sets the state of now, so a late retry is still right; an hour is plenty.
            maxEventAge: Duration.hours(1),
            retryAttempts: 10,
          }),
        }),
    );

    if (props.alarmTopic) {
      this.alarm = new cloudwatch.Alarm(this, 'Failed', {
        metric: this.function.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription:
          'The schedule applier failed: the capacity window in force (web tasks, EC2 floor, Aurora capacity, WAF rate limit) may not be set; see its log group',
      });
      this.alarm.addAlarmAction(new cwActions.SnsAction(props.alarmTopic));
      this.alarm.addOkAction(new cwActions.SnsAction(props.alarmTopic));
    }

    acknowledgeFinding(this, {
      rule: 'IAM5',
      finding: /^Resource::arn:<AWS::Partition>:application-autoscaling:[a-z0-9-]+:<AWS::AccountId>:scalable-target\/\*$/,
      reason:
        'A scalable target ARN ends in an id CloudFormation does not return; the conditions limit RegisterScalableTarget to ECS service desired counts, and the applier only passes the web service.',
    });
    acknowledgeFinding(this, {
      rule: 'IAM5',
      finding: /^Resource::arn:.*:wafv2:.*:(global|regional)\/managedruleset\/\*$/,
      reason:
        'UpdateWebACL is also authorized against the AWS managed rule groups the web ACL uses; their ids are AWS-owned, so the scope and region are the narrowest pattern.',
    });
    acknowledgeFinding(this, {
      rule: 'IAM5',
      finding: /^Resource::<ScheduleApplier[0-9A-F]{8}\.Arn>:\*$/,
      reason: 'The Provider framework and EventBridge Scheduler may invoke versions of the applier function only (CDK grants function ARN and ARN:*).',
    });
    if (props.autoScalingGroup) {
      acknowledgeFinding(this, {
        rule: 'IAM5',
        finding: /^Resource::arn:.*:autoscaling:.*:autoScalingGroup:\*:autoScalingGroupName\/<.*>$/,
        reason:
          'The ARN of one named Auto Scaling group: its id part is unknown until created, so it is a wildcard; the name pins the group and a condition bounds MinSize.',
      });
    }
    acknowledgeFinding(provider, {
      rule: 'IAM4',
      finding: /AWSLambdaBasicExecutionRole$/,
      reason: 'The Provider framework role uses AWSLambdaBasicExecutionRole for writing its own logs only.',
    });
  }
}
