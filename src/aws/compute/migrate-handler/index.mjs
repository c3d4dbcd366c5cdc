// Runs the migrate task (install or upgrade Moodle, under the database lock) and waits for it.
// Custom resource handlers for the CDK Provider framework: onEvent starts the task, isComplete
// polls it; a non-zero exit fails the deploy, so the web service never rolls to an image whose
// migrate failed. AWS SDK v3 ships with the Lambda Node.js runtime; tests inject a fake client.

const CONTAINER = 'migrate';

/** startedBy of every migrate task (an EventBridge rule picks the failed ones out by it). */
export const MIGRATE_STARTED_BY = 'moodle-ha-migrate';

/** Revision number of a task definition ARN (…:task-definition/family:42 → 42). */
export function revision(arn) {
  return Number(String(arn ?? '').split(':').pop());
}

/** The handlers, over a client with runTask(input) and describeTasks(input). */
export function makeHandlers(ecs, log = console.log) {
  async function onEvent(event) {
    const p = event.ResourceProperties;
    if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
    if (event.RequestType === 'Update') {
      const before = revision(event.OldResourceProperties?.TaskDefinition);
      // A rollback brings back an older revision: its migrate would try to downgrade the database.
      if (revision(p.TaskDefinition) <= before) {
        log(`task definition ${p.TaskDefinition} is not newer than ${event.OldResourceProperties.TaskDefinition}: not running migrate`);
        return { PhysicalResourceId: event.PhysicalResourceId, Data: { TaskArn: 'skipped' } };
      }
    }
    const out = await ecs.runTask({
      cluster: p.Cluster,
      taskDefinition: p.TaskDefinition,
      count: 1,
      startedBy: MIGRATE_STARTED_BY,
      capacityProviderStrategy: JSON.parse(p.CapacityProviderStrategy),
      networkConfiguration: { awsvpcConfiguration: { subnets: p.Subnets, securityGroups: p.SecurityGroups, assignPublicIp: 'DISABLED' } },
      propagateTags: 'TASK_DEFINITION',
    });
    const task = out.tasks?.[0];
    if (!task) throw new Error(`migrate task did not start: ${JSON.stringify(out.failures ?? [])}`);
    log(`started ${task.taskArn}`);
    return { PhysicalResourceId: `migrate:${revision(p.TaskDefinition)}`, Data: { TaskArn: task.taskArn } };
  }

  async function isComplete(event) {
    if (event.RequestType === 'Delete') return { IsComplete: true };
    const taskArn = event.Data?.TaskArn;
    if (!taskArn || taskArn === 'skipped') return { IsComplete: true };
    const out = await ecs.describeTasks({ cluster: event.ResourceProperties.Cluster, tasks: [taskArn] });
    const task = out.tasks?.[0];
    if (!task) throw new Error(`migrate task ${taskArn} disappeared: ${JSON.stringify(out.failures ?? [])}`);
    if (task.lastStatus !== 'STOPPED') return { IsComplete: false };
    const container = task.containers?.find((c) => c.name === CONTAINER);
    if (container?.exitCode === 0) return { IsComplete: true, Data: { TaskArn: taskArn } };
    throw new Error(`migrate task ${taskArn} failed: exit code ${container?.exitCode ?? 'none'}, ${task.stoppedReason ?? ''} ${container?.reason ?? ''}; see the migrate log group`);
  }

  return { onEvent, isComplete };
}

let handlers;
async function real() {
  if (!handlers) {
    const { ECSClient, RunTaskCommand, DescribeTasksCommand } = await import('@aws-sdk/client-ecs');
    const client = new ECSClient({});
    handlers = makeHandlers({
      runTask: (input) => client.send(new RunTaskCommand(input)),
      describeTasks: (input) => client.send(new DescribeTasksCommand(input)),
    });
  }
  return handlers;
}

export async function onEvent(event) {
  return (await real()).onEvent(event);
}

export async function isComplete(event) {
  return (await real()).isComplete(event);
}
