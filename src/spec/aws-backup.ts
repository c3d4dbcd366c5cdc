// `aws.backup` (one AWS Backup plan for Aurora and EFS: daily and monthly rules, an optional copy
// to another region) and `aws.restore` (deploy a stack whose database and moodledata come from a
// pair of recovery points; written by `moodle-ha aws restore`). Rules that need other fields of
// `aws:` are in checkBackupAndRestore, called by the aws section's validation.
import { z } from 'zod';
import type { Duration } from './units.ts';
import { durationSchema } from './units.ts';

const DAY = 86400;
/** AWS Backup keeps a recovery point in cold storage at least this long (Lifecycle: DeleteAfterDays ≥ MoveToColdStorageAfterDays + 90). */
export const COLD_STORAGE_MINIMUM_DAYS = 90;

export const regionSchema = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as "eu-west-1"');

const vaultArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:[A-Za-z0-9_.-]{2,50}$/,
    'must be an AWS Backup vault ARN, arn:aws:backup:<region>:<account>:backup-vault:<name>',
  );

export const backupSchema = z
  .object({
    /** Start of the daily backup window, "HH:MM" in UTC. Aurora and EFS are backed up by the same rule run in that window. @default "02:30" */
    time: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a UTC time of day "HH:MM", such as "02:30"')
      .default('02:30'),
    /** How long daily recovery points are kept. @default "35d" */
    dailyRetention: durationSchema.prefault('35d'),
    /** How long monthly recovery points (the 1st of each month) are kept; "0d" turns the monthly rule off. @default "365d" */
    monthlyRetention: durationSchema.prefault('365d'),
    /**
     * When monthly recovery points move to cold storage; "0d": never. Only EFS has a cold tier: AWS Backup
     * ignores this for Aurora snapshots, which stay warm. @default "30d"
     */
    monthlyColdAfter: durationSchema.prefault('30d'),
    /** A copy of every recovery point in another region, for when the main region is lost. @default - no copy */
    copyTo: z
      .object({
        /** The region copies go to. */
        region: regionSchema,
        /**
         * A vault in that region, of this account, encrypted with a customer managed KMS key of that
         * region that AWS Backup may use (it re-encrypts the Aurora snapshot copies with the
         * destination vault's key). @default - a vault "<name>-copies" with its own key, in the stack
         * "<name>-backup-copy" deployed to that region
         */
        vaultArn: vaultArn.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const restoreSchema = z
  .object({
    /** ARN of the Aurora cluster snapshot the database is created from (an AWS Backup recovery point of an Aurora cluster is one). */
    databaseSnapshotArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster-snapshot:[A-Za-z0-9:_-]+$/,
        'must be an Aurora cluster snapshot ARN, arn:aws:rds:<region>:<account>:cluster-snapshot:<id>',
      ),
    /** ID of the EFS file system AWS Backup restored moodledata to (a new file system). */
    fileSystemId: z.string().regex(/^fs-[0-9a-f]{8,40}$/, 'must be an EFS file system id such as "fs-0123456789abcdef0"'),
  })
  .strict();

export type BackupSpec = z.output<typeof backupSchema>;
export type RestoreSpec = z.output<typeof restoreSchema>;

type Issue = (path: (string | number)[], message: string) => void;

interface Context {
  readonly region: string;
  readonly account?: string;
  readonly sharedFilesType: 'efs' | 'nfs';
  /** The retired aws.sharedFiles.backupRetention, if the spec still sets it. */
  readonly retiredEfsRetention?: Duration;
}

const days = (d: Duration) => d.seconds / DAY;
const wholeDays = (d: Duration) => Number.isInteger(days(d));

/** Rules of aws.backup and aws.restore that need the rest of the aws section. */
export function checkBackupAndRestore(b: BackupSpec, r: RestoreSpec | undefined, c: Context, issue: Issue): void {
  if (c.retiredEfsRetention) {
    issue(
      ['sharedFiles', 'backupRetention'],
      'one AWS Backup plan now covers Aurora and EFS together: move this value to aws.backup.dailyRetention and remove it here',
    );
  }
  if (!wholeDays(b.dailyRetention) || days(b.dailyRetention) < 1)
    issue(['backup', 'dailyRetention'], 'must be a whole number of days, at least "1d", e.g. "35d"');
  if (!wholeDays(b.monthlyRetention)) issue(['backup', 'monthlyRetention'], 'must be a whole number of days, e.g. "365d" (or "0d" for no monthly backups)');
  if (!wholeDays(b.monthlyColdAfter)) issue(['backup', 'monthlyColdAfter'], 'must be a whole number of days, e.g. "30d" (or "0d" to keep them warm)');
  const monthly = days(b.monthlyRetention);
  const cold = days(b.monthlyColdAfter);
  if (monthly > 0 && cold > 0 && monthly < cold + COLD_STORAGE_MINIMUM_DAYS) {
    issue(
      ['backup', 'monthlyRetention'],
      `(${monthly} days) must be at least monthlyColdAfter + ${COLD_STORAGE_MINIMUM_DAYS} days (${cold + COLD_STORAGE_MINIMUM_DAYS}): AWS Backup keeps cold recovery points ${COLD_STORAGE_MINIMUM_DAYS} days at least. Raise monthlyRetention, or lower monthlyColdAfter ("0d" keeps them warm)`,
    );
  }
  if (b.copyTo) {
    if (b.copyTo.region === c.region)
      issue(
        ['backup', 'copyTo', 'region'],
        `is aws.region (${c.region}): a copy protects against losing the region only in another one; name another region, or remove copyTo`,
      );
    const arn = b.copyTo.vaultArn?.split(':');
    if (arn && arn[3] !== b.copyTo.region)
      issue(
        ['backup', 'copyTo', 'vaultArn'],
        `is in ${arn[3]}, but copyTo.region is ${b.copyTo.region}: give a vault of ${b.copyTo.region}, or change the region`,
      );
    if (arn && c.account && arn[4] !== c.account) {
      issue(
        ['backup', 'copyTo', 'vaultArn'],
        `belongs to account ${arn[4]}, not aws.account ${c.account}: copies to another account need AWS Organizations and vault access policies, which moodle-ha does not set up; give a vault of ${c.account}`,
      );
    }
  }
  if (r) {
    const region = r.databaseSnapshotArn.split(':')[3];
    if (region !== c.region)
      issue(
        ['restore', 'databaseSnapshotArn'],
        `is in ${region}, but the stack deploys to aws.region ${c.region}: restore in ${region} (set aws.region), or use the copy in ${c.region}`,
      );
    if (c.sharedFilesType !== 'efs') issue(['restore', 'fileSystemId'], 'a restored file system is EFS: set aws.sharedFiles.type: efs');
  }
}
