// Observability of the production configuration: the encrypted alarm topic, every alarm wired to
// it, deployment and scaling events, the dashboard.
import { Match } from 'aws-cdk-lib/assertions';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MIGRATE_STARTED_BY, STARTED_BY } from '../../../src/aws/compute/migrate-runner.ts';
import { METRIC_DIMENSIONS, METRICS_NAMESPACE, SECONDS_SINCE_SCHEDULED_TASK } from '../../../src/contract/metrics.ts';
import { build, only, PRODUCTION, resources } from './fixtures.ts';

const { main } = build(PRODUCTION, { image: { tag: 'release-1' } });
const [topicId] = only(Object.fromEntries(Object.entries(resources(main, 'AWS::SNS::Topic')).filter(([k]) => k.startsWith('AlarmsTopic'))));
const alarms = resources(main, 'AWS::CloudWatch::Alarm');
const alarm = (prefix: string) => only(Object.fromEntries(Object.entries(alarms).filter(([k]) => k.startsWith(`Monitoring${prefix}`))))[1].Properties;

describe('alarm topic', () => {
  test('encrypted with its own rotating KMS key, TLS-only publishing', () => {
    main.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlarmsKey'), 'Arn'] } });
    main.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    main.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });
  test('CloudWatch, EventBridge and CodeStar notifications may use the key', () => {
    main.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowServicesToPublishAlarms',
            Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com', 'codestar-notifications.amazonaws.com'] },
          }),
        ]),
      },
    });
  });
  test('the alarm e-mail is subscribed', () => {
    main.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.edu', TopicArn: { Ref: topicId } });
  });
});

describe('alarms', () => {
  test('every alarm but the deployment alarms notifies the topic on ALARM and on OK', () => {
    const paging = Object.entries(alarms).filter(([k]) => !k.startsWith('DeploymentAlarms'));
    assert.ok(paging.length >= 14);
    for (const [id, a] of paging) {
      assert.deepEqual(a.Properties.AlarmActions, [{ Ref: topicId }], id);
      assert.deepEqual(a.Properties.OKActions, [{ Ref: topicId }], id);
    }
  });
  const expected: Array<[string, string, string]> = [
    ['Alb5xx', 'AWS/ApplicationELB', 'HTTPCode_ELB_5XX_Count'],
    ['Target5xx', 'AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count'],
    ['ResponseTime', 'AWS/ApplicationELB', 'TargetResponseTime'],
    ['UnhealthyHosts', 'AWS/ApplicationELB', 'UnHealthyHostCount'],
    ['WebCpu', 'AWS/ECS', 'CPUUtilization'],
    ['WebMemory', 'AWS/ECS', 'MemoryUtilization'],
    ['DbCpu', 'AWS/RDS', 'CPUUtilization'],
    ['DbConnections', 'AWS/RDS', 'DatabaseConnections'],
    ['DbFreeableMemory', 'AWS/RDS', 'FreeableMemory'],
    ['DbReplicaLag', 'AWS/RDS', 'AuroraReplicaLagMaximum'],
    ['SessionsMemory1', 'AWS/ElastiCache', 'DatabaseMemoryUsagePercentage'],
    ['SessionsMemory2', 'AWS/ElastiCache', 'DatabaseMemoryUsagePercentage'],
    ['SessionsEvictions1', 'AWS/ElastiCache', 'Evictions'],
    ['SessionsEvictions2', 'AWS/ElastiCache', 'Evictions'],
    ['EfsIoLimit', 'AWS/EFS', 'PercentIOLimit'],
    ['CronStalled', 'moodle-ha', 'SecondsSinceScheduledTask'],
  ];
  for (const [id, namespace, metric] of expected) {
    test(`${id}: ${namespace} ${metric}`, () => {
      const a = alarm(id);
      assert.equal(a.Namespace, namespace);
      assert.equal(a.MetricName, metric);
    });
  }
  test('p95 response time above 3 s; unhealthy hosts above 0 for 3 minutes', () => {
    assert.equal(alarm('ResponseTime').ExtendedStatistic, 'p95');
    assert.equal(alarm('ResponseTime').Threshold, 3);
    assert.equal(alarm('UnhealthyHosts').Threshold, 0);
    assert.equal(alarm('UnhealthyHosts').EvaluationPeriods, 3);
  });
  test('connections above what the web tier can open at its peak (12 tasks × 10 workers + 10)', () => {
    assert.equal(alarm('DbConnections').Threshold, 130);
  });
  test('freeable memory alarms below its threshold', () => {
    assert.equal(alarm('DbFreeableMemory').ComparisonOperator, 'LessThanThreshold');
  });
  test("cron: the contract's metric for this cluster, over 10 minutes or missing for 10 minutes", () => {
    const a = alarm('CronStalled');
    assert.equal(a.Namespace, METRICS_NAMESPACE);
    assert.equal(a.MetricName, SECONDS_SINCE_SCHEDULED_TASK.name);
    assert.deepEqual(a.Dimensions, [{ Name: METRIC_DIMENSIONS.cluster, Value: 'campus' }]);
    assert.equal(a.Statistic, 'Maximum');
    assert.equal(a.Period, 60);
    assert.equal(a.Threshold, 600);
    assert.equal(a.ComparisonOperator, 'GreaterThanThreshold');
    assert.equal(a.EvaluationPeriods, 10);
    assert.equal(a.DatapointsToAlarm, 10);
    assert.equal(a.TreatMissingData, 'breaching');
  });
  test("memory and eviction alarms watch each node of the sessions' group, and no node of the caches' group", () => {
    const groups = Object.keys(resources(main, 'AWS::ElastiCache::ReplicationGroup'));
    const sessions = groups.filter((k) => /^Cache(?!Store)/.test(k));
    const caches = groups.filter((k) => k.startsWith('CacheStore'));
    assert.equal(sessions.length, 1, groups.join(', '));
    assert.equal(caches.length, 1, groups.join(', '));
    const nodes = ['1', '2'].map((i) => JSON.stringify(alarm(`SessionsMemory${i}`).Dimensions));
    assert.match(nodes[0]!, /-001/);
    assert.match(nodes[1]!, /-002/);
    for (const n of nodes) assert.ok(n.includes(`"${sessions[0]}"`), n);
    assert.equal(alarm('SessionsEvictions1').Threshold, 0);
    // The caches' group fills its memory and evicts by design (allkeys-lru): an alarm there would never clear.
    const onCaches = Object.entries(alarms).filter(([, a]) => JSON.stringify(a.Properties.Dimensions ?? []).includes(`"${caches[0]}"`));
    assert.deepEqual(
      onCaches.map(([k]) => k),
      [],
    );
  });
});

describe('deployment alarms of the web service (ECS rolls back on them)', () => {
  const deployment = (prefix: string) =>
    only(Object.fromEntries(Object.entries(alarms).filter(([k]) => k.startsWith(`DeploymentAlarms${prefix}`))))[1].Properties;
  test('target 5xx: over 10 % of at least 10 requests a minute, 3 one-minute periods in a row', () => {
    const a = deployment('Target5xxRate');
    const expr = a.Metrics.find((m: any) => m.Expression);
    assert.equal(expr.Expression, 'IF(requests >= 10, 100 * FILL(errors, 0) / requests, 0)');
    const stat = (id: string) => a.Metrics.find((m: any) => m.Id === id).MetricStat;
    assert.equal(stat('errors').Metric.MetricName, 'HTTPCode_Target_5XX_Count');
    assert.equal(stat('requests').Metric.MetricName, 'RequestCount');
    for (const id of ['errors', 'requests']) {
      assert.equal(stat(id).Period, 60);
      assert.equal(stat(id).Stat, 'Sum');
      assert.ok(
        stat(id).Metric.Dimensions.some((d: any) => d.Name === 'TargetGroup'),
        id,
      );
    }
    assert.equal(a.Threshold, 10);
    assert.equal(a.ComparisonOperator, 'GreaterThanThreshold');
    assert.equal(a.EvaluationPeriods, 3);
    assert.equal(a.DatapointsToAlarm, 3);
    assert.equal(a.TreatMissingData, 'notBreaching');
  });
  test('unhealthy hosts: a target unhealthy in 2 of 3 one-minute periods', () => {
    const a = deployment('UnhealthyHosts');
    assert.equal(a.MetricName, 'UnHealthyHostCount');
    assert.equal(a.Statistic, 'Maximum');
    assert.equal(a.Period, 60);
    assert.equal(a.Threshold, 0);
    assert.equal(a.EvaluationPeriods, 3);
    assert.equal(a.DatapointsToAlarm, 2);
  });
  test('they page nobody themselves: the rollback is announced by the ECS deployment event', () => {
    for (const p of ['Target5xxRate', 'UnhealthyHosts']) {
      assert.equal(deployment(p).AlarmActions, undefined);
      assert.equal(deployment(p).OKActions, undefined);
    }
  });
});

describe('events', () => {
  test('ECS deployment and service events of web and cron go to the topic', () => {
    main.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Deployment State Change', 'ECS Service Action'],
        resources: [{ Ref: Match.stringLikeRegexp('^WebService') }, { Ref: Match.stringLikeRegexp('^CronService') }],
      },
      Targets: [Match.objectLike({ Arn: { Ref: topicId } })],
    });
  });
  test('scaling (target tracking alarms of the web service) goes to the topic', () => {
    main.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        source: ['aws.cloudwatch'],
        detail: Match.objectLike({
          alarmName: [{ prefix: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['TargetTracking-service/'])]) }) }],
        }),
      }),
      Targets: [Match.objectLike({ Arn: { Ref: topicId } })],
    });
  });
});

describe('failures that arrive as events', () => {
  const rules = resources(main, 'AWS::Events::Rule');
  const rule = (prefix: string) => only(Object.fromEntries(Object.entries(rules).filter(([k]) => k.startsWith(`Events${prefix}`))))[1].Properties;
  test('a migrate task of this cluster that stopped with a non-zero exit, or never started', () => {
    const r = rule('MigrateFailed');
    const { clusterArn, ...detail } = r.EventPattern.detail;
    assert.deepEqual(r.EventPattern.source, ['aws.ecs']);
    assert.deepEqual(r.EventPattern['detail-type'], ['ECS Task State Change']);
    assert.deepEqual(detail, {
      startedBy: [STARTED_BY.migrate, STARTED_BY.finish],
      lastStatus: ['STOPPED'],
      $or: [{ containers: { exitCode: [{ 'anything-but': 0 }] } }, { stopCode: ['TaskFailedToStart'] }],
    });
    assert.match(JSON.stringify(clusterArn), /^\[\{"Fn::GetAtt":\["ComputeCluster[0-9A-F]{8}","Arn"\]\}\]$/);
    assert.equal(MIGRATE_STARTED_BY, 'moodle-ha-migrate');
    assert.deepEqual(
      r.Targets.map((t: any) => t.Arn),
      [{ Ref: topicId }],
    );
  });
  test('Aurora failover and failure events of the cluster and each instance', () => {
    const r = rule('Database');
    assert.deepEqual(r.EventPattern.source, ['aws.rds']);
    assert.deepEqual(r.EventPattern['detail-type'], ['RDS DB Cluster Event', 'RDS DB Instance Event']);
    assert.deepEqual(r.EventPattern.detail.EventCategories, ['failover', 'failure']);
    const arns = r.EventPattern.detail.SourceArn.map((a: unknown) => JSON.stringify(a));
    assert.equal(arns.length, 3);
    assert.match(arns[0], /:cluster:".*DatabaseCluster/);
    assert.match(arns[1], /:db:".*DatabaseClusterWriter/);
    assert.match(arns[2], /:db:".*DatabaseClusterReader1/);
    assert.deepEqual(
      r.Targets.map((t: any) => t.Arn),
      [{ Ref: topicId }],
    );
  });
  test('AWS Backup jobs of the moodledata vault that failed, were aborted or expired', () => {
    const r = rule('Backups');
    assert.deepEqual(r.EventPattern.source, ['aws.backup']);
    assert.deepEqual(r.EventPattern['detail-type'], ['Backup Job State Change']);
    assert.deepEqual(r.EventPattern.detail.state, ['FAILED', 'ABORTED', 'EXPIRED']);
    assert.deepEqual(r.EventPattern.detail.backupVaultArn, [{ 'Fn::GetAtt': [only(resources(main, 'AWS::Backup::BackupVault'))[0], 'BackupVaultArn'] }]);
    assert.deepEqual(
      r.Targets.map((t: any) => t.Arn),
      [{ Ref: topicId }],
    );
  });
  test('EventBridge may publish to the topic and use its key', () => {
    main.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish' })]) },
    });
  });
});

describe('ElastiCache events (their own topic: ElastiCache cannot publish to an encrypted one)', () => {
  const topics = resources(main, 'AWS::SNS::Topic');
  const [cacheTopicId, cacheTopic] = only(Object.fromEntries(Object.entries(topics).filter(([k]) => k.startsWith('CacheEvents'))));
  test('the replication group publishes its events to it', () => {
    main.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { NotificationTopicArn: { Ref: cacheTopicId } });
  });
  test('unencrypted, TLS-only, and open to publishing by this account with aws:SourceOwner', () => {
    assert.equal(cacheTopic.Properties.KmsMasterKeyId, undefined);
    const [, policy] = only(
      Object.fromEntries(
        Object.entries(resources(main, 'AWS::SNS::TopicPolicy')).filter(
          ([, p]) => JSON.stringify(p.Properties.Topics) === JSON.stringify([{ Ref: cacheTopicId }]),
        ),
      ),
    );
    const statements = policy.Properties.PolicyDocument.Statement;
    assert.ok(statements.some((st: any) => st.Effect === 'Deny' && st.Condition?.Bool?.['aws:SecureTransport'] === 'false'));
    const allow = statements.find((st: any) => st.Sid === 'AllowElastiCachePublish');
    assert.deepEqual(allow.Principal, { AWS: '*' });
    assert.equal(allow.Action, 'sns:Publish');
    assert.deepEqual(allow.Condition, { StringEquals: { 'AWS:SourceOwner': { Ref: 'AWS::AccountId' } } });
  });
  test('the alarm e-mail is subscribed to it', () => {
    main.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.edu', TopicArn: { Ref: cacheTopicId } });
  });
});

describe('dashboard', () => {
  test('one dashboard named after the cluster with traffic, tasks, database, cache, EFS and alarms', () => {
    const [, dash] = only(resources(main, 'AWS::CloudWatch::Dashboard'));
    assert.equal(dash.Properties.DashboardName, 'campus');
    const body = JSON.stringify(dash.Properties.DashboardBody);
    for (const title of ['Requests per minute', 'Errors (5xx)', 'Web tasks', 'Database', 'Cache memory', 'moodledata (EFS)', 'Alarms'])
      assert.ok(body.includes(title), title);
  });
});
