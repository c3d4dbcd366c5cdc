// The ha profile's Redis replication check, which the steady state runs before and after every
// drill: both groups (sessions and caches) must each be one primary with linked replicas, and a
// problem names its group. Read from `INFO replication` as each member answers it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExecResult } from '../../../src/runtime/cluster.ts';
import { CACHES_REDIS, redisReplicationProblems, SESSIONS_REDIS } from '../../../src/ops/drills/redis-roles.ts';
import { MemoryRuntime } from './memory-runtime.ts';

const PRIMARY = 'role:master\r\nconnected_slaves:1\r\n';
const REPLICA = 'role:slave\r\nmaster_host:x\r\nmaster_link_status:up\r\n';
const REPLICA_LINK_DOWN = 'role:slave\r\nmaster_host:x\r\nmaster_link_status:down\r\n';

/** Each member answers `INFO replication` with its text; a member without one does not answer. */
class ReplicationRuntime extends MemoryRuntime {
  constructor(readonly answers: Record<string, string>) {
    super();
  }
  override async exec(member: string): Promise<ExecResult> {
    const out = this.answers[member];
    return out === undefined ? { code: 1, output: 'Could not connect to Redis' } : { code: 0, output: out };
  }
}

const healthy = { 'mem-redis-1': PRIMARY, 'mem-redis-2': REPLICA, 'mem-cache-1': REPLICA, 'mem-cache-2': PRIMARY };

describe('redisReplicationProblems', () => {
  test('both groups one primary with a linked replica: no problem', async () => {
    assert.deepEqual(await redisReplicationProblems(new ReplicationRuntime(healthy)), []);
  });

  test("the caches' replica with its link down is a problem of the caches' group, named so", async () => {
    const problems = await redisReplicationProblems(new ReplicationRuntime({ ...healthy, 'mem-cache-1': REPLICA_LINK_DOWN }));
    assert.deepEqual(problems, ["the caches' Redis roles are not one primary with linked replicas: mem-cache-1 slave (link down), mem-cache-2 master"]);
  });

  test("two primaries among the sessions' and a caches' member that does not answer: one problem each", async () => {
    const { 'mem-cache-2': _, ...rest } = healthy;
    const problems = await redisReplicationProblems(new ReplicationRuntime({ ...rest, 'mem-redis-2': PRIMARY }));
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0]!, /^the sessions' Redis roles .*mem-redis-1 master, mem-redis-2 master$/);
    assert.match(problems[1]!, /^the caches' Redis roles .*mem-cache-2 unreachable$/);
  });

  test('asked for one group only (node-crash waits for the pair it killed), the other is not looked at', async () => {
    const runtime = new ReplicationRuntime({ ...healthy, 'mem-cache-1': REPLICA_LINK_DOWN });
    assert.deepEqual(await redisReplicationProblems(runtime, [SESSIONS_REDIS]), []);
    assert.equal((await redisReplicationProblems(runtime, [CACHES_REDIS])).length, 1);
  });
});
