// Aurora MySQL 3: a writer and readers pinned to other AZs (provisioned or Serverless v2),
// encrypted, TLS required by the cluster parameter group, backups with point-in-time restore,
// credentials generated into Secrets Manager, Performance Insights, and the error, slow query and
// audit logs exported to CloudWatch Logs (each one switched on by its parameters). Deleting the
// stack leaves a final snapshot. Created empty, or from a cluster snapshot (a restore: the
// snapshot's data, encryption and user, with a new generated password).
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';

export const DATABASE_NAME = 'moodle';
export const DATABASE_USER = 'moodle';
/** Not 3306: AwsSolutions-RDS11 asks for a non-default port, and the image reads MOODLE_DB_PORT. */
export const DATABASE_PORT = 3307;

/** Queries slower than this go to the slow query log. */
export const SLOW_QUERY_SECONDS = 2;
/**
 * What the audit log records: schema changes (QUERY_DDL: CREATE, ALTER, DROP, as an upgrade makes
 * them) and privilege changes (QUERY_DCL: GRANT, REVOKE). Not CONNECT: PHP opens a connection per
 * request, so every page view would be two audit lines; not QUERY/QUERY_DML: every statement.
 */
export const AUDIT_EVENTS = ['QUERY_DDL', 'QUERY_DCL'] as const;
/**
 * Logs exported to CloudWatch Logs. Not "general": general_log (every statement) stays off, and
 * an export of a log that is off is an empty log group.
 */
export const EXPORTED_LOGS = ['error', 'slowquery', 'audit'] as const;

/**
 * Performance Insights (Database Insights) works on every Aurora MySQL class but db.t2, db.t3,
 * db.t4g.micro and db.t4g.small (AWS: "Amazon Aurora DB engine, Region, and instance class support
 * for Database Insights"); Serverless v2 supports it.
 */
export function supportsPerformanceInsights(instanceClass: string): boolean {
  return !/^db\.(t2|t3)\.|^db\.t4g\.(micro|small)$/.test(instanceClass);
}

export interface DatabaseProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** Zones for the writer (first) and the readers (the others, in turn). */
  readonly availabilityZones: readonly string[];
  /** provisioned instances or Serverless v2. @default "provisioned" */
  readonly engine?: 'provisioned' | 'serverless';
  /** Instance class (provisioned). @default "db.r6g.large" */
  readonly instanceClass?: string;
  /** Serverless v2 capacity range in ACUs. @default 0.5 to 16 */
  readonly minCapacity?: number;
  readonly maxCapacity?: number;
  /** Readers, each in another AZ than the writer when possible. @default 1 */
  readonly readers?: number;
  /** Automated backup retention (point-in-time restore window). @default Duration.days(14) */
  readonly backupRetention?: Duration;
  /** @default true */
  readonly deletionProtection?: boolean;
  /** What happens to the cluster when it leaves the stack. @default RemovalPolicy.SNAPSHOT */
  readonly removalPolicy?: RemovalPolicy;
  /** Retention of the exported database logs. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Cluster identifier. @default - generated */
  readonly clusterIdentifier?: string;
  /** ARN of a cluster snapshot to create the cluster from. @default - a new, empty database */
  readonly snapshotIdentifier?: string;
}

export class Database extends Construct implements ec2.IConnectable {
  readonly cluster: rds.DatabaseCluster | rds.DatabaseClusterFromSnapshot;
  readonly secret: secretsmanager.ISecret;
  readonly connections: ec2.Connections;
  readonly securityGroup: ec2.SecurityGroup;
  readonly port = DATABASE_PORT;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const serverless = (props.engine ?? 'provisioned') === 'serverless';
    const azs = props.availabilityZones;
    const instanceClass = props.instanceClass ?? 'db.r6g.large';
    const instanceType = new ec2.InstanceType(instanceClass.replace(/^db\./, ''));
    const engine = rds.DatabaseClusterEngine.auroraMysql({ version: rds.AuroraMysqlEngineVersion.VER_3_10_3 });
    // slow_query_log, long_query_time and log_output are instance-level parameters in Aurora MySQL
    // (AWS: "Aurora MySQL configuration parameters"): one DB parameter group for every instance.
    const instanceParameters = new rds.ParameterGroup(this, 'InstanceParameters', {
      engine,
      description: 'Moodle instances: slow query log to a file (exported to CloudWatch Logs)',
      parameters: { slow_query_log: '1', long_query_time: String(SLOW_QUERY_SECONDS), log_output: 'FILE' },
    });
    // Performance Insights on every instance, 7 days of history (the free tier), where the class allows it.
    const instanceOptions = {
      publiclyAccessible: false,
      parameterGroup: instanceParameters,
      enablePerformanceInsights: serverless || supportsPerformanceInsights(instanceClass),
    };
    const instance = (name: string, az: string, reader: boolean) =>
      serverless
        ? reader
          ? rds.ClusterInstance.serverlessV2(name, { ...instanceOptions, availabilityZone: az, scaleWithWriter: true })
          : rds.ClusterInstance.serverlessV2(name, { ...instanceOptions, availabilityZone: az })
        : rds.ClusterInstance.provisioned(name, { ...instanceOptions, instanceType, availabilityZone: az });
    const readers = Array.from({ length: props.readers ?? 1 }, (_, i) => instance(`Reader${i + 1}`, azs[(i + 1) % azs.length]!, true));

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Aurora: MySQL from the Moodle tasks only',
      allowAllOutbound: false,
    });
    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'Moodle: TLS required, utf8mb4, audit of schema and privilege changes',
      parameters: {
        require_secure_transport: 'ON',
        character_set_server: 'utf8mb4',
        collation_server: 'utf8mb4_unicode_ci',
        // Advanced Auditing (cluster-level parameters): the "audit" export is empty without them.
        server_audit_logging: '1',
        server_audit_events: AUDIT_EVENTS.join(','),
      },
    });
    const common = {
      engine,
      clusterIdentifier: props.clusterIdentifier,
      port: DATABASE_PORT,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.securityGroup],
      writer: instance('Writer', azs[0]!, false),
      readers,
      serverlessV2MinCapacity: serverless ? (props.minCapacity ?? 0.5) : undefined,
      serverlessV2MaxCapacity: serverless ? (props.maxCapacity ?? 16) : undefined,
      parameterGroup,
      iamAuthentication: true,
      backup: { retention: props.backupRetention ?? Duration.days(14), preferredWindow: '01:00-02:00' },
      preferredMaintenanceWindow: 'sun:03:00-sun:04:00',
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.SNAPSHOT,
      copyTagsToSnapshot: true,
      cloudwatchLogsExports: [...EXPORTED_LOGS],
      cloudwatchLogsRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    } satisfies rds.DatabaseClusterProps;
    this.cluster = props.snapshotIdentifier
      ? // The database, the "moodle" user and the encryption come from the snapshot (CloudFormation
        // takes StorageEncrypted from it); the user gets a new generated password.
        new rds.DatabaseClusterFromSnapshot(this, 'Cluster', {
          ...common,
          snapshotIdentifier: props.snapshotIdentifier,
          snapshotCredentials: rds.SnapshotCredentials.fromGeneratedSecret(DATABASE_USER),
        })
      : new rds.DatabaseCluster(this, 'Cluster', {
          ...common,
          credentials: rds.Credentials.fromGeneratedSecret(DATABASE_USER),
          defaultDatabaseName: DATABASE_NAME,
          storageEncrypted: true,
        });
    this.secret = this.cluster.secret!;
    this.connections = this.cluster.connections;

    if (props.snapshotIdentifier) {
      // CDK's snapshotCredentials: a snapshot's user keeps its name (MasterUsername may not be given
      // with SnapshotIdentifier) and gets a new password; the template check does not know this case.
      Validations.of(this.cluster).acknowledge({
        id: 'CloudFormation-Validate::F3021',
        reason: 'Restoring from a snapshot: the user name comes from the snapshot and may not be given; only the new password is.',
      });
      acknowledge(
        this.cluster,
        'RDS2',
        "Created from a snapshot of the site's own cluster, which is encrypted: RDS restores it encrypted with the snapshot's key (CloudFormation takes StorageEncrypted from the snapshot and refuses it here).",
      );
    }
    acknowledge(
      this.cluster.node.findChild(props.snapshotIdentifier ? 'SnapshotSecret' : 'Secret'),
      'SMG4',
      'The password reaches tasks as an ECS secret at task start; rotating it without a redeploy would lock out every running web task. Rotate with a deploy (docs/aws.md).',
    );
    acknowledge(
      this.cluster,
      'RDS14',
      'Backtrack is not used: recovery is point-in-time restore from the automated backups, which does not rewind the live cluster under running tasks.',
    );
    if (!(props.deletionProtection ?? true)) {
      acknowledge(
        this.cluster,
        'RDS10',
        'Deletion protection is off only in the small profile or during `destroy --delete-data`; the cluster still leaves a final snapshot unless data deletion was asked for.',
      );
    }
  }
}
