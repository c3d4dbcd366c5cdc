// RestoreClient through the `aws` CLI (v2), which anyone who deploys has: JSON output, one process
// per call. The project does not depend on the AWS SDK. `run` is injectable, so the arguments and
// the parsing are tested without AWS.
import { execFile } from 'node:child_process';
import { UserError } from '../../util/errors.ts';
import type { RecoveryPoint, RestoreClient, RestoreJob, StartRestore } from './client.ts';

/** Runs `aws <args>` and returns its stdout. */
export type AwsRunner = (args: readonly string[]) => Promise<string>;

export const awsCli: AwsRunner = (args) =>
  new Promise((resolve, reject) => {
    execFile('aws', [...args], { maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(
          new UserError(
            '"moodle-ha aws restore" calls the AWS CLI, which is not installed: install AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html) and configure it with the credentials you deploy with',
          ),
        );
      }
      reject(
        new UserError(
          `aws ${args.slice(0, 2).join(' ')} failed: ${String(stderr || err.message)
            .trim()
            .split('\n')
            .slice(-5)
            .join(' ')}`,
        ),
      );
    });
  });

/** A timestamp as the CLI prints it: ISO 8601 (the v2 default) or epoch seconds. */
function time(v: unknown): Date {
  return typeof v === 'number' ? new Date(v * 1000) : new Date(String(v));
}

export class AwsCliRestoreClient implements RestoreClient {
  constructor(
    private readonly region: string,
    private readonly run: AwsRunner = awsCli,
  ) {}

  private async json<T>(args: readonly string[]): Promise<T> {
    const out = await this.run([...args, '--region', this.region, '--output', 'json']);
    return (out.trim() ? JSON.parse(out) : {}) as T;
  }

  async stackOutputs(stackName: string): Promise<Record<string, string>> {
    const r = await this.json<{ Stacks?: Array<{ Outputs?: Array<{ OutputKey: string; OutputValue: string }> }> }>([
      'cloudformation',
      'describe-stacks',
      '--stack-name',
      stackName,
    ]);
    return Object.fromEntries((r.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  }

  async listRecoveryPoints(vaultName: string): Promise<RecoveryPoint[]> {
    // Paginated by the CLI itself (all pages are merged into one RecoveryPoints list).
    const r = await this.json<{ RecoveryPoints?: Array<Record<string, any>> }>([
      'backup',
      'list-recovery-points-by-backup-vault',
      '--backup-vault-name',
      vaultName,
    ]);
    return (r.RecoveryPoints ?? []).map((p) => ({
      arn: String(p.RecoveryPointArn),
      resourceArn: String(p.ResourceArn),
      resourceType: String(p.ResourceType),
      created: time(p.CreationDate),
      status: String(p.Status),
      planId: p.CreatedBy?.BackupPlanId,
      ruleId: p.CreatedBy?.BackupRuleId,
    }));
  }

  async restoreMetadata(vaultName: string, recoveryPointArn: string): Promise<Record<string, string>> {
    const r = await this.json<{ RestoreMetadata?: Record<string, string> }>([
      'backup',
      'get-recovery-point-restore-metadata',
      '--backup-vault-name',
      vaultName,
      '--recovery-point-arn',
      recoveryPointArn,
    ]);
    return r.RestoreMetadata ?? {};
  }

  async startRestoreJob(input: StartRestore): Promise<string> {
    const r = await this.json<{ RestoreJobId?: string }>([
      'backup',
      'start-restore-job',
      '--recovery-point-arn',
      input.recoveryPointArn,
      '--iam-role-arn',
      input.iamRoleArn,
      '--resource-type',
      input.resourceType,
      '--metadata',
      JSON.stringify(input.metadata),
    ]);
    if (!r.RestoreJobId) throw new UserError(`aws backup start-restore-job returned no job id for ${input.recoveryPointArn}`);
    return r.RestoreJobId;
  }

  async describeRestoreJob(jobId: string): Promise<RestoreJob> {
    const r = await this.json<Record<string, any>>(['backup', 'describe-restore-job', '--restore-job-id', jobId]);
    return { status: r.Status, createdResourceArn: r.CreatedResourceArn, statusMessage: r.StatusMessage, percentDone: r.PercentDone };
  }

  async prepareFileSystem(fileSystemId: string, opts: { readonly name: string; readonly policy: string }): Promise<void> {
    await this.json(['efs', 'update-file-system', '--file-system-id', fileSystemId, '--throughput-mode', 'elastic']);
    await this.json(['efs', 'put-file-system-policy', '--file-system-id', fileSystemId, '--policy', opts.policy]);
    await this.json(['efs', 'tag-resource', '--resource-id', fileSystemId, '--tags', `Key=Name,Value=${opts.name}`]);
  }
}
