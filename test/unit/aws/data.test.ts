// The data tier of the production configuration (Aurora, cache, EFS, buckets) and what
// `destroy --delete-data` changes; an NFS + Serverless v2 variant with explicit zones. Backups and
// restores: backups.test.ts.
import { Match } from 'aws-cdk-lib/assertions';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { supportsPerformanceInsights } from '../../../src/aws/data/database.ts';
import { build, CERT_ARN, only, PRODUCTION, resources } from './fixtures.ts';

const { main } = build(PRODUCTION, { image: { tag: 'release-1' } });
const az = (i: number) => ({ 'Fn::Select': [i, { 'Fn::GetAZs': '' }] });
const sgIngressTo = (t: typeof main, groupPrefix: string) =>
  Object.values(resources(t, 'AWS::EC2::SecurityGroupIngress')).filter((r) => JSON.stringify(r.Properties.GroupId).includes(`"${groupPrefix}`));

describe('Aurora MySQL', () => {
  test('Aurora MySQL 3, encrypted, IAM auth, 14 days of backups (point-in-time restore), deletion protection', () => {
    main.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-mysql',
      EngineVersion: Match.stringLikeRegexp('^8\\.0\\.mysql_aurora\\.3\\.'),
      StorageEncrypted: true,
      EnableIAMDatabaseAuthentication: true,
      BackupRetentionPeriod: 14,
      DeletionProtection: true,
    });
  });
  test('the cluster leaves a snapshot when deleted or replaced', () => {
    const [, cluster] = only(resources(main, 'AWS::RDS::DBCluster'));
    assert.equal(cluster.DeletionPolicy, 'Snapshot');
    assert.equal(cluster.UpdateReplacePolicy, 'Snapshot');
  });
  test('TLS is required by the cluster parameter group', () => {
    main.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', { Parameters: Match.objectLike({ require_secure_transport: 'ON' }) });
  });
  test('Performance Insights on every instance, with the free 7 days of history', () => {
    for (const [id, i] of Object.entries(resources(main, 'AWS::RDS::DBInstance'))) {
      assert.equal(i.Properties.EnablePerformanceInsights, true, id);
      assert.equal(i.Properties.PerformanceInsightsRetentionPeriod, 7, id);
    }
  });
  test('Performance Insights only where the class supports it (not db.t2, db.t3, db.t4g.micro/small)', () => {
    assert.deepEqual(['db.r6g.large', 'db.t4g.medium', 'db.t3.medium', 'db.t2.medium', 'db.t4g.small', 'db.t4g.micro'].map(supportsPerformanceInsights), [
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });
  test('the slow query log is really on: an instance parameter group on every instance', () => {
    const [groupId, group] = only(resources(main, 'AWS::RDS::DBParameterGroup'));
    assert.deepEqual(group.Properties.Parameters, { slow_query_log: '1', long_query_time: '2', log_output: 'FILE' });
    for (const i of Object.values(resources(main, 'AWS::RDS::DBInstance'))) assert.deepEqual(i.Properties.DBParameterGroupName, { Ref: groupId });
  });
  test('the audit log records schema and privilege changes (Advanced Auditing in the cluster group)', () => {
    main.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
      Parameters: Match.objectLike({ server_audit_logging: '1', server_audit_events: 'QUERY_DDL,QUERY_DCL' }),
    });
  });
  test('error, slow query and audit logs are exported; not the general log, which stays off', () => {
    main.hasResourceProperties('AWS::RDS::DBCluster', { EnableCloudwatchLogsExports: ['error', 'slowquery', 'audit'] });
  });
  test('a provisioned writer in the first AZ and a reader in the second, not public', () => {
    main.resourceCountIs('AWS::RDS::DBInstance', 2);
    main.hasResourceProperties('AWS::RDS::DBInstance', {
      AvailabilityZone: az(0),
      PromotionTier: 0,
      DBInstanceClass: 'db.r6g.large',
      PubliclyAccessible: false,
    });
    main.hasResourceProperties('AWS::RDS::DBInstance', { AvailabilityZone: az(1), DBInstanceClass: 'db.r6g.large', PubliclyAccessible: false });
  });
  test('credentials are generated into Secrets Manager, never in the template', () => {
    main.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"moodle"}', GenerateStringKey: 'password' }),
    });
    main.hasResourceProperties('AWS::RDS::DBCluster', {
      MasterUserPassword: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('resolve:secretsmanager')])] },
    });
  });
  test('only the tasks reach it, on its port', () => {
    const rules = sgIngressTo(main, 'DatabaseSecurityGroup');
    assert.equal(rules.length, 1);
    assert.match(JSON.stringify(rules[0]!.Properties.SourceSecurityGroupId), /TaskSecurityGroup/);
    main.hasResourceProperties('AWS::RDS::DBCluster', { Port: 3307 });
  });
});

describe('cache', () => {
  test('a replication group with a replica in another AZ, Multi-AZ and automatic failover', () => {
    main.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'valkey',
      NumCacheClusters: 2,
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
      PreferredCacheClusterAZs: [az(0), az(1)],
    });
  });
  test('TLS required in transit, encrypted at rest, AUTH token from Secrets Manager', () => {
    main.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      AtRestEncryptionEnabled: true,
      AuthToken: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^\\{\\{resolve:secretsmanager:')])] },
    });
    main.hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('AUTH token'),
      GenerateSecretString: Match.objectLike({ ExcludePunctuation: true, PasswordLength: 64 }),
    });
  });
  test('only the tasks reach it', () => {
    const rules = sgIngressTo(main, 'CacheSecurityGroup');
    assert.equal(rules.length, 1);
    assert.match(JSON.stringify(rules[0]!.Properties.SourceSecurityGroupId), /TaskSecurityGroup/);
    assert.equal(rules[0]!.Properties.FromPort, 6380);
  });
});

describe('moodledata on EFS', () => {
  test('encrypted, Elastic throughput, RETAIN', () => {
    const [, fs] = only(resources(main, 'AWS::EFS::FileSystem'));
    assert.equal(fs.Properties.Encrypted, true);
    assert.equal(fs.Properties.ThroughputMode, 'elastic');
    assert.equal(fs.DeletionPolicy, 'Retain');
  });
  test('a mount target in every AZ', () => {
    main.resourceCountIs('AWS::EFS::MountTarget', 3);
  });
  test("an access point owned by the image's uid/gid (33)", () => {
    main.hasResourceProperties('AWS::EFS::AccessPoint', {
      PosixUser: { Uid: '33', Gid: '33' },
      RootDirectory: { Path: '/moodledata', CreationInfo: { OwnerUid: '33', OwnerGid: '33', Permissions: '750' } },
    });
  });
  test('the file system policy denies unencrypted access and allows nobody by itself', () => {
    const [, fs] = only(resources(main, 'AWS::EFS::FileSystem'));
    const statements = fs.Properties.FileSystemPolicy.Statement as any[];
    assert.ok(statements.some((s) => s.Effect === 'Deny' && s.Condition.Bool['aws:SecureTransport'] === 'false'));
    assert.equal(statements.filter((s) => s.Effect === 'Allow').length, 0);
  });
  test('the task role may mount and write only through the access point', () => {
    main.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^TasksTaskRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
            Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });
  test('only the tasks reach it (NFS)', () => {
    const rules = sgIngressTo(main, 'SharedFilesSecurityGroup');
    assert.equal(rules.length, 1);
    assert.equal(rules[0]!.Properties.FromPort, 2049);
  });
});

describe('buckets', () => {
  test('the config bucket: versioned, encrypted, public access blocked, access-logged, RETAIN', () => {
    const [, bucket] = only(Object.fromEntries(Object.entries(resources(main, 'AWS::S3::Bucket')).filter(([k]) => k.startsWith('Config'))));
    assert.deepEqual(bucket.Properties.VersioningConfiguration, { Status: 'Enabled' });
    assert.equal(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm, 'AES256');
    assert.deepEqual(bucket.Properties.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    assert.ok(bucket.Properties.LoggingConfiguration.DestinationBucketName);
    assert.equal(bucket.DeletionPolicy, 'Retain');
  });
  test('every bucket refuses requests without TLS', () => {
    const policies = Object.values(resources(main, 'AWS::S3::BucketPolicy'));
    assert.equal(policies.length, Object.keys(resources(main, 'AWS::S3::Bucket')).length);
    for (const p of policies) {
      assert.ok(p.Properties.PolicyDocument.Statement.some((s: any) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false'));
    }
  });
  test('tasks may read only the bundle prefix of the config bucket', () => {
    main.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^TasksTaskRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['s3:GetObject', 's3:GetObjectVersion'],
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^ConfigBucket'), 'Arn'] }, '/bundle/*']] },
          }),
          Match.objectLike({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['bundle/*', 'bundle'] } } }),
        ]),
      },
    });
  });
});

describe('destroy --delete-data lifts every protection', () => {
  const { main: doomed } = build(PRODUCTION, { image: { tag: 'release-1' }, deleteData: true });
  test('database: no deletion protection, no snapshot', () => {
    doomed.hasResourceProperties('AWS::RDS::DBCluster', { DeletionProtection: false });
    assert.equal(only(resources(doomed, 'AWS::RDS::DBCluster'))[1].DeletionPolicy, 'Delete');
  });
  test('EFS and buckets are deleted, buckets emptied first', () => {
    assert.equal(only(resources(doomed, 'AWS::EFS::FileSystem'))[1].DeletionPolicy, 'Delete');
    for (const b of Object.values(resources(doomed, 'AWS::S3::Bucket'))) assert.equal(b.DeletionPolicy, 'Delete');
    doomed.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
  });
  test('the backup vault stays (its recovery points expire on their own)', () => {
    assert.equal(only(resources(doomed, 'AWS::Backup::BackupVault'))[1].DeletionPolicy, 'Retain');
  });
});

describe('variant: NFS moodledata, Serverless v2 with two readers, explicit zones', () => {
  const { main: nfs } = build({
    name: 'nfs',
    aws: {
      domain: 'moodle.example.edu',
      certificateArn: CERT_ARN,
      edge: { enabled: false },
      azs: 2,
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      sharedFiles: { type: 'nfs', nfsServer: '10.20.0.5', nfsPath: '/export/moodledata', nfsSecurityGroupId: 'sg-0123456789abcdef0' },
      database: { engine: 'serverless', readers: 2, maxCapacity: 32 },
    },
  });
  test('no EFS; tasks mount the NFS export as a shared Docker volume', () => {
    nfs.resourceCountIs('AWS::EFS::FileSystem', 0);
    nfs.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Volumes: [
        {
          Name: 'moodledata',
          DockerVolumeConfiguration: {
            Driver: 'local',
            Scope: 'shared',
            Autoprovision: true,
            DriverOpts: { type: 'nfs', device: ':/export/moodledata', o: Match.stringLikeRegexp('^addr=10\\.20\\.0\\.5,nfsvers=4\\.1') },
          },
        },
      ],
    });
  });
  test("the NFS server's group admits TCP 2049 from the container instances, which mount the Docker volume, not from the tasks", () => {
    const nfsRules = Object.values(resources(nfs, 'AWS::EC2::SecurityGroupIngress')).filter((r) => r.Properties.GroupId === 'sg-0123456789abcdef0');
    assert.equal(nfsRules.length, 1);
    assert.equal(nfsRules[0]!.Properties.FromPort, 2049);
    assert.equal(nfsRules[0]!.Properties.ToPort, 2049);
    assert.match(JSON.stringify(nfsRules[0]!.Properties.SourceSecurityGroupId), /^\{"Fn::GetAtt":\["ComputeInstanceSecurityGroup[0-9A-F]{8}","GroupId"\]\}$/);
  });
  test('AWS Backup covers the database only (the NFS server is yours to back up), and its failures still reach the topic', () => {
    nfs.resourceCountIs('AWS::Backup::BackupPlan', 1);
    const selection = JSON.stringify(Object.values(resources(nfs, 'AWS::Backup::BackupSelection'))[0]!.Properties.BackupSelection.Resources);
    assert.match(selection, /DatabaseCluster/);
    assert.doesNotMatch(selection, /elasticfilesystem/);
    assert.ok(Object.values(resources(nfs, 'AWS::Events::Rule')).some((r) => JSON.stringify(r.Properties.EventPattern).includes('aws.backup')));
  });
  test("the container instances' security group id is an output, to allow on the server", () => {
    nfs.hasOutput('NfsClientSecurityGroup', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ComputeInstanceSecurityGroup'), 'GroupId'] } });
  });
  test('Serverless v2 instances have Performance Insights and the slow query log too', () => {
    for (const i of Object.values(resources(nfs, 'AWS::RDS::DBInstance'))) {
      assert.equal(i.Properties.EnablePerformanceInsights, true);
      assert.ok(i.Properties.DBParameterGroupName);
    }
  });
  test('Serverless v2 writer and two readers alternate over the named zones', () => {
    nfs.hasResourceProperties('AWS::RDS::DBCluster', { ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 32 } });
    const zones = Object.values(resources(nfs, 'AWS::RDS::DBInstance')).map((i) => [i.Properties.DBInstanceClass, i.Properties.AvailabilityZone]);
    assert.deepEqual(zones.sort(), [
      ['db.serverless', 'eu-west-1a'],
      ['db.serverless', 'eu-west-1a'],
      ['db.serverless', 'eu-west-1b'],
    ]);
  });
  test('subnets use the named zones', () => {
    nfs.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: 'eu-west-1b' });
    nfs.resourceCountIs('AWS::EC2::Subnet', 6);
  });
});
