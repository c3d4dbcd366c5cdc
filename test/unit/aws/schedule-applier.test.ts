// The schedule applier Lambda with fake AWS clients: what it calls outside and inside windows, that a
// second run changes nothing, that the WAF update sends the web ACL back as it was except the rate
// limit, retries on busy resources, and how deploy and schedule events are routed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { makeApplier, type ApplierClients, type WebAclDescription } from '../../../src/aws/compute/schedule-applier/apply.ts';
import { applierBundle } from '../../../src/aws/compute/schedule-applier/bundle.ts';
import {
  encodeSchedule,
  ENV,
  readEnvironment,
  resourceEnvironment,
  type AppliedResources,
  type AppliedSchedule,
} from '../../../src/aws/compute/schedule-applier/config.ts';
import { makeHandler, PHYSICAL_ID } from '../../../src/aws/compute/schedule-applier/index.ts';
import { RATE_LIMIT_RULE_NAME } from '../../../src/aws/waf-rule-names.ts';

const SCHEDULE: AppliedSchedule = {
  base: { web: { min: 2, max: 6 }, instances: 2, rateLimit: 3000, database: { min: 0.5, max: 16 } },
  windows: [
    {
      name: 'exam-week',
      from: '2026-06-01T06:00:00Z',
      until: '2026-06-06T00:00:00Z',
      targets: { web: { min: 8, max: 12 }, instances: 5, rateLimit: 20000, database: { min: 4, max: 32 } },
    },
    {
      name: 'night',
      cron: { start: '0 22 * * *', end: '0 6 * * *' },
      targets: { web: { min: 2, max: 3 }, instances: 2, rateLimit: 3000, database: { min: 0.5, max: 4 } },
    },
  ],
};
const RESOURCES: AppliedResources = {
  webScalableTarget: 'service/campus/campus-Web-abc',
  autoScalingGroup: 'campus-ComputeInstancesASG-xyz',
  dbCluster: 'campus-databasecluster-123',
  webAcl: { name: 'WafWebAcl-abc', id: '0a1b-2c3d', scope: 'CLOUDFRONT', region: 'us-east-1', rateRule: RATE_LIMIT_RULE_NAME },
};
const OUTSIDE = new Date('2026-03-04T12:00:00Z');
const IN_EXAM = new Date('2026-06-01T12:00:00Z');
const EXAM_NIGHT = new Date('2026-06-01T23:00:00Z');

/** A web ACL as GetWebACL returns it: read-only fields included. */
const ACL: WebAclDescription = {
  Name: 'WafWebAcl-abc',
  Id: '0a1b-2c3d',
  ARN: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/WafWebAcl-abc/0a1b-2c3d',
  DefaultAction: { Allow: {} },
  Description: '',
  Rules: [
    {
      Name: RATE_LIMIT_RULE_NAME,
      Priority: 1,
      Action: { Block: {} },
      Statement: { RateBasedStatement: { Limit: 3000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
      VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'campus-edge-rate-limit' },
    },
    {
      Name: 'AWSManagedRulesCommonRuleSet',
      Priority: 10,
      OverrideAction: { None: {} },
      Statement: {
        ManagedRuleGroupStatement: {
          VendorName: 'AWS',
          Name: 'AWSManagedRulesCommonRuleSet',
          RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }],
        },
      },
      VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'campus-edge-common' },
    },
  ],
  VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'campus-edge-all' },
  Capacity: 1210,
  LabelNamespace: 'awswaf:123456789012:webacl:WafWebAcl-abc:',
  ManagedByFirewallManager: false,
  RetrofittedByFirewallManager: false,
  CustomResponseBodies: { blocked: { ContentType: 'TEXT_PLAIN', Content: 'Too many requests' } },
  TokenDomains: ['moodle.example.edu'],
  AssociationConfig: { RequestBody: { CLOUDFRONT: { DefaultSizeInspectionLimit: 'KB_16' } } },
};
const READ_ONLY = ['ARN', 'Capacity', 'LabelNamespace', 'ManagedByFirewallManager', 'RetrofittedByFirewallManager'];

type Call = [string, Record<string, any>];

/** Fake AWS with state: the applier's writes are visible to its next reads. */
function fakeAws(
  init: { limit?: number; acu?: [number, number]; staleLocks?: number; busyAurora?: number; failDescribe?: boolean; acl?: WebAclDescription } = {},
) {
  const calls: Call[] = [];
  let acl: WebAclDescription = structuredClone(init.acl ?? ACL);
  if (init.limit !== undefined) acl = withLimit(acl, init.limit);
  let version = 1;
  let [minAcu, maxAcu] = init.acu ?? [0.5, 16];
  let stale = init.staleLocks ?? 0;
  let busy = init.busyAurora ?? 0;
  const fail = (name: string, message: string) => Object.assign(new Error(message), { name });
  const clients: ApplierClients = {
    applicationAutoScaling: {
      async registerScalableTarget(i) {
        calls.push(['registerScalableTarget', i]);
      },
    },
    autoScaling: {
      async updateAutoScalingGroup(i) {
        calls.push(['updateAutoScalingGroup', i]);
      },
    },
    rds: {
      async describeDBClusters(i) {
        calls.push(['describeDBClusters', i]);
        if (init.failDescribe) throw fail('AccessDeniedException', 'not authorized');
        return { DBClusters: [{ ServerlessV2ScalingConfiguration: { MinCapacity: minAcu, MaxCapacity: maxAcu } }] };
      },
      async modifyDBCluster(i) {
        calls.push(['modifyDBCluster', i]);
        if (busy-- > 0) throw fail('InvalidDBClusterStateFault', 'cluster is modifying');
        [minAcu, maxAcu] = [i.ServerlessV2ScalingConfiguration.MinCapacity, i.ServerlessV2ScalingConfiguration.MaxCapacity];
      },
    },
    wafv2: {
      async getWebACL(i) {
        calls.push(['getWebACL', i]);
        return { WebACL: structuredClone(acl), LockToken: `token-${version}` };
      },
      async updateWebACL(i) {
        calls.push(['updateWebACL', i]);
        if (stale-- > 0) {
          version++;
          throw fail('WAFOptimisticLockException', 'the lock token is stale');
        }
        assert.equal(i.LockToken, `token-${version}`);
        const { Scope: _s, LockToken: _l, ...rest } = i;
        acl = { ...acl, ...rest } as WebAclDescription;
        version++;
      },
    },
  };
  return { clients, calls, names: () => calls.map(([n]) => n), acu: () => [minAcu, maxAcu], acl: () => acl };
}

function withLimit(acl: WebAclDescription, limit: number): WebAclDescription {
  return {
    ...acl,
    Rules: acl.Rules!.map((r) =>
      r.Name === RATE_LIMIT_RULE_NAME ? { ...r, Statement: { RateBasedStatement: { ...r.Statement!.RateBasedStatement!, Limit: limit } } } : r,
    ),
  };
}

const sleeps: number[] = [];
const applier = (clients: ApplierClients, resources = RESOURCES) =>
  makeApplier(clients, SCHEDULE, resources, { log: () => {}, sleep: async (ms) => void sleeps.push(ms), retryDelayMs: 5 });

describe('schedule applier: outside every window', () => {
  test('registers the base web min/max, sets the base EC2 floor, and leaves Aurora and WAF alone when already at base', async () => {
    const aws = fakeAws();
    const out = await applier(aws.clients).apply(OUTSIDE);
    assert.equal(out.window, undefined);
    assert.deepEqual(aws.calls, [
      [
        'registerScalableTarget',
        { ServiceNamespace: 'ecs', ResourceId: 'service/campus/campus-Web-abc', ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 2, MaxCapacity: 6 },
      ],
      ['updateAutoScalingGroup', { AutoScalingGroupName: 'campus-ComputeInstancesASG-xyz', MinSize: 2 }],
      ['describeDBClusters', { DBClusterIdentifier: 'campus-databasecluster-123' }],
      ['getWebACL', { Name: 'WafWebAcl-abc', Scope: 'CLOUDFRONT', Id: '0a1b-2c3d' }],
    ]);
  });
  test('after a window closed (or a deploy reset them), puts Aurora and the rate limit back to base', async () => {
    const aws = fakeAws({ limit: 20000, acu: [4, 32] });
    await applier(aws.clients).apply(OUTSIDE);
    assert.deepEqual(aws.acu(), [0.5, 16]);
    assert.equal(aws.acl().Rules![0]!.Statement!.RateBasedStatement!.Limit, 3000);
  });
});

describe('schedule applier: inside a window', () => {
  test('exam week: web 8-12, 5 instances, Aurora 4-32 ACU applied immediately, rate limit 20000', async () => {
    const aws = fakeAws();
    const out = await applier(aws.clients).apply(IN_EXAM);
    assert.equal(out.window, 'exam-week');
    assert.deepEqual(aws.names(), ['registerScalableTarget', 'updateAutoScalingGroup', 'describeDBClusters', 'modifyDBCluster', 'getWebACL', 'updateWebACL']);
    assert.deepEqual(aws.calls[0]![1], {
      ServiceNamespace: 'ecs',
      ResourceId: 'service/campus/campus-Web-abc',
      ScalableDimension: 'ecs:service:DesiredCount',
      MinCapacity: 8,
      MaxCapacity: 12,
    });
    assert.deepEqual(aws.calls[1]![1], { AutoScalingGroupName: 'campus-ComputeInstancesASG-xyz', MinSize: 5 });
    assert.deepEqual(aws.calls[3]![1], {
      DBClusterIdentifier: 'campus-databasecluster-123',
      ServerlessV2ScalingConfiguration: { MinCapacity: 4, MaxCapacity: 32 },
      ApplyImmediately: true,
    });
    assert.equal(aws.acl().Rules![0]!.Statement!.RateBasedStatement!.Limit, 20000);
  });
  test('the WAF update sends the web ACL back as read, with the lock token, only the rate limit changed', async () => {
    const aws = fakeAws();
    await applier(aws.clients).apply(IN_EXAM);
    const sent: any = aws.calls.find(([n]) => n === 'updateWebACL')![1];
    const expected: Record<string, unknown> = { ...structuredClone(withLimit(ACL, 20000)), Scope: 'CLOUDFRONT', LockToken: 'token-1' };
    for (const k of READ_ONLY) delete expected[k];
    assert.deepEqual(sent.Rules[1], ACL.Rules![1]); // the managed rule group, untouched
    assert.deepEqual(sent.Rules[0].Statement.RateBasedStatement, { Limit: 20000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 });
    assert.deepEqual(sent, expected);
  });
  test('idempotent: a second run in the same window registers the same values and changes nothing else', async () => {
    const aws = fakeAws();
    const a = applier(aws.clients);
    await a.apply(IN_EXAM);
    const first = aws.calls.length;
    await a.apply(new Date('2026-06-01T12:05:00Z'));
    assert.deepEqual(
      aws.calls.slice(first).map(([n]) => n),
      ['registerScalableTarget', 'updateAutoScalingGroup', 'describeDBClusters', 'getWebACL'],
    );
    assert.deepEqual(aws.calls[first]![1], aws.calls[0]![1]);
  });
  test('overlapping windows: the night, opened after exam week, is in force; its close brings back the base, not exam week', async () => {
    const aws = fakeAws();
    assert.equal((await applier(aws.clients).apply(EXAM_NIGHT)).window, 'night');
    assert.deepEqual(aws.calls[0]![1].MaxCapacity, 3);
    const morning = await applier(fakeAws().clients).apply(new Date('2026-06-02T07:00:00Z'));
    assert.equal(morning.window, undefined);
    assert.deepEqual(morning.targets, SCHEDULE.base);
  });
});

describe('schedule applier: busy resources and failures', () => {
  test('a stale WAF lock token: reads the ACL again and retries with the new token', async () => {
    const aws = fakeAws({ staleLocks: 1 });
    await applier(aws.clients).apply(IN_EXAM);
    assert.deepEqual(aws.names().slice(4), ['getWebACL', 'updateWebACL', 'getWebACL', 'updateWebACL']);
    assert.equal(aws.calls.at(-1)![1].LockToken, 'token-2');
    assert.equal(aws.acl().Rules![0]!.Statement!.RateBasedStatement!.Limit, 20000);
  });
  test('Aurora busy modifying: waits and tries again', async () => {
    const aws = fakeAws({ busyAurora: 2 });
    const slept = sleeps.length;
    await applier(aws.clients).apply(IN_EXAM);
    assert.deepEqual(sleeps.slice(slept), [5, 5]);
    assert.equal(aws.names().filter((n) => n === 'modifyDBCluster').length, 3);
    assert.deepEqual(aws.acu(), [4, 32]);
  });
  test('one part failing does not stop the others; the run fails naming it', async () => {
    const aws = fakeAws({ failDescribe: true });
    await assert.rejects(applier(aws.clients).apply(IN_EXAM), /could not set Aurora capacity: AccessDeniedException: not authorized/);
    assert.deepEqual(aws.names(), ['registerScalableTarget', 'updateAutoScalingGroup', 'describeDBClusters', 'getWebACL', 'updateWebACL']);
  });
  test('a web ACL without the rate rule is an error naming the rule and the rules found', async () => {
    const aws = fakeAws({ acl: { ...ACL, Rules: [ACL.Rules![1]!] } });
    await assert.rejects(applier(aws.clients).apply(IN_EXAM), /no rate-based rule named "RateLimitPerIp" \(rules: AWSManagedRulesCommonRuleSet\)/);
  });
  test('Fargate with provisioned Aurora: no Auto Scaling group or RDS call', async () => {
    const aws = fakeAws();
    const { autoScalingGroup: _a, dbCluster: _d, ...rest } = RESOURCES;
    await applier(aws.clients, rest).apply(IN_EXAM);
    assert.deepEqual(aws.names(), ['registerScalableTarget', 'getWebACL', 'updateWebACL']);
  });
});

describe('schedule applier: events', () => {
  const recorder = () => {
    const at: Date[] = [];
    return {
      at,
      apply: async (now: Date) => {
        at.push(now);
        return { window: 'exam-week', targets: SCHEDULE.base, actions: [] };
      },
    };
  };
  const clock = () => new Date('2026-06-01T06:00:02Z');
  test('a deploy (Create or Update) applies the schedule and keeps one physical id', async () => {
    for (const RequestType of ['Create', 'Update'] as const) {
      const r = recorder();
      assert.deepEqual(await makeHandler(r.apply, clock, () => {})({ RequestType, PhysicalResourceId: PHYSICAL_ID }), {
        PhysicalResourceId: PHYSICAL_ID,
        Data: { Window: 'exam-week' },
      });
      assert.equal(r.at.length, 1);
    }
  });
  test('deleting the stack leaves the values alone', async () => {
    const r = recorder();
    assert.deepEqual(await makeHandler(r.apply, clock, () => {})({ RequestType: 'Delete', PhysicalResourceId: PHYSICAL_ID }), {
      PhysicalResourceId: PHYSICAL_ID,
    });
    assert.equal(r.at.length, 0);
  });
  test('a schedule trigger delivered early is evaluated at its scheduled time; a late one at the clock', async () => {
    const r = recorder();
    const handle = makeHandler(r.apply, clock, () => {});
    await handle({ trigger: 'exam-week-open', scheduledTime: '2026-06-01T06:00:30Z' });
    await handle({ trigger: 'exam-week-open', scheduledTime: '2026-06-01T05:00:00Z' });
    assert.deepEqual(
      r.at.map((d) => d.toISOString()),
      ['2026-06-01T06:00:30.000Z', '2026-06-01T06:00:02.000Z'],
    );
  });
});

describe('schedule applier: configuration and bundle', () => {
  test('the environment written at synth reads back as the same schedule and resources', () => {
    const env = { [ENV.schedule]: encodeSchedule(SCHEDULE), ...resourceEnvironment(RESOURCES) };
    assert.deepEqual(readEnvironment(env), { schedule: SCHEDULE, resources: RESOURCES });
  });
  test('a missing variable is named', () => {
    assert.throws(() => readEnvironment({ [ENV.schedule]: '{}' }), /missing environment variable\(s\) WEB_SCALABLE_TARGET, WEB_ACL_NAME/);
  });
  test('the bundle is one ES module with the handler and the shared window evaluation, without zod, CDK or the AWS SDK', async () => {
    const file = join(applierBundle(), 'index.mjs');
    const code = readFileSync(file, 'utf8');
    assert.match(code, /^\/\/ src\/spec\/windows\.ts$/m);
    assert.match(code, /^\/\/ src\/spec\/cron\.ts$/m);
    assert.doesNotMatch(code, /node_modules\/(zod|aws-cdk-lib|@aws-sdk)/);
    const bundled = await import(pathToFileURL(file).href);
    assert.equal(typeof bundled.handler, 'function');
    assert.equal(bundled.PHYSICAL_ID, PHYSICAL_ID);
  });
});
