// Types of the migrate runner's handlers (index.mjs), for tests and for the constant the stack reads.
export interface MigrateEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  PhysicalResourceId?: string;
  ResourceProperties: Record<string, any>;
  OldResourceProperties?: Record<string, any>;
  Data?: Record<string, any>;
}
export interface EcsLike {
  runTask(input: Record<string, any>): Promise<{ tasks?: { taskArn?: string }[]; failures?: unknown[] }>;
  describeTasks(input: Record<string, any>): Promise<{ tasks?: { lastStatus?: string; stoppedReason?: string; containers?: { name?: string; exitCode?: number; reason?: string }[] }[]; failures?: unknown[] }>;
}
export const MIGRATE_STARTED_BY: string;
export function revision(arn: string | undefined): number;
export function makeHandlers(ecs: EcsLike, log?: (line: string) => void): {
  onEvent(event: MigrateEvent): Promise<{ PhysicalResourceId?: string; Data?: Record<string, any> }>;
  isComplete(event: MigrateEvent): Promise<{ IsComplete: boolean; Data?: Record<string, any> }>;
};
export function onEvent(event: MigrateEvent): Promise<unknown>;
export function isComplete(event: MigrateEvent): Promise<unknown>;
