// What `destroy` would do to data, read from the synthesized templates: each data-bearing resource
// is kept (DeletionPolicy Retain), deleted after a final snapshot (Snapshot) or deleted (Delete),
// and a database with deletion protection would stop the destroy half-way.
import { UserError } from '../../util/errors.ts';

export type Fate = 'kept' | 'snapshot' | 'deleted';

export interface DataResource {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly what: string;
  readonly fate: Fate;
  /** Deletion protection is on: CloudFormation cannot delete it. */
  readonly protected: boolean;
}

/** Resource types that hold data a site cannot rebuild. */
export const DATA_TYPES: Readonly<Record<string, string>> = {
  'AWS::RDS::DBCluster': 'Aurora database',
  'AWS::EFS::FileSystem': 'EFS file system (moodledata)',
  'AWS::S3::Bucket': 'S3 bucket',
  'AWS::Backup::BackupVault': 'AWS Backup vault (database and moodledata recovery points)',
  'AWS::ECR::Repository': 'ECR repository (runtime images)',
};

interface Template {
  readonly Resources?: Record<string, { Type: string; DeletionPolicy?: string; Properties?: Record<string, unknown> }>;
}

export function dataResources(stacks: readonly { readonly name: string; readonly template: Template }[]): DataResource[] {
  const out: DataResource[] = [];
  for (const { name, template } of stacks) {
    for (const [logicalId, r] of Object.entries(template.Resources ?? {})) {
      const what = DATA_TYPES[r.Type];
      if (!what) continue;
      const policy = r.DeletionPolicy ?? 'Delete';
      const fate: Fate = policy.startsWith('Retain') ? 'kept' : policy === 'Snapshot' ? 'snapshot' : 'deleted';
      out.push({ stack: name, logicalId, type: r.Type, what, fate, protected: r.Properties?.DeletionProtection === true });
    }
  }
  return out;
}

const line = (r: DataResource) => `${r.what}: ${r.stack}/${r.logicalId}`;

/**
 * Throws a UserError when destroying would delete data without --delete-data, or could not finish
 * (deletion protection). Otherwise returns the lines to print about the data.
 */
export function checkDestroy(resources: readonly DataResource[], deleteData: boolean): string[] {
  const deleted = resources.filter((r) => r.fate === 'deleted');
  const snapshot = resources.filter((r) => r.fate === 'snapshot');
  const kept = resources.filter((r) => r.fate === 'kept');
  const blocked = resources.filter((r) => r.protected);
  if (!deleteData && deleted.length) {
    throw new UserError('destroy would delete data; nothing was changed. Run again with --delete-data to accept that:', deleted.map(line));
  }
  if (blocked.length) {
    throw new UserError(
      'destroy cannot finish: deletion protection is on (the production default); nothing was changed. Either run "moodle-ha destroy --delete-data", which first deploys with protection, RETAIN and snapshots lifted and then deletes everything, or set aws.database.deletionProtection: false, run "moodle-ha deploy", then "moodle-ha destroy" (a final snapshot is kept):',
      blocked.map(line),
    );
  }
  return [
    ...deleted.map((r) => `deleted: ${line(r)}`),
    ...snapshot.map((r) => `deleted after a final snapshot (kept until you delete it): ${line(r)}`),
    ...kept.map((r) => `kept (RETAIN: stays in the account, and keeps costing, after the stacks are gone): ${line(r)}`),
  ];
}
