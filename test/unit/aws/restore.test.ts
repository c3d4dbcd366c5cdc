// `moodle-ha aws restore` without AWS: choosing the pair of recovery points, the order of the calls
// (outputs, recovery points, EFS restore job, wait, file system settings, deploy), the failures
// (no pair, a failed or endless job, a failed deploy), and the AWS CLI client's arguments and parsing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { appEnvironment } from '../../../src/aws/cli/cdk-cli.ts';
import { BACKUP_OUTPUTS } from '../../../src/aws/data/backups.ts';
import { AwsCliRestoreClient } from '../../../src/aws/restore/aws-cli-client.ts';
import type { RecoveryPoint, RestoreClient, RestoreJob, StartRestore } from '../../../src/aws/restore/client.ts';
import { choosePair } from '../../../src/aws/restore/pair.ts';
import { restoreToNewStack } from '../../../src/aws/restore/restore.ts';
import { restoredDomain } from '../../../src/cli/commands/aws-restore.ts';
import type { RestoreSpec } from '../../../src/spec/aws-backup.ts';
import { validateSpec } from '../../../src/spec/read.ts';
import { UserError } from '../../../src/util/errors.ts';

const DB = 'arn:aws:rds:eu-west-1:123456789012:cluster:campus-databasecluster-abc';
const FS = 'arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0aaaaaaaaaaaaaaaa';
const snap = (id: string) => `arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:awsbackup:job-${id}`;
const efsPoint = (id: string) => `arn:aws:backup:eu-west-1:123456789012:recovery-point:${id}`;
const point = (resource: 'db' | 'fs', id: string, created: string, extra: Partial<RecoveryPoint> = {}): RecoveryPoint => ({
  arn: resource === 'db' ? snap(id) : efsPoint(id),
  resourceArn: resource === 'db' ? DB : FS,
  resourceType: resource === 'db' ? 'Aurora' : 'EFS',
  created: new Date(created),
  status: 'COMPLETED',
  planId: 'plan-1',
  ruleId: 'daily',
  ...extra,
});
const query = (at: string) => ({ at: new Date(at), databaseArn: DB, fileSystemArn: FS });

// Three nightly runs (02:30); in the newest the EFS job was 12 min after the Aurora one.
const NIGHTS = [
  point('db', 'd1', '2026-11-28T02:31:00Z'),
  point('fs', 'f1', '2026-11-28T02:33:00Z'),
  point('db', 'd2', '2026-11-29T02:30:10Z'),
  point('fs', 'f2', '2026-11-29T02:34:00Z'),
  point('db', 'd3', '2026-11-30T02:31:00Z'),
  point('fs', 'f3', '2026-11-30T02:43:00Z'),
];

describe('choosing the pair of recovery points', () => {
  test('the newest pair at or before the time, even when one of its points came minutes later', () => {
    const p = choosePair(NIGHTS, query('2026-11-30T08:00:00Z'));
    assert.equal(p.database.arn, snap('d3'));
    assert.equal(p.files.arn, efsPoint('f3'));
  });
  test('points after the time are not used; a run half after it is skipped for the one before', () => {
    assert.equal(choosePair(NIGHTS, query('2026-11-29T12:00:00Z')).database.arn, snap('d2'));
    const p = choosePair(NIGHTS, query('2026-11-30T02:35:00Z')); // d3 is before, f3 after
    assert.deepEqual([p.database.arn, p.files.arn], [snap('d2'), efsPoint('f2')]);
  });
  test('a run whose file system job failed, or whose point is expiring, yields no pair: the run before is used', () => {
    const points = NIGHTS.map((p) => (p.arn === efsPoint('f3') ? { ...p, status: 'PARTIAL' } : p));
    assert.equal(choosePair(points, query('2026-11-30T08:00:00Z')).files.arn, efsPoint('f2'));
  });
  test('points of other resources and other plans are never paired', () => {
    const noise = [
      point('fs', 'other', '2026-11-30T02:31:30Z', { resourceArn: FS.replace('fs-0a', 'fs-0b') }),
      point('fs', 'plan2', '2026-11-30T02:32:00Z', { planId: 'plan-2' }),
    ];
    const p = choosePair([...NIGHTS.filter((x) => x.arn !== efsPoint('f3')), ...noise], query('2026-11-30T08:00:00Z'));
    assert.equal(p.files.arn, efsPoint('f2'));
  });
  test('on the 1st, the daily and monthly runs coincide: the database pairs with the file system point of its own rule', () => {
    const first = [
      point('db', 'daily', '2026-12-01T02:30:30Z'),
      point('fs', 'daily', '2026-12-01T02:30:50Z'),
      point('db', 'monthly', '2026-12-01T02:30:40Z', { ruleId: 'monthly' }),
      point('fs', 'monthly', '2026-12-01T02:31:30Z', { ruleId: 'monthly' }),
    ];
    // The newest database point (monthly) is nearer the daily file system point than its own.
    const p = choosePair(first, query('2026-12-01T09:00:00Z'));
    assert.deepEqual([p.database.arn, p.files.arn], [snap('monthly'), efsPoint('monthly')]);
  });
  test('no pair: a clear error with the newest point of each', () => {
    assert.throws(
      () => choosePair([point('db', 'd', '2026-11-30T02:31:00Z'), point('fs', 'f', '2026-11-30T05:00:00Z')], query('2026-11-30T08:00:00Z')),
      (e: unknown) =>
        e instanceof UserError &&
        /no matching pair of recovery points .* at or before 2026-11-30T08:00:00\.000Z; nothing was restored/.test(e.message) &&
        e.details[0]!.includes('the newest database recovery point at or before then is from 2026-11-30T02:31:00.000Z') &&
        e.details[1]!.includes('the newest moodledata recovery point at or before then is from 2026-11-30T05:00:00.000Z'),
    );
    assert.throws(
      () => choosePair(NIGHTS, query('2026-01-01T00:00:00Z')),
      (e: unknown) => e instanceof UserError && e.details[0]!.includes('there is no completed database recovery point at or before then'),
    );
  });
});

class FakeAws implements RestoreClient {
  readonly calls: string[] = [];
  started?: StartRestore;
  prepared?: { id: string; name: string; policy: string };
  constructor(
    private readonly jobs: RestoreJob[],
    private readonly outputs: Record<string, string> = {
      [BACKUP_OUTPUTS.vault]: 'campus-vault',
      [BACKUP_OUTPUTS.restoreRole]: 'arn:aws:iam::123456789012:role/backup',
      [BACKUP_OUTPUTS.database]: DB,
      [BACKUP_OUTPUTS.fileSystem]: FS,
    },
  ) {}
  async stackOutputs(name: string) {
    this.calls.push(`outputs ${name}`);
    return this.outputs;
  }
  async listRecoveryPoints(vault: string) {
    this.calls.push(`list ${vault}`);
    return NIGHTS;
  }
  async restoreMetadata(vault: string, arn: string) {
    this.calls.push(`metadata ${vault} ${arn}`);
    return { 'file-system-id': 'fs-0aaaaaaaaaaaaaaaa', PerformanceMode: 'generalPurpose', Encrypted: 'true' };
  }
  async startRestoreJob(input: StartRestore) {
    this.calls.push(`start ${input.recoveryPointArn}`);
    this.started = input;
    return 'job-1';
  }
  async describeRestoreJob(id: string) {
    this.calls.push(`describe ${id}`);
    return this.jobs.length > 1 ? this.jobs.shift()! : this.jobs[0]!;
  }
  async prepareFileSystem(id: string, o: { name: string; policy: string }) {
    this.calls.push(`prepare ${id}`);
    this.prepared = { id, ...o };
  }
}

const COMPLETED: RestoreJob = { status: 'COMPLETED', createdResourceArn: 'arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0bbbbbbbbbbbbbbbb' };

function run(aws: FakeAws, deploy: (r: RestoreSpec) => Promise<void> = async () => {}, timeoutMs = 3600_000) {
  let clock = 0;
  const sleeps: number[] = [];
  const result = restoreToNewStack({
    client: aws,
    sourceStack: 'campus',
    at: new Date('2026-11-30T08:00:00Z'),
    newName: 'campus-restored',
    deploy,
    pollMs: 30_000,
    timeoutMs,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    now: () => clock,
  });
  return { result, sleeps };
}

describe('restoring into a new stack (fake AWS)', () => {
  test('outputs → recovery points → EFS restore to a new file system → wait → file system settings → deploy with both', async () => {
    const aws = new FakeAws([{ status: 'PENDING' }, { status: 'RUNNING', percentDone: '40.00%' }, COMPLETED]);
    const deployed: RestoreSpec[] = [];
    const { result, sleeps } = run(aws, async (r) => {
      deployed.push(r);
      aws.calls.push('deploy');
    });
    const out = await result;
    assert.deepEqual(aws.calls, [
      'outputs campus',
      'list campus-vault',
      `metadata campus-vault ${efsPoint('f3')}`,
      `start ${efsPoint('f3')}`,
      'describe job-1',
      'describe job-1',
      'describe job-1',
      'prepare fs-0bbbbbbbbbbbbbbbb',
      'deploy',
    ]);
    assert.deepEqual(sleeps, [30_000, 30_000], 'polled every 30 s until COMPLETED');
    assert.deepEqual(aws.started, {
      recoveryPointArn: efsPoint('f3'),
      iamRoleArn: 'arn:aws:iam::123456789012:role/backup',
      resourceType: 'EFS',
      metadata: {
        'file-system-id': 'fs-0aaaaaaaaaaaaaaaa',
        newFileSystem: 'true',
        Encrypted: 'true',
        PerformanceMode: 'generalPurpose',
        CreationToken: 'campus-restored-moodledata-0',
      },
    });
    assert.deepEqual(deployed, [{ databaseSnapshotArn: snap('d3'), fileSystemId: 'fs-0bbbbbbbbbbbbbbbb' }]);
    assert.equal(aws.prepared!.name, 'campus-restored-moodledata');
    assert.deepEqual(JSON.parse(aws.prepared!.policy).Statement, [
      { Sid: 'DenyUnencryptedMounts', Effect: 'Deny', Principal: { AWS: '*' }, Action: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ]);
    assert.equal(out.fileSystemId, 'fs-0bbbbbbbbbbbbbbbb');
    // The deployed values pass the spec's own validation.
    assert.doesNotThrow(() => validateSpec({ aws: { restore: deployed[0] } }));
  });
  test('a failed restore job stops before anything is deployed, naming the job and why', async () => {
    const aws = new FakeAws([{ status: 'RUNNING' }, { status: 'FAILED', statusMessage: 'Access denied to KMS key' }]);
    let deployed = false;
    await assert.rejects(
      run(aws, async () => {
        deployed = true;
      }).result,
      /EFS restore job job-1 failed: Access denied to KMS key; nothing was deployed/,
    );
    assert.equal(deployed, false);
    assert.ok(!aws.calls.some((c) => c.startsWith('prepare')));
  });
  test('a restore job that never ends stops at the limit with what to do', async () => {
    const aws = new FakeAws([{ status: 'RUNNING' }]);
    let deployed = false;
    await assert.rejects(
      run(
        aws,
        async () => {
          deployed = true;
        },
        5 * 60_000,
      ).result,
      /EFS restore job job-1 is still RUNNING after 5 min; nothing was deployed\. When "aws backup describe-restore-job --restore-job-id job-1" says COMPLETED/,
    );
    assert.equal(deployed, false);
  });
  test('no pair before the time: no restore job is started', async () => {
    const aws = new FakeAws([COMPLETED]);
    await assert.rejects(
      restoreToNewStack({ client: aws, sourceStack: 'campus', at: new Date('2026-01-01T00:00:00Z'), newName: 'x', deploy: async () => {} }),
      /no matching pair of recovery points/,
    );
    assert.deepEqual(aws.calls, ['outputs campus', 'list campus-vault']);
  });
  test('a stack without the backup outputs (older version, or NFS) is refused up front', async () => {
    const aws = new FakeAws([COMPLETED], { [BACKUP_OUTPUTS.vault]: 'v', [BACKUP_OUTPUTS.restoreRole]: 'r', [BACKUP_OUTPUTS.database]: DB });
    await assert.rejects(
      run(aws).result,
      /stack campus has no output BackupFileSystemArn \(the backed-up EFS file system; a site on NFS has none to restore\)/,
    );
    assert.deepEqual(aws.calls, ['outputs campus']);
  });
  test('a failed deploy says the restored file system stays and how to deploy again', async () => {
    const aws = new FakeAws([COMPLETED]);
    await assert.rejects(
      run(aws, async () => {
        throw new UserError('cdk deploy failed (exit 1)');
      }).result,
      (e: unknown) =>
        e instanceof UserError &&
        /deploying the restored stack campus-restored failed: cdk deploy failed/.test(e.message) &&
        e.details.some((d) => d.includes('fs-0bbbbbbbbbbbbbbbb stays') && d.includes(snap('d3'))) &&
        e.details.some((d) => d.includes('running site (campus) was not changed')),
    );
  });
});

describe('the AWS CLI client', () => {
  const fake = (answers: Record<string, unknown>) => {
    const calls: string[][] = [];
    const runner = async (args: readonly string[]) => {
      calls.push([...args]);
      return JSON.stringify(answers[`${args[0]} ${args[1]}`] ?? {});
    };
    return { calls, client: new AwsCliRestoreClient('eu-west-1', runner) };
  };
  test('lists recovery points with the region and JSON output, and reads both timestamp forms', async () => {
    const { calls, client } = fake({
      'backup list-recovery-points-by-backup-vault': {
        RecoveryPoints: [
          {
            RecoveryPointArn: snap('a'),
            ResourceArn: DB,
            ResourceType: 'Aurora',
            CreationDate: '2026-11-30T02:31:04.512000+00:00',
            Status: 'COMPLETED',
            CreatedBy: { BackupPlanId: 'p', BackupRuleId: 'r' },
          },
          { RecoveryPointArn: efsPoint('b'), ResourceArn: FS, ResourceType: 'EFS', CreationDate: 1796006000, Status: 'COMPLETED' },
        ],
      },
    });
    const points = await client.listRecoveryPoints('campus-vault');
    assert.deepEqual(calls[0], [
      'backup',
      'list-recovery-points-by-backup-vault',
      '--backup-vault-name',
      'campus-vault',
      '--region',
      'eu-west-1',
      '--output',
      'json',
    ]);
    assert.equal(points[0]!.created.toISOString(), '2026-11-30T02:31:04.512Z');
    assert.deepEqual([points[0]!.planId, points[0]!.ruleId, points[0]!.resourceType], ['p', 'r', 'Aurora']);
    assert.equal(points[1]!.created.toISOString(), new Date(1796006000 * 1000).toISOString());
  });
  test('starts the restore job with the metadata as JSON, and reads the job and the outputs', async () => {
    const { calls, client } = fake({
      'backup start-restore-job': { RestoreJobId: 'job-9' },
      'backup describe-restore-job': { Status: 'COMPLETED', CreatedResourceArn: COMPLETED.createdResourceArn, PercentDone: '100.00%' },
      'cloudformation describe-stacks': { Stacks: [{ Outputs: [{ OutputKey: 'BackupVaultName', OutputValue: 'v' }] }] },
    });
    assert.equal(
      await client.startRestoreJob({ recoveryPointArn: efsPoint('b'), iamRoleArn: 'role', resourceType: 'EFS', metadata: { newFileSystem: 'true' } }),
      'job-9',
    );
    assert.deepEqual(calls[0]!.slice(0, 10), [
      'backup',
      'start-restore-job',
      '--recovery-point-arn',
      efsPoint('b'),
      '--iam-role-arn',
      'role',
      '--resource-type',
      'EFS',
      '--metadata',
      '{"newFileSystem":"true"}',
    ]);
    assert.deepEqual(await client.describeRestoreJob('job-9'), {
      status: 'COMPLETED',
      createdResourceArn: COMPLETED.createdResourceArn,
      statusMessage: undefined,
      percentDone: '100.00%',
    });
    assert.deepEqual(await client.stackOutputs('campus'), { BackupVaultName: 'v' });
  });
  test('prepares the restored file system: Elastic throughput, the TLS-only policy, a Name tag', async () => {
    const { calls, client } = fake({});
    await client.prepareFileSystem('fs-1', { name: 'n', policy: '{"p":1}' });
    assert.deepEqual(
      calls.map((c) => c.slice(0, 6)),
      [
        ['efs', 'update-file-system', '--file-system-id', 'fs-1', '--throughput-mode', 'elastic'],
        ['efs', 'put-file-system-policy', '--file-system-id', 'fs-1', '--policy', '{"p":1}'],
        ['efs', 'tag-resource', '--resource-id', 'fs-1', '--tags', 'Key=Name,Value=n'],
      ],
    );
  });
});

describe('the new stack', () => {
  test('its spec reaches the cdk app as overrides (name, domain, aws.restore), and a stale value is dropped', () => {
    const overrides = {
      name: 'campus-restored',
      aws: { domain: 'campus-restored.example.edu', restore: { databaseSnapshotArn: snap('d3'), fileSystemId: 'fs-0bbbbbbbbbbbbbbbb' } },
    };
    assert.deepEqual(JSON.parse(appEnvironment({ cwd: '/site', overrides }, {}).MOODLE_HA_OVERRIDES!), overrides);
    assert.equal(appEnvironment({ cwd: '/site' }, { MOODLE_HA_OVERRIDES: '{"name":"stale"}' }).MOODLE_HA_OVERRIDES, undefined);
  });
  test("its host name: NEW-NAME in the hosted zone, or --domain, never the running site's", () => {
    const spec = validateSpec({ aws: { domain: 'moodle.example.edu', hostedZone: { id: 'Z0123456789ABC', name: 'example.edu' } } });
    assert.equal(restoredDomain(spec, 'campus-restored', undefined), 'campus-restored.example.edu');
    assert.equal(restoredDomain(spec, 'x', 'check.example.edu'), 'check.example.edu');
    assert.throws(() => restoredDomain(spec, 'x', 'moodle.example.edu'), /is the running site's host name/);
    assert.throws(() => restoredDomain(validateSpec({}), 'x', undefined), /give the restored site a host name with --domain HOST/);
  });
});
