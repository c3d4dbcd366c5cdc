// What `moodle-ha aws restore` asks of AWS, as a small interface: the real one calls the `aws` CLI
// (aws-cli-client.ts; the project does not depend on the AWS SDK), tests use a fake.

/** A recovery point in a backup vault (ListRecoveryPointsByBackupVault). */
export interface RecoveryPoint {
  readonly arn: string;
  /** The backed-up resource: the Aurora cluster's or the file system's ARN. */
  readonly resourceArn: string;
  /** AWS Backup's resource type: "Aurora", "EFS", … */
  readonly resourceType: string;
  /** When the backup job started: the point in time of the recovery point, near enough. */
  readonly created: Date;
  /** "COMPLETED" when usable. */
  readonly status: string;
  readonly planId?: string;
  readonly ruleId?: string;
}

export type RestoreJobStatus = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'ABORTED' | 'FAILED';

export interface RestoreJob {
  readonly status: RestoreJobStatus;
  /** The ARN of what the job made (a file system), once COMPLETED. */
  readonly createdResourceArn?: string;
  readonly statusMessage?: string;
  readonly percentDone?: string;
}

export interface StartRestore {
  readonly recoveryPointArn: string;
  readonly iamRoleArn: string;
  readonly resourceType: 'EFS';
  readonly metadata: Readonly<Record<string, string>>;
}

export interface RestoreClient {
  /** Outputs of a CloudFormation stack, by output key. */
  stackOutputs(stackName: string): Promise<Record<string, string>>;
  listRecoveryPoints(vaultName: string): Promise<RecoveryPoint[]>;
  /** GetRecoveryPointRestoreMetadata: the settings of the resource when it was backed up. */
  restoreMetadata(vaultName: string, recoveryPointArn: string): Promise<Record<string, string>>;
  /** StartRestoreJob; returns the job id. */
  startRestoreJob(input: StartRestore): Promise<string>;
  describeRestoreJob(jobId: string): Promise<RestoreJob>;
  /**
   * What a restore leaves at EFS defaults and the stack cannot set on a file system it did not
   * make: Elastic throughput, the file system policy that refuses unencrypted access, a Name tag.
   */
  prepareFileSystem(fileSystemId: string, opts: { readonly name: string; readonly policy: string }): Promise<void>;
}
