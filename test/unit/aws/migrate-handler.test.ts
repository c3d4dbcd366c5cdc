// The migrate runner's Lambda handlers, with fake ECS and RDS clients: a snapshot before a new
// image's migrate, the task started once and waited for, the deploy failed on a non-zero exit, a
// task running past its limit stopped, the finish command, never a run on a rollback.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEADLINE_MARGIN_MS,
  makeHandlers,
  revision,
  SNAPSHOT_PREFIX,
  SNAPSHOTS_KEPT,
  snapshotId,
  STARTED_BY,
  type EcsLike,
  type MigrateEvent,
  type RdsLike,
  type TaskLike,
} from '../../../src/aws/compute/migrate-handler/index.mjs';

const TD = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/campus-migrate:${n}`;
const props = (n: number, extra: Record<string, unknown> = {}) => ({
  Cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/campus',
  TaskDefinition: TD(n),
  Image: `repo:v${n}`,
  TimeoutSeconds: '3600',
  CapacityProviderStrategy: '[{"capacityProvider":"cp","weight":1,"base":0}]',
  Subnets: ['subnet-1', 'subnet-2'],
  SecurityGroups: ['sg-1'],
  DatabaseCluster: 'campus-db',
  ...extra,
});

/** A fake AWS: tasks that runTask creates and whose states the test moves; snapshots likewise. */
function fakeAws(opts: { runFails?: boolean } = {}) {
  const calls: Array<[string, Record<string, any>]> = [];
  const tasks: TaskLike[] = [];
  const snapshots: Array<{ DBClusterSnapshotIdentifier: string; Status: string; SnapshotCreateTime: string }> = [];
  let clock = 1_000_000;
  const ecs: EcsLike = {
    async runTask(input) {
      calls.push(['runTask', input]);
      if (opts.runFails) return { tasks: [], failures: [{ reason: 'RESOURCE:MEMORY' }] };
      const t: TaskLike = {
        taskArn: `arn:task/${tasks.length + 1}`,
        taskDefinitionArn: input.taskDefinition,
        createdAt: new Date(clock).toISOString(),
        lastStatus: 'PROVISIONING',
        containers: [{ name: 'migrate' }],
      };
      (t as TaskLike & { startedBy: string }).startedBy = input.startedBy;
      tasks.push(t);
      return { tasks: [t] };
    },
    async listTasks(input) {
      calls.push(['listTasks', input]);
      const stopped = input.desiredStatus === 'STOPPED';
      return {
        taskArns: tasks
          .filter((t) => (t as TaskLike & { startedBy: string }).startedBy === input.startedBy && (t.lastStatus === 'STOPPED') === stopped)
          .map((t) => t.taskArn!),
      };
    },
    async describeTasks(input) {
      calls.push(['describeTasks', input]);
      return { tasks: tasks.filter((t) => input.tasks.includes(t.taskArn)) };
    },
    async stopTask(input) {
      calls.push(['stopTask', input]);
      const t = tasks.find((x) => x.taskArn === input.task)!;
      t.lastStatus = 'STOPPED';
      return {};
    },
  };
  const rds: RdsLike = {
    async createDBClusterSnapshot(input) {
      calls.push(['createDBClusterSnapshot', input]);
      snapshots.push({ DBClusterSnapshotIdentifier: input.DBClusterSnapshotIdentifier, Status: 'creating', SnapshotCreateTime: new Date(clock).toISOString() });
      return {};
    },
    async describeDBClusterSnapshots(input) {
      calls.push(['describeDBClusterSnapshots', input]);
      return {
        DBClusterSnapshots: input.DBClusterSnapshotIdentifier
          ? snapshots.filter((s) => s.DBClusterSnapshotIdentifier === input.DBClusterSnapshotIdentifier)
          : snapshots,
      };
    },
    async deleteDBClusterSnapshot(input) {
      calls.push(['deleteDBClusterSnapshot', input]);
      snapshots.splice(
        snapshots.findIndex((s) => s.DBClusterSnapshotIdentifier === input.DBClusterSnapshotIdentifier),
        1,
      );
      return {};
    },
  };
  const h = makeHandlers(
    { ecs, rds },
    () => {},
    () => clock,
  );
  return {
    h,
    calls,
    tasks,
    snapshots,
    tick(ms: number) {
      clock += ms;
    },
    names: () => calls.map(([n]) => n),
  };
}

/** onEvent, then isComplete as the Provider would call it (the event carries onEvent's Data). */
async function start(f: ReturnType<typeof fakeAws>, event: MigrateEvent): Promise<MigrateEvent> {
  const out = await f.h.onEvent(event);
  return { ...event, PhysicalResourceId: out.PhysicalResourceId, Data: out.Data };
}

describe('migrate runner', () => {
  test('revision() reads the task definition revision', () => assert.equal(revision(TD(42)), 42));

  test('a new stack: no snapshot (no data yet); the task is started once, with the cluster, strategy and private network', async () => {
    const f = fakeAws();
    const e = await start(f, { RequestType: 'Create', ResourceProperties: props(1) });
    assert.equal(e.PhysicalResourceId, 'migrate:1');
    assert.equal((await f.h.isComplete(e)).IsComplete, false);
    assert.equal((await f.h.isComplete(e)).IsComplete, false);
    const runs = f.calls.filter(([n]) => n === 'runTask');
    assert.equal(runs.length, 1, 'the task was started more than once');
    assert.ok(!f.names().includes('createDBClusterSnapshot'));
    const input = runs[0]![1];
    assert.equal(input.taskDefinition, TD(1));
    assert.equal(input.startedBy, STARTED_BY.migrate);
    assert.deepEqual(input.capacityProviderStrategy, [{ capacityProvider: 'cp', weight: 1, base: 0 }]);
    assert.deepEqual(input.networkConfiguration.awsvpcConfiguration, {
      subnets: ['subnet-1', 'subnet-2'],
      securityGroups: ['sg-1'],
      assignPublicIp: 'DISABLED',
    });
    assert.equal(input.overrides, undefined);
  });

  test('a new image: the database is snapshotted first, and migrate waits until the snapshot is available', async () => {
    const f = fakeAws();
    const e = await start(f, { RequestType: 'Update', PhysicalResourceId: 'migrate:1', ResourceProperties: props(2), OldResourceProperties: props(1) });
    const [, snap] = f.calls.find(([n]) => n === 'createDBClusterSnapshot')!;
    assert.equal(snap.DBClusterIdentifier, 'campus-db');
    assert.match(snap.DBClusterSnapshotIdentifier, new RegExp(`^${SNAPSHOT_PREFIX}-campus-db-r2-\\d{12}$`));
    assert.equal((await f.h.isComplete(e)).IsComplete, false);
    assert.ok(!f.names().includes('runTask'), 'migrate started before the snapshot was available');
    f.snapshots[0]!.Status = 'available';
    assert.equal((await f.h.isComplete(e)).IsComplete, false);
    assert.ok(f.names().includes('runTask'));
    f.tasks[0]!.lastStatus = 'STOPPED';
    f.tasks[0]!.containers = [{ name: 'migrate', exitCode: 0 }];
    assert.equal((await f.h.isComplete(e)).IsComplete, true);
  });

  test('the same image with other settings (a bundle change): no snapshot', async () => {
    const f = fakeAws();
    await start(f, {
      RequestType: 'Update',
      PhysicalResourceId: 'migrate:1',
      ResourceProperties: props(2, { Image: 'repo:v1' }),
      OldResourceProperties: props(1),
    });
    assert.ok(!f.names().includes('createDBClusterSnapshot'));
  });

  test('a failed snapshot stops the deploy before migrate', async () => {
    const f = fakeAws();
    const e = await start(f, { RequestType: 'Update', PhysicalResourceId: 'migrate:1', ResourceProperties: props(2), OldResourceProperties: props(1) });
    f.snapshots[0]!.Status = 'failed';
    await assert.rejects(f.h.isComplete(e), /snapshot .* before migrate failed: not migrating/);
    assert.ok(!f.names().includes('runTask'));
  });

  test(`after a successful migrate only the newest ${SNAPSHOTS_KEPT} pre-migrate snapshots are kept`, async () => {
    const f = fakeAws();
    for (let i = 0; i < 4; i++)
      f.snapshots.push({
        DBClusterSnapshotIdentifier: `${SNAPSHOT_PREFIX}-campus-db-r${i}-20990101000${i}`,
        Status: 'available',
        SnapshotCreateTime: new Date(i * 1000).toISOString(),
      });
    f.snapshots.push({ DBClusterSnapshotIdentifier: 'someone-elses-snapshot', Status: 'available', SnapshotCreateTime: new Date(0).toISOString() });
    const e = await start(f, { RequestType: 'Update', PhysicalResourceId: 'migrate:1', ResourceProperties: props(5), OldResourceProperties: props(4) });
    f.snapshots.find((s) => s.Status === 'creating')!.Status = 'available';
    await f.h.isComplete(e);
    f.tasks[0]!.lastStatus = 'STOPPED';
    f.tasks[0]!.containers = [{ name: 'migrate', exitCode: 0 }];
    assert.equal((await f.h.isComplete(e)).IsComplete, true);
    const left = f.snapshots.map((s) => s.DBClusterSnapshotIdentifier);
    assert.equal(left.filter((n) => n.startsWith(SNAPSHOT_PREFIX)).length, SNAPSHOTS_KEPT);
    assert.ok(left.includes('someone-elses-snapshot'), 'a snapshot the runner did not take was deleted');
    assert.ok(!left.includes(`${SNAPSHOT_PREFIX}-campus-db-r0-209901010000`), 'the oldest was kept');
  });

  test('a rollback to an older revision runs nothing (it would downgrade the database)', async () => {
    const f = fakeAws();
    const e = await start(f, { RequestType: 'Update', PhysicalResourceId: 'migrate:2', ResourceProperties: props(1), OldResourceProperties: props(2) });
    assert.deepEqual(e.Data, { Skipped: 'true' });
    assert.equal((await f.h.isComplete(e)).IsComplete, true);
    assert.deepEqual(f.names(), []);
  });

  test('delete does nothing', async () => {
    const f = fakeAws();
    const e = await start(f, { RequestType: 'Delete', PhysicalResourceId: 'migrate:2', ResourceProperties: props(2) });
    assert.equal((await f.h.isComplete(e)).IsComplete, true);
    assert.deepEqual(f.names(), []);
  });

  test('a task that did not start fails the deploy, naming why', async () => {
    const f = fakeAws({ runFails: true });
    const e = await start(f, { RequestType: 'Create', ResourceProperties: props(1) });
    await assert.rejects(f.h.isComplete(e), /did not start: .*RESOURCE:MEMORY/);
  });

  test('a non-zero exit fails the deploy with the exit code', async () => {
    const f = fakeAws();
    const e = await start(f, { RequestType: 'Create', ResourceProperties: props(1) });
    await f.h.isComplete(e);
    f.tasks[0]!.lastStatus = 'STOPPED';
    f.tasks[0]!.containers = [{ name: 'migrate', exitCode: 70 }];
    await assert.rejects(f.h.isComplete(e), /migrate task arn:task\/1 failed: exit code 70/);
  });

  test('a task still running near the time limit is stopped and fails the deploy', async () => {
    const f = fakeAws();
    const e = await start(f, { RequestType: 'Create', ResourceProperties: props(1, { TimeoutSeconds: '600' }) });
    await f.h.isComplete(e);
    f.tasks[0]!.lastStatus = 'RUNNING';
    f.tick(600_000 - DEADLINE_MARGIN_MS - 1000);
    assert.equal((await f.h.isComplete(e)).IsComplete, false);
    f.tick(2000);
    await assert.rejects(f.h.isComplete(e), /ran past its 600 s limit and was stopped/);
    const [, stop] = f.calls.find(([n]) => n === 'stopTask')!;
    assert.equal(stop.task, 'arn:task/1');
  });

  test("an earlier deploy's task of the same revision is not taken for this one", async () => {
    const f = fakeAws();
    const first = await start(f, { RequestType: 'Create', ResourceProperties: props(1) });
    await f.h.isComplete(first);
    f.tasks[0]!.lastStatus = 'STOPPED';
    f.tasks[0]!.containers = [{ name: 'migrate', exitCode: 70 }];
    f.tick(60_000);
    const retry = await start(f, { RequestType: 'Create', ResourceProperties: props(1) });
    assert.equal((await f.h.isComplete(retry)).IsComplete, false, 'the old failed task was taken for the retry');
    assert.equal(f.calls.filter(([n]) => n === 'runTask').length, 2);
  });

  test('finish: "migrate finish" as the command, its own startedBy, never a snapshot', async () => {
    const f = fakeAws();
    const e = await start(f, {
      RequestType: 'Update',
      PhysicalResourceId: 'finish:1',
      ResourceProperties: props(2, { Command: ['migrate', 'finish'], DatabaseCluster: undefined }),
      OldResourceProperties: props(1, { Command: ['migrate', 'finish'] }),
    });
    assert.equal(e.PhysicalResourceId, 'finish:2');
    await f.h.isComplete(e);
    assert.ok(!f.names().includes('createDBClusterSnapshot'));
    const [, input] = f.calls.find(([n]) => n === 'runTask')!;
    assert.equal(input.startedBy, STARTED_BY.finish);
    assert.deepEqual(input.overrides, { containerOverrides: [{ name: 'migrate', command: ['migrate', 'finish'] }] });
  });

  test('snapshot ids are what RDS accepts', () => {
    const id = snapshotId('Campus--DB_1', 7, Date.UTC(2026, 10, 30, 12, 5));
    assert.equal(id, `${SNAPSHOT_PREFIX}-campus-db-1-r7-202611301205`);
    assert.match(id, /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
  });
});
