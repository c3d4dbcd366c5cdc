// ElastiCache (Valkey or Redis OSS), cluster mode off: a primary and replicas in other AZs with
// Multi-AZ automatic failover, TLS in transit (required), AUTH token generated in Secrets Manager,
// encryption at rest. Two of them per site, by what they may lose under memory pressure:
//  - sessions (and their locks): never evict (noeviction). An evicted session logs its user out;
//    a full server refuses new sessions instead, loudly (an alarm), and logs nobody out.
//  - caches (Moodle's MUC application caches; its session caches are in the sessions): evict the least recently used key of
//    any kind (allkeys-lru): a cache miss is rebuilt from the database.
// Neither holds what a restore would need, so no snapshot is kept when one is deleted.
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';

/** Not 6379: AwsSolutions-AEC5 asks for a non-default port, and the image reads MOODLE_REDIS_PORT. */
export const CACHE_PORT = 6380;

/** What a replication group holds, and so what its memory policy must be. */
export type CacheRole = 'sessions' | 'caches';

export const EVICTION_POLICY: Readonly<Record<CacheRole, string>> = { sessions: 'noeviction', caches: 'allkeys-lru' };

export interface CacheProps {
  /** What the group holds: its eviction policy follows. */
  readonly role: CacheRole;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** Zones for the primary (first) and replicas (in turn). */
  readonly availabilityZones: readonly string[];
  /** @default "valkey" */
  readonly engine?: 'valkey' | 'redis';
  /** @default "cache.t4g.medium" */
  readonly nodeType?: string;
  /** Replicas of the primary; 0 means one node, no failover. @default 1 */
  readonly replicas?: number;
  /** Replication group id (at most 40 characters). @default - generated */
  readonly replicationGroupId?: string;
}

export class Cache extends Construct implements ec2.IConnectable {
  readonly replicationGroup: elasticache.CfnReplicationGroup;
  readonly authToken: secretsmanager.Secret;
  readonly connections: ec2.Connections;
  readonly securityGroup: ec2.SecurityGroup;
  readonly port = CACHE_PORT;
  /** maxmemory-policy of the group's parameter group. */
  readonly evictionPolicy: string;
  /** Member cluster ids ("<group>-001", …), the dimension of ElastiCache's node metrics. */
  readonly memberClusterIds: string[];

  constructor(scope: Construct, id: string, props: CacheProps) {
    super(scope, id);
    const replicas = props.replicas ?? 1;
    const engine = props.engine ?? 'valkey';
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${engine} (${props.role}): TLS from the Moodle tasks only`,
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup], defaultPort: ec2.Port.tcp(CACHE_PORT) });
    this.authToken = new secretsmanager.Secret(this, 'AuthToken', {
      description: `AUTH token of the ${engine} replication group for ${props.role} (${props.role === 'sessions' ? 'MOODLE_REDIS_PASSWORD' : 'MOODLE_CACHE_REDIS_PASSWORD'})`,
      // ElastiCache allows 16-128 printable characters without punctuation such as @ " /.
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'Subnets', {
      description: 'Moodle cache subnets, one per AZ',
      subnetIds: props.vpc.selectSubnets(props.subnets).subnetIds,
    });
    const groupId = props.replicationGroupId;
    this.evictionPolicy = EVICTION_POLICY[props.role];
    const parameters = new elasticache.CfnParameterGroup(this, 'Parameters', {
      cacheParameterGroupFamily: engine === 'valkey' ? 'valkey8' : 'redis7',
      description: `Moodle ${props.role}: maxmemory-policy ${this.evictionPolicy}`,
      properties: { 'maxmemory-policy': this.evictionPolicy },
    });
    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupId: groupId,
      replicationGroupDescription: props.role === 'sessions' ? 'Moodle sessions and their locks (never evicted)' : 'Moodle MUC application caches (LRU)',
      engine,
      engineVersion: engine === 'valkey' ? '8.0' : '7.1',
      cacheParameterGroupName: parameters.ref,
      cacheNodeType: props.nodeType ?? 'cache.t4g.medium',
      numCacheClusters: 1 + replicas,
      automaticFailoverEnabled: replicas > 0,
      multiAzEnabled: replicas > 0,
      preferredCacheClusterAZs: Array.from({ length: 1 + replicas }, (_, i) => props.availabilityZones[i % props.availabilityZones.length]!),
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      port: CACHE_PORT,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      atRestEncryptionEnabled: true,
      authToken: this.authToken.secretValue.unsafeUnwrap(), // a {{resolve:secretsmanager}} reference, not the value
      snapshotRetentionLimit: 1,
      autoMinorVersionUpgrade: true,
      preferredMaintenanceWindow: 'sun:04:00-sun:05:00',
      snapshotWindow: '02:00-03:00',
    });
    this.replicationGroup.applyRemovalPolicy(RemovalPolicy.DESTROY);
    this.memberClusterIds = Array.from({ length: 1 + replicas }, (_, i) => `${groupId ?? this.replicationGroup.ref}-00${i + 1}`);

    acknowledge(
      this.authToken,
      'SMG4',
      'The AUTH token reaches tasks as an ECS secret at task start; rotating it needs the ElastiCache ROTATE strategy plus a redeploy, done by hand (docs/aws.md).',
    );
    if (replicas === 0) {
      acknowledge(
        this.replicationGroup,
        'AEC4',
        'Small profile: one cache node to keep cost down; losing it logs users out until ECS reconnects to the replacement node. Production requires replicas >= 1.',
      );
    }
  }
}
