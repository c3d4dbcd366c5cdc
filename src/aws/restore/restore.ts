// `moodle-ha aws restore`: a site's database and moodledata as they were at a time, in a NEW stack
// beside the running one (which is not touched). In order: read the source stack's backup outputs →
// choose the pair of recovery points → restore the EFS one to a new file system (StartRestoreJob)
// and wait → give the file system what the stack cannot (Elastic throughput, the TLS-only policy)
// → deploy the new stack from the same spec with aws.restore (its Aurora cluster is created from
// the Aurora recovery point, a cluster snapshot, during the deploy).
import { UserError } from '../../util/errors.ts';
import type { RestoreSpec } from '../../spec/aws-backup.ts';
import { BACKUP_OUTPUTS } from '../data/backups.ts';
import { denyUnencryptedMounts } from '../data/shared-files.ts';
import type { RestoreClient, RestoreJob } from './client.ts';
import { choosePair, type RecoveryPair } from './pair.ts';

export interface RestoreToNewStackOptions {
  readonly client: RestoreClient;
  /** The running site's main stack (its name). */
  readonly sourceStack: string;
  readonly at: Date;
  /** Name of the new site (its stacks, cluster, file system tag). */
  readonly newName: string;
  /** Deploys the new stack with aws.restore set. */
  readonly deploy: (restore: RestoreSpec) => Promise<void>;
  readonly log?: (line: string) => void;
  /** @default 30 s */
  readonly pollMs?: number;
  /** Longest wait for the EFS restore job. @default 12 h */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

export interface RestoreOutcome {
  readonly pair: RecoveryPair;
  readonly restoreJobId: string;
  readonly fileSystemId: string;
}

export async function restoreToNewStack(o: RestoreToNewStackOptions): Promise<RestoreOutcome> {
  const log = o.log ?? (() => {});
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = o.now ?? Date.now;
  const outputs = await o.client.stackOutputs(o.sourceStack);
  const need = (key: string, why: string) => {
    const v = outputs[key];
    if (!v)
      throw new UserError(
        `stack ${o.sourceStack} has no output ${key} (${why}): deploy it with this moodle-ha version first, then wait for a backup run; nothing was restored`,
      );
    return v;
  };
  const vault = need(BACKUP_OUTPUTS.vault, 'its backup vault');
  const role = need(BACKUP_OUTPUTS.restoreRole, 'the role AWS Backup restores with');
  const databaseArn = need(BACKUP_OUTPUTS.database, 'the backed-up Aurora cluster');
  const fileSystemArn = need(BACKUP_OUTPUTS.fileSystem, 'the backed-up EFS file system; a site on NFS has none to restore');

  const pair = choosePair(await o.client.listRecoveryPoints(vault), { at: o.at, databaseArn, fileSystemArn });
  log(
    `recovery points: database ${pair.database.created.toISOString()} (${pair.database.arn}), moodledata ${pair.files.created.toISOString()} (${pair.files.arn})`,
  );
  if (!/:rds:[^:]+:\d{12}:cluster-snapshot:/.test(pair.database.arn)) {
    throw new UserError(`the database recovery point ${pair.database.arn} is not an Aurora cluster snapshot; nothing was restored`);
  }

  const original = await o.client.restoreMetadata(vault, pair.files.arn);
  const jobId = await o.client.startRestoreJob({
    recoveryPointArn: pair.files.arn,
    iamRoleArn: role,
    resourceType: 'EFS',
    metadata: {
      'file-system-id': original['file-system-id'] ?? fileSystemArn.split('/').pop()!,
      newFileSystem: 'true',
      Encrypted: 'true',
      PerformanceMode: original.PerformanceMode ?? 'generalPurpose',
      CreationToken: `${o.newName}-moodledata-${now()}`,
    },
  });
  log(`EFS restore job ${jobId} started: moodledata to a new file system`);
  const job = await waitForJob(o.client, jobId, { pollMs: o.pollMs ?? 30_000, timeoutMs: o.timeoutMs ?? 12 * 3600_000, sleep, now, log });
  const fileSystemId = /file-system\/(fs-[0-9a-f]+)$/.exec(job.createdResourceArn ?? '')?.[1];
  if (!fileSystemId)
    throw new UserError(`EFS restore job ${jobId} completed without naming a file system (${job.createdResourceArn ?? 'none'}); nothing was deployed`);
  log(`moodledata restored to ${fileSystemId}`);

  await o.client.prepareFileSystem(fileSystemId, {
    name: `${o.newName}-moodledata`,
    policy: JSON.stringify({ Version: '2012-10-17', Statement: [denyUnencryptedMounts().toStatementJson()] }),
  });
  try {
    await o.deploy({ databaseSnapshotArn: pair.database.arn, fileSystemId });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new UserError(`deploying the restored stack ${o.newName} failed: ${msg}`, [
      `the restored file system ${fileSystemId} stays (it is not part of a stack); fix the cause and deploy again with aws.restore: { databaseSnapshotArn: ${pair.database.arn}, fileSystemId: ${fileSystemId} } and name: ${o.newName}, or delete it (aws efs delete-file-system) and run "moodle-ha aws restore" again`,
      `the running site (${o.sourceStack}) was not changed`,
    ]);
  }
  return { pair, restoreJobId: jobId, fileSystemId };
}

async function waitForJob(
  client: RestoreClient,
  jobId: string,
  o: { pollMs: number; timeoutMs: number; sleep: (ms: number) => Promise<void>; now: () => number; log: (l: string) => void },
): Promise<RestoreJob> {
  const deadline = o.now() + o.timeoutMs;
  let last = '';
  for (;;) {
    const job = await client.describeRestoreJob(jobId);
    if (job.status === 'COMPLETED') return job;
    if (job.status === 'FAILED' || job.status === 'ABORTED') {
      throw new UserError(
        `EFS restore job ${jobId} ${job.status.toLowerCase()}: ${job.statusMessage ?? 'no message'}; nothing was deployed, and the recovery points are unchanged: fix the cause (see the job in the AWS Backup console) and run "moodle-ha aws restore" again`,
      );
    }
    const state = `${job.status}${job.percentDone ? ` ${job.percentDone}` : ''}`;
    if (state !== last) o.log(`EFS restore job ${jobId}: ${state}`);
    last = state;
    if (o.now() >= deadline) {
      throw new UserError(
        `EFS restore job ${jobId} is still ${job.status} after ${Math.round(o.timeoutMs / 60_000)} min; nothing was deployed. When "aws backup describe-restore-job --restore-job-id ${jobId}" says COMPLETED, deploy the new stack by hand ("moodle-ha deploy" with its name and aws.restore: the database snapshot above and the file system id in CreatedResourceArn; docs/aws.md)`,
      );
    }
    await o.sleep(o.pollMs);
  }
}
