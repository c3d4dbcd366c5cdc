// Choosing what to restore: the newest pair of completed recovery points, one of the Aurora
// cluster and one of the EFS file system, made by the same run of the backup plan, both at or
// before the time asked for. One run's jobs start within the rule's start window of each other
// (backups.ts: BACKUP_WINDOW), so a pair is two points of the same plan created at most that far
// apart, of the same rule when the points say so.
import { UserError } from '../../util/errors.ts';
import { BACKUP_WINDOW } from '../data/backups.ts';
import type { RecoveryPoint } from './client.ts';

export interface RecoveryPair {
  readonly database: RecoveryPoint;
  readonly files: RecoveryPoint;
}

export interface PairQuery {
  /** Newest moment both recovery points may be from. */
  readonly at: Date;
  readonly databaseArn: string;
  readonly fileSystemArn: string;
  /** Farthest apart two points of one run are created. @default BACKUP_WINDOW.startMinutes */
  readonly windowMs?: number;
}

const usable = (p: RecoveryPoint, resourceArn: string, at: Date) =>
  p.resourceArn === resourceArn && p.status === 'COMPLETED' && p.created.getTime() <= at.getTime();
const newestFirst = (a: RecoveryPoint, b: RecoveryPoint) => b.created.getTime() - a.created.getTime();

/** The newest pair at or before `at`; a UserError says what there is when no pair fits. */
export function choosePair(points: readonly RecoveryPoint[], q: PairQuery): RecoveryPair {
  const windowMs = q.windowMs ?? BACKUP_WINDOW.startMinutes * 60_000;
  const databases = points.filter((p) => usable(p, q.databaseArn, q.at)).sort(newestFirst);
  const files = points.filter((p) => usable(p, q.fileSystemArn, q.at)).sort(newestFirst);
  for (const database of databases) {
    const sameRun = files
      .filter((f) => Math.abs(f.created.getTime() - database.created.getTime()) <= windowMs)
      .filter((f) => !database.planId || !f.planId || f.planId === database.planId)
      .sort((a, b) => rank(a, database) - rank(b, database));
    if (sameRun[0]) return { database, files: sameRun[0] };
  }
  const newest = (list: RecoveryPoint[], what: string) =>
    list[0] ? `the newest ${what} at or before then is from ${list[0].created.toISOString()}` : `there is no completed ${what} at or before then`;
  throw new UserError(
    `no matching pair of recovery points (database and moodledata from the same backup run) at or before ${q.at.toISOString()}; nothing was restored:`,
    [
      `${newest(databases, 'database recovery point')} (${databases.length} in all, of ${q.databaseArn})`,
      `${newest(files, 'moodledata recovery point')} (${files.length} in all, of ${q.fileSystemArn})`,
      'pick a later time (--at), or check the backup jobs in the AWS Backup console (a run whose database or file system job failed leaves no pair)',
    ],
  );
}

/** Same rule first, then the nearest in time. */
function rank(f: RecoveryPoint, database: RecoveryPoint): number {
  const otherRule = database.ruleId && f.ruleId && f.ruleId !== database.ruleId ? 1e15 : 0;
  return otherRule + Math.abs(f.created.getTime() - database.created.getTime());
}
