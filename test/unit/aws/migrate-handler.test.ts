// The migrate runner's Lambda handlers, with a fake ECS client: start the task, wait while it runs,
// fail the deploy on a non-zero exit, never run on a rollback.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeHandlers, revision, type EcsLike, type MigrateEvent } from '../../../src/aws/compute/migrate-handler/index.mjs';

const TD = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/campus-migrate:${n}`;
const props = (n: number) => ({
  Cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/campus', TaskDefinition: TD(n),
  CapacityProviderStrategy: '[{"capacityProvider":"cp","weight":1,"base":0}]', Subnets: ['subnet-1', 'subnet-2'], SecurityGroups: ['sg-1'],
});

function fake(states: Array<{ lastStatus: string; exitCode?: number }> = []) {
  const calls: Array<[string, Record<string, any>]> = [];
  let i = 0;
  const ecs: EcsLike = {
    async runTask(input) { calls.push(['runTask', input]); return { tasks: [{ taskArn: 'arn:task/1' }] }; },
    async describeTasks(input) {
      calls.push(['describeTasks', input]);
      const s = states[Math.min(i++, states.length - 1)]!;
      return { tasks: [{ lastStatus: s.lastStatus, stoppedReason: 'Essential container in task exited', containers: [{ name: 'migrate', exitCode: s.exitCode }] }] };
    },
  };
  return { ecs, calls };
}

describe('migrate runner', () => {
  test('revision() reads the task definition revision', () => assert.equal(revision(TD(42)), 42));
  test('create starts the task with the cluster, strategy and private network settings', async () => {
    const { ecs, calls } = fake();
    const out = await makeHandlers(ecs, () => {}).onEvent({ RequestType: 'Create', ResourceProperties: props(1) });
    assert.deepEqual(out, { PhysicalResourceId: 'migrate:1', Data: { TaskArn: 'arn:task/1' } });
    const [, input] = calls[0]!;
    assert.equal(input.taskDefinition, TD(1));
    assert.deepEqual(input.capacityProviderStrategy, [{ capacityProvider: 'cp', weight: 1, base: 0 }]);
    assert.deepEqual(input.networkConfiguration.awsvpcConfiguration, { subnets: ['subnet-1', 'subnet-2'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' });
  });
  test('an update to a newer revision (a new image) runs migrate', async () => {
    const { ecs, calls } = fake();
    await makeHandlers(ecs, () => {}).onEvent({ RequestType: 'Update', PhysicalResourceId: 'migrate:1', ResourceProperties: props(2), OldResourceProperties: props(1) });
    assert.equal(calls.length, 1);
  });
  test('a rollback to an older revision does not run migrate (it would downgrade the database)', async () => {
    const { ecs, calls } = fake();
    const out = await makeHandlers(ecs, () => {}).onEvent({ RequestType: 'Update', PhysicalResourceId: 'migrate:2', ResourceProperties: props(1), OldResourceProperties: props(2) });
    assert.equal(calls.length, 0);
    assert.deepEqual(out.Data, { TaskArn: 'skipped' });
  });
  test('delete does nothing', async () => {
    const { ecs, calls } = fake();
    await makeHandlers(ecs, () => {}).onEvent({ RequestType: 'Delete', PhysicalResourceId: 'migrate:2', ResourceProperties: props(2) });
    assert.equal(calls.length, 0);
  });
  test('a task that did not start fails the deploy', async () => {
    const ecs: EcsLike = { runTask: async () => ({ tasks: [], failures: [{ reason: 'RESOURCE:MEMORY' }] }), describeTasks: async () => ({}) };
    await assert.rejects(makeHandlers(ecs, () => {}).onEvent({ RequestType: 'Create', ResourceProperties: props(1) }), /did not start: .*RESOURCE:MEMORY/);
  });
  const waiting = (states: Array<{ lastStatus: string; exitCode?: number }>) => {
    const { ecs } = fake(states);
    const h = makeHandlers(ecs, () => {});
    const event: MigrateEvent = { RequestType: 'Create', ResourceProperties: props(1), Data: { TaskArn: 'arn:task/1' } };
    return () => h.isComplete(event);
  };
  test('isComplete waits while the task runs, then succeeds on exit code 0', async () => {
    const poll = waiting([{ lastStatus: 'RUNNING' }, { lastStatus: 'STOPPED', exitCode: 0 }]);
    assert.equal((await poll()).IsComplete, false);
    assert.equal((await poll()).IsComplete, true);
  });
  test('a non-zero exit fails the deploy with the exit code', async () => {
    const poll = waiting([{ lastStatus: 'STOPPED', exitCode: 3 }]);
    await assert.rejects(poll(), /migrate task arn:task\/1 failed: exit code 3/);
  });
  test('a skipped run is complete at once', async () => {
    const { ecs, calls } = fake();
    const r = await makeHandlers(ecs, () => {}).isComplete({ RequestType: 'Update', ResourceProperties: props(1), Data: { TaskArn: 'skipped' } });
    assert.equal(r.IsComplete, true);
    assert.equal(calls.length, 0);
  });
});
