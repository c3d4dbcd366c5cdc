// moodledata, the one shared folder: EFS (Elastic throughput, encrypted, a mount target per AZ,
// an access point owned by the image's uid/gid, TLS + IAM authorised mounts, RETAIN; backed up by
// the stack's one backup plan, backups.ts) or, as an option for EC2 capacity, an NFS server you
// already run. A file system restored from a backup is restored-files.ts.
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, type IDependable } from 'constructs';
import { RUNTIME_IMAGE } from '../../contract/image.ts';

export const SHARED_VOLUME = 'moodledata';
/** Where moodledata lives in the file system: the access point's root. */
export const MOODLEDATA_PATH = '/moodledata';

/** What a task definition needs from the shared storage. */
export interface ISharedFiles {
  /** The task volume named SHARED_VOLUME. */
  readonly volume: ecs.Volume;
  /** Lets the tasks' role mount the volume read-write. */
  grantMount(grantee: iam.IGrantable): void;
  /** Lets a tier reach the storage over NFS. */
  allowFrom(peer: ec2.IConnectable): void;
}

export interface EfsSharedFilesProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

export class EfsSharedFiles extends Construct implements ISharedFiles {
  readonly fileSystem: efs.FileSystem;
  readonly accessPoint: efs.AccessPoint;
  readonly volume: ecs.Volume;
  /** Done when the mount targets are available: migrate must wait for it. */
  readonly ready: IDependable;

  constructor(scope: Construct, id: string, props: EfsSharedFilesProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.fileSystem = new efs.FileSystem(this, 'FileSystem', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroup: new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: props.vpc,
        description: 'EFS moodledata: NFS from the Moodle tasks only',
        allowAllOutbound: false,
      }),
      encrypted: true,
      performanceMode: efs.PerformanceMode.GENERAL_PURPOSE,
      throughputMode: efs.ThroughputMode.ELASTIC,
      lifecyclePolicy: efs.LifecyclePolicy.AFTER_30_DAYS,
      outOfInfrequentAccessPolicy: efs.OutOfInfrequentAccessPolicy.AFTER_1_ACCESS,
      enableAutomaticBackups: false, // the stack's backup plan (backups.ts), with our retention
      // Not CDK's default statement (ClientRootAccess + ClientWrite for any principal via a mount
      // target): the policy below only denies unencrypted access and allows nothing, so a mount
      // needs an IAM identity allowed by its own policy (the task role, through the access point).
      allowAnonymousAccess: true,
      removalPolicy,
    });
    this.fileSystem.addToResourcePolicy(denyUnencryptedMounts());
    ({ accessPoint: this.accessPoint, volume: this.volume } = moodledataAccess(this.fileSystem));
    this.ready = this.fileSystem.mountTargetsAvailable;
  }

  grantMount(grantee: iam.IGrantable): void {
    grantMountThrough(grantee, this.fileSystem, this.accessPoint);
  }

  allowFrom(peer: ec2.IConnectable): void {
    this.fileSystem.connections.allowDefaultPortFrom(peer, 'NFS from the Moodle tasks');
  }
}

/** The file system policy statement that refuses any access without TLS. */
export function denyUnencryptedMounts(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DenyUnencryptedMounts',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['*'],
    conditions: { Bool: { 'aws:SecureTransport': 'false' } },
  });
}

/**
 * The moodledata access point (owned by the image's uid/gid; a child of the file system, as
 * addAccessPoint makes it) and the task volume mounting it with TLS and IAM.
 */
export function moodledataAccess(fileSystem: efs.IFileSystem): { accessPoint: efs.AccessPoint; volume: ecs.Volume } {
  const owner = { uid: String(RUNTIME_IMAGE.uid), gid: String(RUNTIME_IMAGE.gid) };
  const accessPoint = new efs.AccessPoint(fileSystem, 'Moodledata', {
    fileSystem,
    path: MOODLEDATA_PATH,
    posixUser: owner,
    createAcl: { ownerUid: owner.uid, ownerGid: owner.gid, permissions: '750' },
  });
  const volume: ecs.Volume = {
    name: SHARED_VOLUME,
    efsVolumeConfiguration: {
      fileSystemId: fileSystem.fileSystemId,
      transitEncryption: 'ENABLED',
      authorizationConfig: { accessPointId: accessPoint.accessPointId, iam: 'ENABLED' },
    },
  };
  return { accessPoint, volume };
}

/** Lets `grantee` mount and write the file system, only through the access point. */
export function grantMountThrough(grantee: iam.IGrantable, fileSystem: efs.IFileSystem, accessPoint: efs.IAccessPoint): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      resources: [fileSystem.fileSystemArn],
      conditions: { StringEquals: { 'elasticfilesystem:AccessPointArn': accessPoint.accessPointArn } },
    }),
  );
}

export interface NfsSharedFilesProps {
  /** Host name or IP address of the NFS server. */
  readonly server: string;
  /** Exported path. @default "/" */
  readonly path?: string;
  /**
   * The NFS server's security group: `allowFrom` adds TCP 2049 from the peer to it.
   * @default - none: the server's owner allows the container instances (see docs/aws.md)
   */
  readonly serverSecurityGroupId?: string;
}

/**
 * An existing NFS server, mounted as a Docker volume (`local` driver, type nfs). Docker volumes
 * exist only on EC2 capacity (AWS: "Docker volumes are only supported when using the EC2 launch
 * type or external instances"); with awsvpc tasks they still work, because the Docker daemon of
 * the container instance mounts the export in the host's network namespace, from the instance's
 * own network interface and security group, not the task's ENI. So the NFS server must admit the
 * container instances: pass their security group to `allowFrom`.
 */
export class NfsSharedFiles extends Construct implements ISharedFiles {
  readonly volume: ecs.Volume;
  private readonly serverGroup?: ec2.ISecurityGroup;

  constructor(scope: Construct, id: string, props: NfsSharedFilesProps) {
    super(scope, id);
    if (props.serverSecurityGroupId) {
      this.serverGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'ServerSecurityGroup', props.serverSecurityGroupId, { allowAllOutbound: true });
    }
    this.volume = {
      name: SHARED_VOLUME,
      dockerVolumeConfiguration: {
        driver: 'local',
        scope: ecs.Scope.SHARED,
        autoprovision: true,
        driverOpts: { type: 'nfs', device: `:${props.path ?? '/'}`, o: `addr=${props.server},nfsvers=4.1,rw,hard,timeo=600,retrans=2,noresvport` },
      },
    };
  }

  grantMount(): void {
    // NFS authorises by network address; the server's exports decide.
  }

  /** `peer` must be the container instances (the host mounts the volume), not the tasks. */
  allowFrom(peer: ec2.IConnectable): void {
    this.serverGroup?.connections.allowFrom(peer, ec2.Port.tcp(2049), 'NFS from the ECS container instances (Docker mounts moodledata on the host)');
  }
}
