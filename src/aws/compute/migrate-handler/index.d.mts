// Types of the migrate runner's handlers (index.mjs), for tests and for the constant the stack reads.
export interface MigrateEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  PhysicalResourceId?: string;
  ResourceProperties: Record<string, any>;
  OldResourceProperties?: Record<string, any>;
  Data?: Record<string, any>;
}
export interface TaskLike {
  taskArn?: string;
  taskDefinitionArn?: string;
  createdAt?: string | Date;
  lastStatus?: string;
  stoppedReason?: string;
  containers?: { name?: string; exitCode?: number; reason?: string }[];
}
export interface EcsLike {
  runTask(input: Record<string, any>): Promise<{ tasks?: TaskLike[]; failures?: unknown[] }>;
  describeTasks(input: Record<string, any>): Promise<{ tasks?: TaskLike[]; failures?: unknown[] }>;
  listTasks(input: Record<string, any>): Promise<{ taskArns?: string[] }>;
  stopTask(input: Record<string, any>): Promise<unknown>;
}
export interface SnapshotLike {
  DBClusterSnapshotIdentifier?: string;
  Status?: string;
  SnapshotCreateTime?: string | Date;
}
export interface RdsLike {
  createDBClusterSnapshot(input: Record<string, any>): Promise<unknown>;
  describeDBClusterSnapshots(input: Record<string, any>): Promise<{ DBClusterSnapshots?: SnapshotLike[] }>;
  deleteDBClusterSnapshot(input: Record<string, any>): Promise<unknown>;
}
export const MIGRATE_STARTED_BY: string;
export const STARTED_BY: { readonly migrate: string; readonly finish: string };
export const SNAPSHOT_PREFIX: string;
export const SNAPSHOTS_KEPT: number;
export const DEADLINE_MARGIN_MS: number;
export function revision(arn: string | undefined): number;
export function snapshotId(clusterId: string, rev: number, now: number): string;
export function makeHandlers(
  clients: { ecs: EcsLike; rds: RdsLike },
  log?: (line: string) => void,
  now?: () => number,
): {
  onEvent(event: MigrateEvent): Promise<{ PhysicalResourceId?: string; Data?: Record<string, any> }>;
  isComplete(event: MigrateEvent): Promise<{ IsComplete: boolean; Data?: Record<string, any> }>;
};
export function onEvent(event: MigrateEvent): Promise<unknown>;
export function isComplete(event: MigrateEvent): Promise<unknown>;
