// One AWS Backup plan for the site's data: the Aurora cluster and the EFS file system are in one
// selection, so every run of a rule makes a recovery point of each, in the same backup window: a
// pair from (nearly) the same moment, which `moodle-ha aws restore` restores together. A daily rule
// and a monthly rule (cold storage where the resource type has it: EFS; AWS Backup ignores it for
// Aurora), each optionally copied to a vault in another region. The vault is RETAIN and encrypted.
// Aurora's own automated backups (point-in-time restore) are separate and unchanged (database.ts).
import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import type * as efs from 'aws-cdk-lib/aws-efs';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../nag.ts';

/** Stack outputs `moodle-ha aws restore` reads to find the vault, the role and the two resources. */
export const BACKUP_OUTPUTS = {
  vault: 'BackupVaultName',
  restoreRole: 'BackupRestoreRoleArn',
  database: 'BackupDatabaseClusterArn',
  fileSystem: 'BackupFileSystemArn',
} as const;

/** Names of the rules (recovery points carry the rule's id; the names are for people). */
export const BACKUP_RULES = { daily: 'daily', monthly: 'monthly' } as const;

/**
 * Every rule's windows: its jobs start within `startMinutes` of the scheduled time, so the Aurora
 * and EFS recovery points of one run are created at most that far apart (how `aws restore` pairs
 * them), and must finish within `completionMinutes`.
 */
export const BACKUP_WINDOW = { startMinutes: 60, completionMinutes: 480 } as const;

export interface MoodleBackupsProps {
  /** The Aurora cluster. */
  readonly database: rds.IDatabaseCluster;
  /** moodledata on EFS. @default - none (an NFS server outside the stack is not backed up here) */
  readonly fileSystem?: efs.IFileSystem;
  /** Start of the daily window, UTC. @default 02:30 */
  readonly startAt?: { readonly hour: number; readonly minute: number };
  /** How long daily recovery points are kept. @default Duration.days(35) */
  readonly dailyRetention?: Duration;
  /** How long monthly recovery points are kept; zero: no monthly rule. @default Duration.days(365) */
  readonly monthlyRetention?: Duration;
  /** When monthly recovery points move to cold storage (EFS only); zero: never. @default Duration.days(30) */
  readonly monthlyColdAfter?: Duration;
  /** A vault in another region every recovery point is copied to. @default - no copies */
  readonly copyTo?: backup.IBackupVault;
}

export class MoodleBackups extends Construct {
  readonly vault: backup.BackupVault;
  readonly plan: backup.BackupPlan;
  readonly selection: backup.BackupSelection;
  /** The role AWS Backup assumes for this plan's backup and restore jobs. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: MoodleBackupsProps) {
    super(scope, id);
    const at = props.startAt ?? { hour: 2, minute: 30 };
    const dailyRetention = props.dailyRetention ?? Duration.days(35);
    const monthlyRetention = props.monthlyRetention ?? Duration.days(365);
    const coldAfter = props.monthlyColdAfter ?? Duration.days(30);
    const cold = coldAfter.toSeconds() > 0 ? coldAfter : undefined;
    const copy = (deleteAfter: Duration, moveToColdStorageAfter?: Duration): backup.BackupPlanCopyActionProps[] | undefined =>
      props.copyTo ? [{ destinationBackupVault: props.copyTo, deleteAfter, moveToColdStorageAfter }] : undefined;
    // Encrypted with AWS Backup's key for EFS recovery points; Aurora snapshots keep the cluster's key.
    this.vault = new backup.BackupVault(this, 'Vault', { removalPolicy: RemovalPolicy.RETAIN });
    const window = { startWindow: Duration.minutes(BACKUP_WINDOW.startMinutes), completionWindow: Duration.minutes(BACKUP_WINDOW.completionMinutes) };
    const rules = [
      new backup.BackupPlanRule({
        ruleName: BACKUP_RULES.daily,
        scheduleExpression: events.Schedule.cron({ hour: String(at.hour), minute: String(at.minute) }),
        ...window,
        deleteAfter: dailyRetention,
        copyActions: copy(dailyRetention),
      }),
    ];
    if (monthlyRetention.toSeconds() > 0) {
      rules.push(
        new backup.BackupPlanRule({
          ruleName: BACKUP_RULES.monthly,
          scheduleExpression: events.Schedule.cron({ day: '1', hour: String(at.hour), minute: String(at.minute) }),
          ...window,
          deleteAfter: monthlyRetention,
          moveToColdStorageAfter: cold,
          copyActions: copy(monthlyRetention, cold),
        }),
      );
    }
    this.plan = new backup.BackupPlan(this, 'Plan', { backupVault: this.vault, backupPlanRules: rules });
    // One selection: both resources in every run of every rule. allowRestores: the same role is
    // the one `moodle-ha aws restore` passes to StartRestoreJob.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: 'AWS Backup: back up and restore the Moodle database and moodledata',
    });
    this.selection = this.plan.addSelection('SiteData', {
      role: this.role,
      resources: [
        backup.BackupResource.fromRdsDatabaseCluster(props.database),
        ...(props.fileSystem ? [backup.BackupResource.fromEfsFileSystem(props.fileSystem)] : []),
      ],
      allowRestores: true,
    });
    acknowledgeFinding(this.role, {
      rule: 'IAM4',
      finding: /AWSBackupServiceRolePolicyFor(Backup|Restores)$/,
      reason:
        'The AWS Backup selection role uses the AWS-maintained policies for backup and restore jobs; the selection limits it to this cluster and file system.',
    });

    const stack = Stack.of(this);
    new CfnOutput(stack, BACKUP_OUTPUTS.vault, { value: this.vault.backupVaultName, description: 'AWS Backup vault of the site data (moodle-ha aws restore)' });
    new CfnOutput(stack, BACKUP_OUTPUTS.restoreRole, { value: this.role.roleArn, description: 'Role AWS Backup assumes for restore jobs' });
    new CfnOutput(stack, BACKUP_OUTPUTS.database, { value: props.database.clusterArn, description: 'Aurora cluster backed up by the plan' });
    if (props.fileSystem)
      new CfnOutput(stack, BACKUP_OUTPUTS.fileSystem, { value: props.fileSystem.fileSystemArn, description: 'EFS file system backed up by the plan' });
  }
}
