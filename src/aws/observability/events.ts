// Events to the alarm topic (EventBridge rules; the topic policy and its KMS key admit
// events.amazonaws.com): ECS deployment state changes and service actions of the web and cron
// services (a failed or rolled-back deploy); every state change of the web tier's target-tracking
// alarms (a scale-out or scale-in starting); a migrate task that stopped without success; Aurora
// failovers and failures; failed AWS Backup jobs of moodledata.
import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** RDS event categories that mean the database moved or broke (AWS: "Amazon RDS event categories and event messages for Aurora"). */
export const DATABASE_EVENT_CATEGORIES = ['failover', 'failure'] as const;
/** AWS Backup job states that mean no recovery point was made. */
export const FAILED_BACKUP_STATES = ['FAILED', 'ABORTED', 'EXPIRED'] as const;

export interface MoodleEventsProps {
  readonly topic: sns.ITopic;
  readonly cluster: ecs.ICluster;
  readonly services: readonly ecs.BaseService[];
  /** The service whose target-tracking alarms announce scaling. */
  readonly scaledService: ecs.BaseService;
  /** startedBy values of the migrate (and migrate finish) tasks. */
  readonly migrateStartedBy: readonly string[];
  readonly database: rds.DatabaseCluster;
  /** Vault of the moodledata backups. @default - no backups (NFS moodledata) */
  readonly backupVaultArn?: string;
}

export class MoodleEvents extends Construct {
  readonly deployments: events.Rule;
  readonly scaling: events.Rule;
  readonly migrateFailed: events.Rule;
  readonly database: events.Rule;
  readonly backups?: events.Rule;

  constructor(scope: Construct, id: string, props: MoodleEventsProps) {
    super(scope, id);
    const target = new targets.SnsTopic(props.topic);
    this.deployments = new events.Rule(this, 'Deployments', {
      description: 'Moodle ECS deployments and service problems',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Deployment State Change', 'ECS Service Action'],
        resources: props.services.map((s) => s.serviceArn),
      },
      targets: [target],
    });
    this.scaling = new events.Rule(this, 'Scaling', {
      description: 'Moodle web tier scaling (target tracking alarms)',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: {
          alarmName: [{ prefix: `TargetTracking-service/${props.cluster.clusterName}/${props.scaledService.serviceName}` }],
          state: { value: ['ALARM'] },
        },
      },
      targets: [target],
    });
    // A migrate that exits non-zero fails the deploy (the custom resource), but the deploy may run
    // unattended (the pipeline): say so on the topic. A task that never started has no exit code.
    this.migrateFailed = new events.Rule(this, 'MigrateFailed', {
      description: 'A Moodle migrate task stopped without success (non-zero exit, or it never started)',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: {
          clusterArn: [props.cluster.clusterArn],
          startedBy: [...props.migrateStartedBy],
          lastStatus: ['STOPPED'],
          $or: [{ containers: { exitCode: [{ 'anything-but': 0 }] } }, { stopCode: ['TaskFailedToStart'] }],
        },
      },
      targets: [target],
    });
    const stack = Stack.of(this);
    const instanceArns = props.database.instanceIdentifiers.map((i) =>
      stack.formatArn({ service: 'rds', resource: 'db', resourceName: i, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    );
    this.database = new events.Rule(this, 'Database', {
      description: 'Aurora failovers and failures of the Moodle database (cluster and its instances)',
      eventPattern: {
        source: ['aws.rds'],
        detailType: ['RDS DB Cluster Event', 'RDS DB Instance Event'],
        detail: {
          EventCategories: [...DATABASE_EVENT_CATEGORIES],
          SourceArn: [props.database.clusterArn, ...instanceArns],
        },
      },
      targets: [target],
    });
    if (props.backupVaultArn) {
      this.backups = new events.Rule(this, 'Backups', {
        description: 'AWS Backup jobs of moodledata that made no recovery point',
        eventPattern: {
          source: ['aws.backup'],
          detailType: ['Backup Job State Change'],
          detail: { state: [...FAILED_BACKUP_STATES], backupVaultArn: [props.backupVaultArn] },
        },
        targets: [target],
      });
    }
  }
}
