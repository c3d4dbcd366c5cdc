// Runs a one-off task of the migrate task definition and waits for it: custom resource handlers for
// the CDK Provider framework. Two resources use them:
//  - Migrate (Command: none): before the web and cron services roll. When the image changed (a new
//    Moodle or plugin version may upgrade the schema), it first takes a snapshot of the Aurora
//    cluster and waits until it is available, so an upgrade that goes wrong can be undone; keeps
//    the newest few of those snapshots. A non-zero exit fails the deploy before any service
//    changes; a rollback (an older task definition revision) never runs it (it would downgrade).
//  - Finish (Command: migrate finish): after both services rolled, turns maintenance mode off
//    if the upgrade left it on.
// onEvent only records the start; isComplete does the work, statelessly (every poll asks AWS):
// snapshot available? → the task of this deploy (found by startedBy and revision, else started) →
// stopped? exit code. A task still running past the deadline is stopped and the deploy fails.
// AWS SDK v3 ships with the Lambda Node.js runtime; tests inject fake clients.

const CONTAINER = 'migrate';
/** startedBy of every migrate task (an EventBridge rule picks the failed ones out by it). */
export const MIGRATE_STARTED_BY = 'moodle-ha-migrate';
/** startedBy of the tasks this runs, by kind (EventBridge rules match on them). */
export const STARTED_BY = { migrate: MIGRATE_STARTED_BY, finish: `${MIGRATE_STARTED_BY}-finish` };
/** Prefix of the snapshots taken before a migrate. */
export const SNAPSHOT_PREFIX = 'moodle-ha-pre-migrate';
/** Pre-migrate snapshots kept per cluster (older ones are deleted after a successful migrate). */
export const SNAPSHOTS_KEPT = 3;
/** How long before the Provider's own timeout the task is stopped (two polls). */
export const DEADLINE_MARGIN_MS = 60_000;

/** Revision number of a task definition ARN (…:task-definition/family:42 → 42). */
export function revision(arn) {
  return Number(
    String(arn ?? '')
      .split(':')
      .pop(),
  );
}

function kind(p) {
  return p.Command ? 'finish' : 'migrate';
}

/** A snapshot id RDS accepts: letters, digits, single hyphens, starting with a letter. */
export function snapshotId(clusterId, rev, now) {
  const stamp = new Date(now).toISOString().replace(/[-:T]/g, '').slice(0, 12);
  return `${SNAPSHOT_PREFIX}-${String(clusterId)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')}-r${rev}-${stamp}`
    .replace(/-+/g, '-')
    .slice(0, 255);
}

/** The handlers, over clients with the ECS and RDS calls they use. */
export function makeHandlers({ ecs, rds }, log = console.log, now = () => Date.now()) {
  async function onEvent(event) {
    const p = event.ResourceProperties;
    if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
    const rev = revision(p.TaskDefinition);
    if (event.RequestType === 'Update' && rev <= revision(event.OldResourceProperties?.TaskDefinition)) {
      log(
        `task definition ${p.TaskDefinition} is not newer than ${event.OldResourceProperties.TaskDefinition}: not running ${kind(p)} (a rollback must not downgrade the database)`,
      );
      return { PhysicalResourceId: event.PhysicalResourceId, Data: { Skipped: 'true' } };
    }
    const data = { StartedAt: String(now()) };
    // A new image may upgrade the schema: snapshot the database first (a fresh stack has no data).
    if (kind(p) === 'migrate' && p.DatabaseCluster && event.RequestType === 'Update' && p.Image !== event.OldResourceProperties?.Image) {
      const id = snapshotId(p.DatabaseCluster, rev, now());
      await rds.createDBClusterSnapshot({
        DBClusterIdentifier: p.DatabaseCluster,
        DBClusterSnapshotIdentifier: id,
        Tags: [{ Key: 'moodle-ha:reason', Value: `before migrate of ${p.TaskDefinition}` }],
      });
      log(`snapshot ${id} of ${p.DatabaseCluster} started before migrate (the image changed)`);
      data.Snapshot = id;
    }
    return { PhysicalResourceId: `${kind(p)}:${rev}`, Data: data };
  }

  async function findTask(p, startedAt) {
    const arns = [];
    for (const desiredStatus of ['RUNNING', 'STOPPED']) {
      const out = await ecs.listTasks({ cluster: p.Cluster, startedBy: STARTED_BY[kind(p)], desiredStatus });
      arns.push(...(out.taskArns ?? []));
    }
    if (!arns.length) return undefined;
    const out = await ecs.describeTasks({ cluster: p.Cluster, tasks: arns });
    return (out.tasks ?? [])
      .filter((t) => t.taskDefinitionArn === p.TaskDefinition && new Date(t.createdAt ?? 0).getTime() >= startedAt)
      .sort((a, b) => new Date(b.createdAt).getTime() - new Date(a.createdAt).getTime())[0];
  }

  async function runTask(p) {
    const out = await ecs.runTask({
      cluster: p.Cluster,
      taskDefinition: p.TaskDefinition,
      count: 1,
      startedBy: STARTED_BY[kind(p)],
      capacityProviderStrategy: JSON.parse(p.CapacityProviderStrategy),
      networkConfiguration: { awsvpcConfiguration: { subnets: p.Subnets, securityGroups: p.SecurityGroups, assignPublicIp: 'DISABLED' } },
      propagateTags: 'TASK_DEFINITION',
      ...(p.Command ? { overrides: { containerOverrides: [{ name: CONTAINER, command: p.Command }] } } : {}),
    });
    const task = out.tasks?.[0];
    if (!task) throw new Error(`${kind(p)} task did not start: ${JSON.stringify(out.failures ?? [])}`);
    log(`started ${task.taskArn}`);
    return task;
  }

  async function pruneSnapshots(cluster) {
    const out = await rds.describeDBClusterSnapshots({ DBClusterIdentifier: cluster, SnapshotType: 'manual' });
    const ours = (out.DBClusterSnapshots ?? [])
      .filter((s) => String(s.DBClusterSnapshotIdentifier).startsWith(`${SNAPSHOT_PREFIX}-`) && s.Status === 'available')
      .sort((a, b) => new Date(b.SnapshotCreateTime).getTime() - new Date(a.SnapshotCreateTime).getTime());
    for (const s of ours.slice(SNAPSHOTS_KEPT)) {
      await rds.deleteDBClusterSnapshot({ DBClusterSnapshotIdentifier: s.DBClusterSnapshotIdentifier });
      log(`deleted old pre-migrate snapshot ${s.DBClusterSnapshotIdentifier}`);
    }
  }

  async function isComplete(event) {
    if (event.RequestType === 'Delete' || event.Data?.Skipped === 'true') return { IsComplete: true };
    const p = event.ResourceProperties;
    const startedAt = Number(event.Data?.StartedAt ?? 0);
    const deadline = startedAt + Number(p.TimeoutSeconds ?? 3600) * 1000 - DEADLINE_MARGIN_MS;
    if (event.Data?.Snapshot) {
      const out = await rds.describeDBClusterSnapshots({ DBClusterSnapshotIdentifier: event.Data.Snapshot });
      const status = out.DBClusterSnapshots?.[0]?.Status;
      if (status === 'failed' || status === undefined)
        throw new Error(`snapshot ${event.Data.Snapshot} before migrate ${status ?? 'disappeared'}: not migrating`);
      if (status !== 'available') {
        if (now() > deadline) throw new Error(`snapshot ${event.Data.Snapshot} not available before the deadline: not migrating`);
        return { IsComplete: false };
      }
    }
    const task = await findTask(p, startedAt - 5_000);
    if (!task) {
      await runTask(p);
      return { IsComplete: false };
    }
    if (task.lastStatus !== 'STOPPED') {
      if (now() > deadline) {
        await ecs.stopTask({ cluster: p.Cluster, task: task.taskArn, reason: `moodle-ha: ${kind(p)} ran past its ${p.TimeoutSeconds ?? 3600} s limit` });
        throw new Error(
          `${kind(p)} task ${task.taskArn} ran past its ${p.TimeoutSeconds ?? 3600} s limit and was stopped; the database is as the task left it (docs/aws.md: "A failed upgrade")`,
        );
      }
      return { IsComplete: false };
    }
    const container = task.containers?.find((c) => c.name === CONTAINER);
    if (container?.exitCode !== 0) {
      throw new Error(
        `${kind(p)} task ${task.taskArn} failed: exit code ${container?.exitCode ?? 'none'}, ${task.stoppedReason ?? ''} ${container?.reason ?? ''}; see the migrate log group`,
      );
    }
    if (event.Data?.Snapshot) await pruneSnapshots(p.DatabaseCluster);
    return { IsComplete: true, Data: { TaskArn: task.taskArn } };
  }

  return { onEvent, isComplete };
}

let handlers;
async function real() {
  if (!handlers) {
    const ecsSdk = await import('@aws-sdk/client-ecs');
    const rdsSdk = await import('@aws-sdk/client-rds');
    const ecsClient = new ecsSdk.ECSClient({});
    const rdsClient = new rdsSdk.RDSClient({});
    const call = (client, Command) => (input) => client.send(new Command(input));
    handlers = makeHandlers({
      ecs: {
        runTask: call(ecsClient, ecsSdk.RunTaskCommand),
        describeTasks: call(ecsClient, ecsSdk.DescribeTasksCommand),
        listTasks: call(ecsClient, ecsSdk.ListTasksCommand),
        stopTask: call(ecsClient, ecsSdk.StopTaskCommand),
      },
      rds: {
        createDBClusterSnapshot: call(rdsClient, rdsSdk.CreateDBClusterSnapshotCommand),
        describeDBClusterSnapshots: call(rdsClient, rdsSdk.DescribeDBClusterSnapshotsCommand),
        deleteDBClusterSnapshot: call(rdsClient, rdsSdk.DeleteDBClusterSnapshotCommand),
      },
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
