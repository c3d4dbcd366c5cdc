// One AWS Backup plan for Aurora and EFS (rules, retention, cold storage, copies to another region),
// and a stack restored from a pair of recovery points (database from the snapshot, moodledata from
// the restored file system, moved out of AWS Backup's restore folder before migrate).
import { Match, Template } from 'aws-cdk-lib/assertions';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BACKUP_OUTPUTS } from '../../../src/aws/data/backups.ts';
import { LAYOUT_HANDLER } from '../../../src/aws/data/restored-files.ts';
import { build, CERT_ARN, only, PRODUCTION, resources } from './fixtures.ts';
import { tempDir } from '../../support/temp.ts';

const { main } = build(PRODUCTION, { image: { tag: 'release-1' } });
const rules = (t: Template) => only(resources(t, 'AWS::Backup::BackupPlan'))[1].Properties.BackupPlan.BackupPlanRule as Array<Record<string, any>>;
const rule = (t: Template, name: string) => rules(t).find((r) => r.RuleName === name);
const SNAPSHOT = 'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:awsbackup:job-0a1b2c3d-4e5f-6789-abcd-ef0123456789';
const FS = 'fs-0123456789abcdef0';

describe('one backup plan for the database and moodledata', () => {
  test('one plan, one selection holding the Aurora cluster and the EFS file system', () => {
    main.resourceCountIs('AWS::Backup::BackupPlan', 1);
    main.resourceCountIs('AWS::Backup::BackupSelection', 1);
    const [, selection] = only(resources(main, 'AWS::Backup::BackupSelection'));
    const selected = JSON.stringify(selection.Properties.BackupSelection.Resources);
    assert.match(selected, /:rds:.*:cluster:.*DatabaseCluster/, 'the Aurora cluster');
    assert.match(selected, /:file-system\/.*SharedFilesFileSystem/, 'the EFS file system');
    assert.equal(selection.Properties.BackupSelection.Resources.length, 2);
  });
  test('daily at 02:30 UTC, kept 35 days, in a 1 h start and 8 h completion window', () => {
    const daily = rule(main, 'daily')!;
    assert.equal(daily.ScheduleExpression, 'cron(30 2 * * ? *)');
    assert.deepEqual(daily.Lifecycle, { DeleteAfterDays: 35 });
    assert.equal(daily.StartWindowMinutes, 60);
    assert.equal(daily.CompletionWindowMinutes, 480);
    assert.equal(daily.CopyActions, undefined, 'no copies unless asked for');
  });
  test('monthly on the 1st, kept 12 months, cold after 30 days (EFS; AWS Backup ignores it for Aurora)', () => {
    const monthly = rule(main, 'monthly')!;
    assert.equal(monthly.ScheduleExpression, 'cron(30 2 1 * ? *)');
    assert.deepEqual(monthly.Lifecycle, { DeleteAfterDays: 365, MoveToColdStorageAfterDays: 30 });
  });
  test('the vault is kept when the stack goes, even with --delete-data', () => {
    assert.equal(only(resources(main, 'AWS::Backup::BackupVault'))[1].DeletionPolicy, 'Retain');
    const { main: doomed } = build(PRODUCTION, { image: { tag: 'release-1' }, deleteData: true });
    assert.equal(only(resources(doomed, 'AWS::Backup::BackupVault'))[1].DeletionPolicy, 'Retain');
  });
  test('one role for backup and restore jobs, and the outputs `aws restore` reads', () => {
    main.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'backup.amazonaws.com' } })] }),
      ManagedPolicyArns: [
        { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('AWSBackupServiceRolePolicyForBackup$')])] },
        { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('AWSBackupServiceRolePolicyForRestores$')])] },
      ],
    });
    const outputs = main.toJSON().Outputs as Record<string, unknown>;
    for (const key of Object.values(BACKUP_OUTPUTS)) assert.ok(outputs[key], `output ${key}`);
  });
  test("Aurora's own automated backups (point-in-time restore) are unchanged", () => {
    main.hasResourceProperties('AWS::RDS::DBCluster', { BackupRetentionPeriod: 14, PreferredBackupWindow: '01:00-02:00' });
  });
});

describe('backup settings from the spec', () => {
  const custom = build(
    { ...PRODUCTION, aws: { ...PRODUCTION.aws, backup: { time: '04:15', dailyRetention: '7d', monthlyRetention: '0d' } } },
    { image: { tag: 'release-1' } },
  ).main;
  test('another time and retention; "0d" turns the monthly rule off', () => {
    assert.deepEqual(
      rules(custom).map((r) => [r.RuleName, r.ScheduleExpression, r.Lifecycle]),
      [['daily', 'cron(15 4 * * ? *)', { DeleteAfterDays: 7 }]],
    );
  });
  test('an NFS site: only the database is selected', () => {
    const { main: nfs } = build({
      name: 'nfs',
      aws: {
        domain: 'moodle.example.edu',
        certificateArn: CERT_ARN,
        edge: { enabled: false },
        compute: { type: 'ec2' },
        sharedFiles: { type: 'nfs', nfsServer: '10.0.0.5' },
      },
    });
    const [, selection] = only(resources(nfs, 'AWS::Backup::BackupSelection'));
    assert.equal(selection.Properties.BackupSelection.Resources.length, 1);
    assert.match(JSON.stringify(selection.Properties.BackupSelection.Resources), /:cluster:/);
  });
});

describe('copies to another region', () => {
  const made = build({ ...PRODUCTION, aws: { ...PRODUCTION.aws, backup: { copyTo: { region: 'eu-central-1' } } } }, { image: { tag: 'release-1' } });
  const copyStack = made.built.backupCopy!;
  test('without a vault ARN: a stack in that region with a vault and its own rotating KMS key, both kept', () => {
    assert.equal(copyStack.region, 'eu-central-1');
    assert.equal(copyStack.stackName, 'campus-backup-copy');
    const t = Template.fromStack(copyStack);
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    t.hasResourceProperties('AWS::Backup::BackupVault', {
      BackupVaultName: 'campus-copies',
      EncryptionKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
    });
    assert.equal(only(resources(t, 'AWS::KMS::Key'))[1].DeletionPolicy, 'Retain');
    assert.equal(only(resources(t, 'AWS::Backup::BackupVault'))[1].DeletionPolicy, 'Retain');
    assert.ok(made.built.main!.dependencies.includes(copyStack), 'the copy vault is deployed before the plan that copies to it');
  });
  test('every rule copies to it, keeping each copy as long as the original (and cold where the original is)', () => {
    const dest = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':backup:eu-central-1:', { Ref: 'AWS::AccountId' }, ':backup-vault:campus-copies']] };
    assert.deepEqual(rule(made.main, 'daily')!.CopyActions, [{ DestinationBackupVaultArn: dest, Lifecycle: { DeleteAfterDays: 35 } }]);
    assert.deepEqual(rule(made.main, 'monthly')!.CopyActions, [
      { DestinationBackupVaultArn: dest, Lifecycle: { DeleteAfterDays: 365, MoveToColdStorageAfterDays: 30 } },
    ]);
  });
  test('with a vault ARN: copies go there and no copy stack is made', () => {
    const vaultArn = 'arn:aws:backup:eu-central-1:123456789012:backup-vault:dr-vault';
    const given = build(
      { ...PRODUCTION, aws: { ...PRODUCTION.aws, backup: { copyTo: { region: 'eu-central-1', vaultArn } } } },
      { image: { tag: 'release-1' } },
    );
    assert.equal(given.built.backupCopy, undefined);
    assert.deepEqual(rule(given.main, 'daily')!.CopyActions, [{ DestinationBackupVaultArn: vaultArn, Lifecycle: { DeleteAfterDays: 35 } }]);
  });
});

describe('a stack restored from a pair of recovery points', () => {
  const { main: restored } = build(
    {
      ...PRODUCTION,
      name: 'campus-restored',
      aws: { ...PRODUCTION.aws, domain: 'restored.example.edu', restore: { databaseSnapshotArn: SNAPSHOT, fileSystemId: FS } },
    },
    { image: { tag: 'release-1' } },
  );
  test('the database is created from the snapshot, with a new generated password for its user', () => {
    const [, cluster] = only(resources(restored, 'AWS::RDS::DBCluster'));
    assert.equal(cluster.Properties.SnapshotIdentifier, SNAPSHOT);
    assert.equal(cluster.Properties.DatabaseName, undefined, 'the database comes with the snapshot');
    assert.equal(cluster.Properties.StorageEncrypted, undefined, 'encryption comes with the snapshot');
    assert.match(JSON.stringify(cluster.Properties.MasterUserPassword), /resolve:secretsmanager/);
    restored.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"moodle"}' }),
    });
    assert.equal(cluster.DeletionPolicy, 'Snapshot');
  });
  test('moodledata is the restored file system: imported, not created; mount targets in each AZ; the usual access point', () => {
    restored.resourceCountIs('AWS::EFS::FileSystem', 0);
    const targets = Object.values(resources(restored, 'AWS::EFS::MountTarget'));
    assert.equal(targets.length, 3);
    for (const t of targets) assert.equal(t.Properties.FileSystemId, FS);
    restored.hasResourceProperties('AWS::EFS::AccessPoint', {
      FileSystemId: FS,
      PosixUser: { Uid: '33', Gid: '33' },
      RootDirectory: Match.objectLike({ Path: '/moodledata' }),
    });
    restored.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Volumes: [Match.objectLike({ Name: 'moodledata', EFSVolumeConfiguration: Match.objectLike({ FilesystemId: FS, TransitEncryption: 'ENABLED' }) })],
    });
  });
  test('before migrate runs, a function on the file system moves moodledata out of the restore folder', () => {
    const [layoutId, layout] = only(resources(restored, 'Custom::MoodledataLayout'));
    assert.equal(layout.Properties.FileSystemId, FS);
    restored.hasResourceProperties('AWS::Lambda::Function', {
      FileSystemConfigs: [{ Arn: Match.anyValue(), LocalMountPath: '/mnt/restored' }],
      Environment: { Variables: { MOUNT: '/mnt/restored', TARGET: 'moodledata', PREFIX: 'aws-backup-restore_' } },
    });
    restored.hasResourceProperties('AWS::EFS::AccessPoint', { FileSystemId: FS, PosixUser: { Uid: '0', Gid: '0' }, RootDirectory: { Path: '/' } });
    const [, migrate] = only(resources(restored, 'Custom::MoodleMigrate'));
    assert.ok(migrate.DependsOn?.includes(layoutId), `migrate waits for the layout (DependsOn: ${migrate.DependsOn})`);
  });
  test('the restored site is backed up by its own plan too', () => {
    const [, selection] = only(resources(restored, 'AWS::Backup::BackupSelection'));
    assert.match(JSON.stringify(selection.Properties.BackupSelection.Resources), new RegExp(`file-system/${FS}`));
  });
});

describe('the layout function', () => {
  const run = async (root: string, type = 'Create') => {
    const exports: { handler?: (e: unknown) => Promise<{ PhysicalResourceId: string; Data?: Record<string, string> }> } = {};
    const env = { MOUNT: root, TARGET: 'moodledata', PREFIX: 'aws-backup-restore_' };
    new Function('require', 'exports', 'process', LAYOUT_HANDLER)(createRequire(import.meta.url), exports, { env });
    return exports.handler!({ RequestType: type, PhysicalResourceId: 'x' });
  };
  const restoredRoot = (folders: string[]) => {
    const root = tempDir('layout-');
    for (const f of folders) {
      mkdirSync(join(root, f, 'moodledata', 'filedir'), { recursive: true });
      writeFileSync(join(root, f, 'moodledata', 'filedir', 'probe'), f);
    }
    return root;
  };
  test('moves moodledata to the root, removes the empty restore folder, and does nothing the second time', async () => {
    const root = restoredRoot(['aws-backup-restore_2026-11-30T02-31-00-123Z']);
    const first = await run(root);
    assert.equal(first.Data?.From, 'aws-backup-restore_2026-11-30T02-31-00-123Z');
    assert.deepEqual(readdirSync(root), ['moodledata']);
    assert.deepEqual(readdirSync(join(root, 'moodledata', 'filedir')), ['probe']);
    assert.equal((await run(root, 'Update')).Data?.From, 'in place');
  });
  test('refuses a file system with no restore folder, or with two', async () => {
    await assert.rejects(run(restoredRoot([])), /expected one aws-backup-restore_\* folder holding moodledata .* found none/);
    await assert.rejects(run(restoredRoot(['aws-backup-restore_a', 'aws-backup-restore_b'])), /found aws-backup-restore_a, aws-backup-restore_b/);
  });
  test('a delete leaves the files alone', async () => {
    const root = restoredRoot(['aws-backup-restore_a']);
    await run(root, 'Delete');
    assert.deepEqual(readdirSync(root), ['aws-backup-restore_a']);
  });
});
