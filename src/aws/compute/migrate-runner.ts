// Runs one-off tasks of the migrate task definition during a deploy and waits for them (custom
// resources over one Provider; handlers in migrate-handler/):
//  - `migrate`: before the web and cron services roll. Its properties include the task definition
//    ARN (each deploy that changes it runs migrate once) and the image (a changed image first gets
//    an Aurora snapshot); a failed migrate fails the deploy before any service changes.
//  - `finish`: after both services rolled (it depends on them): `migrate finish` turns maintenance
//    mode off once every web task runs the code the database was upgraded to. Until then users see
//    Moodle's maintenance page, never new schema served by old code.
// A task that runs past the timeout is stopped and fails the deploy.
import { ArnFormat, CustomResource, Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IConstruct } from 'constructs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acknowledge, acknowledgeFinding } from '../nag.ts';
import { SNAPSHOT_PREFIX } from './migrate-handler/index.mjs';

const HANDLER_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrate-handler');

/** startedBy of the tasks the runner starts (declared once, in the handler). */
export { MIGRATE_STARTED_BY, STARTED_BY } from './migrate-handler/index.mjs';

export interface MigrateRunnerProps {
  readonly cluster: ecs.ICluster;
  readonly taskDefinition: ecs.TaskDefinition;
  readonly capacityProviderStrategies: ecs.CapacityProviderStrategy[];
  readonly subnets: ec2.ISubnet[];
  readonly securityGroup: ec2.ISecurityGroup;
  /** The Aurora cluster snapshotted before a new image's migrate. @default - no snapshot */
  readonly database?: { readonly clusterIdentifier: string };
  /** Longest a migrate may take (snapshot included); a task still running then is stopped. @default Duration.hours(1) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

export class MigrateRunner extends Construct {
  /** The migrate run the services depend on. */
  readonly resource: CustomResource;
  private readonly provider: cr.Provider;
  private readonly props: MigrateRunnerProps;

  constructor(scope: Construct, id: string, props: MigrateRunnerProps) {
    super(scope, id);
    this.props = props;
    const stack = Stack.of(this);
    const td = props.taskDefinition;
    const timeout = props.timeout ?? Duration.hours(1);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Runs and watches the Moodle migrate task, and snapshots the database before an upgrade',
    });
    logGroup.grantWrite(role);
    const onCluster = { ArnEquals: { 'ecs:cluster': props.cluster.clusterArn } };
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:RunTask'],
        resources: [stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${td.family}:*` })],
        conditions: onCluster,
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:DescribeTasks', 'ecs:StopTask'],
        resources: [stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${props.cluster.clusterName}/*` })],
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ecs:ListTasks'], resources: ['*'], conditions: onCluster }));
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [td.taskRole.roleArn, td.obtainExecutionRole().roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
    if (props.database) {
      const snapshots = stack.formatArn({
        service: 'rds',
        resource: 'cluster-snapshot',
        resourceName: `${SNAPSHOT_PREFIX}-*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      const cluster = stack.formatArn({
        service: 'rds',
        resource: 'cluster',
        resourceName: props.database.clusterIdentifier,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      role.addToPolicy(new iam.PolicyStatement({ actions: ['rds:CreateDBClusterSnapshot'], resources: [cluster, snapshots] }));
      role.addToPolicy(new iam.PolicyStatement({ actions: ['rds:AddTagsToResource'], resources: [snapshots] }));
      role.addToPolicy(new iam.PolicyStatement({ actions: ['rds:DescribeDBClusterSnapshots'], resources: [cluster, snapshots] }));
      role.addToPolicy(new iam.PolicyStatement({ actions: ['rds:DeleteDBClusterSnapshot'], resources: [snapshots] }));
    }
    const fn = (name: string, handler: string) =>
      new lambda.Function(this, name, {
        runtime: lambda.Runtime.NODEJS_24_X,
        code: lambda.Code.fromAsset(HANDLER_DIR),
        handler: `index.${handler}`,
        role,
        timeout: Duration.minutes(1),
        logGroup,
        description: `moodle-ha migrate runner (${handler})`,
      });
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: fn('Start', 'onEvent'),
      isCompleteHandler: fn('Check', 'isComplete'),
      queryInterval: Duration.seconds(15),
      totalTimeout: timeout,
      logGroup,
      disableWaiterStateMachineLogging: false,
      waiterStateMachineLogOptions: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    this.resource = this.run('Run', { timeout });

    acknowledgeFinding(this, {
      rule: 'IAM5',
      finding:
        /^Resource::(arn:.*:task-definition\/.*:\*|arn:.*:task\/.*\/\*|arn:.*:rds:.*:cluster-snapshot:moodle-ha-pre-migrate-\*|<Migrate(Start|Check|Providerframework(onEvent|isComplete|onTimeout))[0-9A-F]+\.Arn>:\*|\*)$/,
      reason:
        'RunTask is limited to the migrate family (any revision: each deploy makes a new one) on this cluster; DescribeTasks/StopTask to tasks of this cluster; ListTasks takes no resource (limited to this cluster by condition); snapshots only those named moodle-ha-pre-migrate-*; the Provider framework invokes versions of its own handlers; the waiter state machine logs to CloudWatch Logs, whose delivery APIs take no resource.',
    });
    acknowledgeFinding(this.provider, {
      rule: 'IAM4',
      finding: /AWSLambdaBasicExecutionRole$/,
      reason: 'The Provider framework roles use AWSLambdaBasicExecutionRole for writing their own logs only.',
    });
    acknowledge(
      this.provider,
      'SF2',
      'The Provider waiter state machine only loops isComplete every 15 s; X-Ray tracing would add nothing beyond the logged executions.',
    );
  }

  /** A run of the migrate task definition (with another command, e.g. ["migrate", "finish"]) as a custom resource. */
  run(id: string, opts: { readonly command?: readonly string[]; readonly timeout?: Duration } = {}): CustomResource {
    const p = this.props;
    const stack = Stack.of(this);
    const migrate = !opts.command;
    return new CustomResource(this, id, {
      serviceToken: this.provider.serviceToken,
      resourceType: migrate ? 'Custom::MoodleMigrate' : 'Custom::MoodleMigrateFinish',
      properties: {
        Cluster: p.cluster.clusterArn,
        TaskDefinition: p.taskDefinition.taskDefinitionArn,
        Image: p.taskDefinition.defaultContainer?.imageName,
        CapacityProviderStrategy: stack.toJsonString(
          p.capacityProviderStrategies.map((s) => ({ capacityProvider: s.capacityProvider, weight: s.weight ?? 1, base: s.base ?? 0 })),
        ),
        Subnets: p.subnets.map((s) => s.subnetId),
        SecurityGroups: [p.securityGroup.securityGroupId],
        TimeoutSeconds: String((opts.timeout ?? p.timeout ?? Duration.hours(1)).toSeconds()),
        ...(opts.command ? { Command: [...opts.command] } : {}),
        ...(migrate && p.database ? { DatabaseCluster: p.database.clusterIdentifier } : {}),
      },
    });
  }

  /** The finish run, after `after` (the services) rolled: maintenance mode off. */
  finishAfter(after: readonly IConstruct[]): CustomResource {
    const finish = this.run('Finish', { command: ['migrate', 'finish'], timeout: Duration.minutes(15) });
    finish.node.addDependency(this.resource, ...after);
    return finish;
  }
}
