// Runs the one-off migrate task and waits for it before the web and cron services roll: a custom
// resource whose properties include the migrate task definition ARN, so each new image (a new
// revision) runs migrate once; the services depend on it, and a failed migrate fails the deploy.
import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acknowledge, acknowledgeFinding } from '../nag.ts';

const HANDLER_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrate-handler');

/** startedBy of every migrate task the runner starts (declared once, in the handler). */
export { MIGRATE_STARTED_BY } from './migrate-handler/index.mjs';

export interface MigrateRunnerProps {
  readonly cluster: ecs.ICluster;
  readonly taskDefinition: ecs.TaskDefinition;
  readonly capacityProviderStrategies: ecs.CapacityProviderStrategy[];
  readonly subnets: ec2.ISubnet[];
  readonly securityGroup: ec2.ISecurityGroup;
  /** Longest a migrate may take. @default Duration.hours(1) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

export class MigrateRunner extends Construct {
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: MigrateRunnerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const td = props.taskDefinition;
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Runs and watches the Moodle migrate task',
    });
    logGroup.grantWrite(role);
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['ecs:RunTask'],
      resources: [stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${td.family}:*` })],
      conditions: { ArnEquals: { 'ecs:cluster': props.cluster.clusterArn } },
    }));
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['ecs:DescribeTasks'],
      resources: [stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${props.cluster.clusterName}/*` })],
    }));
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [td.taskRole.roleArn, td.obtainExecutionRole().roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    }));
    const fn = (name: string, handler: string, timeout: Duration) => new lambda.Function(this, name, {
      runtime: lambda.Runtime.NODEJS_24_X,
      code: lambda.Code.fromAsset(HANDLER_DIR),
      handler: `index.${handler}`,
      role,
      timeout,
      logGroup,
      description: `moodle-ha migrate runner (${handler})`,
    });
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: fn('Start', 'onEvent', Duration.minutes(1)),
      isCompleteHandler: fn('Check', 'isComplete', Duration.minutes(1)),
      queryInterval: Duration.seconds(15),
      totalTimeout: props.timeout ?? Duration.hours(1),
      logGroup,
      disableWaiterStateMachineLogging: false,
      waiterStateMachineLogOptions: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    this.resource = new CustomResource(this, 'Run', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::MoodleMigrate',
      properties: {
        Cluster: props.cluster.clusterArn,
        TaskDefinition: td.taskDefinitionArn,
        CapacityProviderStrategy: stack.toJsonString(props.capacityProviderStrategies.map((s) => ({ capacityProvider: s.capacityProvider, weight: s.weight ?? 1, base: s.base ?? 0 }))),
        Subnets: props.subnets.map((s) => s.subnetId),
        SecurityGroups: [props.securityGroup.securityGroupId],
      },
    });

    acknowledgeFinding(this, { rule: 'IAM5', finding: /^Resource::(arn:.*:task-definition\/.*:\*|arn:.*:task\/.*\/\*|<Migrate(Start|Check|Providerframework(onEvent|isComplete|onTimeout))[0-9A-F]+\.Arn>:\*|\*)$/, reason: 'RunTask is limited to the migrate family (any revision: each deploy makes a new one) on this cluster; DescribeTasks to tasks of this cluster; the Provider framework invokes versions of its own handlers; the waiter state machine logs to CloudWatch Logs, whose delivery APIs take no resource.' });
    acknowledgeFinding(provider, { rule: 'IAM4', finding: /AWSLambdaBasicExecutionRole$/, reason: 'The Provider framework roles use AWSLambdaBasicExecutionRole for writing their own logs only.' });
    acknowledge(provider, 'SF2', 'The Provider waiter state machine only loops isComplete every 15 s; X-Ray tracing would add nothing beyond the logged executions.');
  }
}
