// moodledata from a backup: the EFS file system AWS Backup restored (a full restore to a new file
// system), imported into the stack, with the mount targets and security group a restore does not
// make. AWS Backup never restores to the root: the data lands in "aws-backup-restore_<time>/" at
// the root of the new file system, so the original /moodledata is at
// /aws-backup-restore_<time>/moodledata (AWS Backup developer guide, "Restore an Amazon EFS file
// system"). A custom resource moves it to /moodledata, where the usual access point expects it,
// before migrate runs; on a later deploy it finds /moodledata in place and does nothing.
// The file system is not the stack's: deleting the stack leaves it (as RETAIN would).
import { CustomResource, Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IDependable } from 'constructs';
import { acknowledgeFinding } from '../nag.ts';
import { grantMountThrough, MOODLEDATA_PATH, moodledataAccess, type ISharedFiles } from './shared-files.ts';

/** The folder a full EFS restore puts the file system's content in, at the root. */
export const RESTORE_FOLDER_PREFIX = 'aws-backup-restore_';
const MOUNT = '/mnt/restored';

// Node.js, CommonJS (index.handler). Idempotent; refuses anything but exactly one restore folder.
export const LAYOUT_HANDLER = `
const fs = require('node:fs');
const path = require('node:path');
exports.handler = async (event) => {
  const root = process.env.MOUNT, name = process.env.TARGET, prefix = process.env.PREFIX;
  const target = path.join(root, name);
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  if (fs.existsSync(target)) return { PhysicalResourceId: target, Data: { From: 'in place' } };
  const found = fs.readdirSync(root).filter((d) => d.startsWith(prefix) && fs.existsSync(path.join(root, d, name)));
  if (found.length !== 1) {
    throw new Error('expected one ' + prefix + '* folder holding ' + name + ' at the root of the restored file system, found ' + (found.join(', ') || 'none') +
      ': give aws.restore.fileSystemId a file system made by a full restore of a moodle-ha EFS recovery point to a new file system');
  }
  fs.renameSync(path.join(root, found[0], name), target);
  try { fs.rmdirSync(path.join(root, found[0])); } catch (e) { /* other restored items stay */ }
  return { PhysicalResourceId: target, Data: { From: found[0] } };
};
`;

export interface RestoredSharedFilesProps {
  readonly vpc: ec2.IVpc;
  /** Subnets for the mount targets (one per AZ) and the layout function. */
  readonly subnets: ec2.SubnetSelection;
  /** The file system AWS Backup restored. */
  readonly fileSystemId: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

export class RestoredSharedFiles extends Construct implements ISharedFiles {
  readonly fileSystem: efs.IFileSystem;
  readonly accessPoint: efs.AccessPoint;
  readonly volume: ecs.Volume;
  /** Done when the mount targets exist and moodledata is at /moodledata: migrate must wait for it. */
  readonly ready: IDependable;

  constructor(scope: Construct, id: string, props: RestoredSharedFilesProps) {
    super(scope, id);
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'EFS moodledata (restored): NFS from the Moodle tasks only',
      allowAllOutbound: false,
    });
    this.fileSystem = efs.FileSystem.fromFileSystemAttributes(this, 'FileSystem', { fileSystemId: props.fileSystemId, securityGroup });
    const mountTargets = props.vpc.selectSubnets(props.subnets).subnets.map(
      (subnet, i) =>
        new efs.CfnMountTarget(this, `MountTarget${i + 1}`, {
          fileSystemId: props.fileSystemId,
          subnetId: subnet.subnetId,
          securityGroups: [securityGroup.securityGroupId],
        }),
    );
    ({ accessPoint: this.accessPoint, volume: this.volume } = moodledataAccess(this.fileSystem));

    // The layout function mounts the file system's root as root (the restore folder and / are root's).
    const root = new efs.AccessPoint(this.fileSystem, 'Root', { fileSystem: this.fileSystem, path: '/', posixUser: { uid: '0', gid: '0' } });
    const fnSecurityGroup = new ec2.SecurityGroup(this, 'LayoutSecurityGroup', {
      vpc: props.vpc,
      description: 'moodledata layout function: NFS to the restored file system only',
      allowAllOutbound: false,
    });
    const fn = new lambda.Function(this, 'LayoutFunction', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(LAYOUT_HANDLER),
      description: 'moodle-ha: moves moodledata out of the AWS Backup restore folder of a restored file system',
      timeout: Duration.minutes(5),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [fnSecurityGroup],
      filesystem: lambda.FileSystem.fromEfsAccessPoint(root, MOUNT),
      environment: { MOUNT, TARGET: MOODLEDATA_PATH.replace(/^\//, ''), PREFIX: RESTORE_FOLDER_PREFIX },
      logGroup: new logs.LogGroup(this, 'LayoutLogs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH }),
    });
    // Root on the file system (not squashed), through its own access point only.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['elasticfilesystem:ClientRootAccess'],
        resources: [this.fileSystem.fileSystemArn],
        conditions: { StringEquals: { 'elasticfilesystem:AccessPointArn': root.accessPointArn } },
      }),
    );
    this.fileSystem.connections.allowDefaultPortFrom(fn, 'NFS from the moodledata layout function');
    fn.node.addDependency(...mountTargets);
    const provider = new cr.Provider(this, 'LayoutProvider', { onEventHandler: fn });
    this.ready = new CustomResource(this, 'Layout', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::MoodledataLayout',
      properties: { FileSystemId: props.fileSystemId },
    });

    acknowledgeFinding(fn, {
      rule: 'IAM4',
      finding: /AWSLambda(Basic|VPCAccess)ExecutionRole$/,
      reason: 'The layout function uses the AWS-managed policies for writing its own logs and attaching to the VPC (to reach the file system).',
    });
    acknowledgeFinding(fn, {
      rule: 'IAM5',
      finding: /^Resource::\*$/,
      reason:
        'CDK grants the function ClientMount on any file system but only through its root access point (an elasticfilesystem:AccessPointArn condition); ClientWrite is limited to the restored file system.',
    });
    acknowledgeFinding(provider, {
      rule: 'IAM4',
      finding: /AWSLambdaBasicExecutionRole$/,
      reason: 'The Provider framework role uses AWSLambdaBasicExecutionRole for writing its own logs only.',
    });
    acknowledgeFinding(provider, {
      rule: 'IAM5',
      finding: /^Resource::<.*LayoutFunction[0-9A-F]+\.Arn>:\*$/,
      reason: 'The Provider framework invokes any version of its own layout function, and nothing else.',
    });
  }

  grantMount(grantee: iam.IGrantable): void {
    grantMountThrough(grantee, this.fileSystem, this.accessPoint);
  }

  allowFrom(peer: ec2.IConnectable): void {
    this.fileSystem.connections.allowDefaultPortFrom(peer, 'NFS from the Moodle tasks');
  }
}
