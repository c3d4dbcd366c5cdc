// Two buckets: the access-log bucket (ALB, CloudFront and S3 server access logs) and the config
// bucket the image loads its bundle from at start. A bundle is uploaded under a prefix named by its
// digest (s3://bucket/bundle/<sha256>), and the task definitions name that prefix and digest: a
// changed bundle is a new task definition (the services roll), a running definition's tasks (a
// scale-out, a rollback) keep loading the bundle they were defined with, and a task refuses a
// bundle whose files differ. Older bundles stay (a few KiB each) for rollbacks.
// Both buckets: encrypted, public access blocked, TLS-only, RETAIN.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { folderDigest } from '../../contract/bundle.ts';

export const BUNDLE_PREFIX = 'bundle';

export interface LogBucketProps {
  /** Days access logs are kept. @default 90 */
  readonly expireAfterDays?: number;
  /** Empty and delete the bucket with the stack. @default false (RETAIN) */
  readonly deleteWithStack?: boolean;
}

export class LogBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: LogBucketProps = {}) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED, // ALB access logs support SSE-S3 only
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // CloudFront standard logs are delivered with an ACL.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(props.expireAfterDays ?? 90), abortIncompleteMultipartUploadAfter: Duration.days(7) }],
      removalPolicy: props.deleteWithStack ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      autoDeleteObjects: props.deleteWithStack ?? false,
    });
  }
}

export interface ConfigBucketProps {
  /** Bucket receiving this bucket's server access logs. */
  readonly accessLogs: s3.IBucket;
  /** A local folder uploaded as the bundle. @default - no bundle */
  readonly bundleDirectory?: string;
  /** Empty and delete the bucket with the stack. @default false (RETAIN) */
  readonly deleteWithStack?: boolean;
}

export interface UploadedBundle {
  /** MOODLE_CONFIG_BUNDLE: s3://bucket/bundle/<digest>. */
  readonly uri: string;
  /** MOODLE_CONFIG_BUNDLE_SHA256. */
  readonly digest: string;
  /** The upload: whatever loads the bundle must come after it. */
  readonly deployment: s3deploy.BucketDeployment;
}

export class ConfigBucket extends Construct {
  readonly bucket: s3.Bucket;
  /** The bundle, when the spec has one. */
  readonly bundle?: UploadedBundle;

  constructor(scope: Construct, id: string, props: ConfigBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 's3/config/',
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(90) }],
      removalPolicy: props.deleteWithStack ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      autoDeleteObjects: props.deleteWithStack ?? false,
    });
    if (props.bundleDirectory) {
      const digest = folderDigest(props.bundleDirectory);
      const deployment = new s3deploy.BucketDeployment(this, 'Bundle', {
        sources: [s3deploy.Source.asset(props.bundleDirectory)],
        destinationBucket: this.bucket,
        destinationKeyPrefix: `${BUNDLE_PREFIX}/${digest}/`,
        // Tasks of the running definitions (scale-out, rollback) still load earlier bundles.
        prune: false,
        retainOnDelete: true,
        memoryLimit: 512,
      });
      this.bundle = { uri: `s3://${this.bucket.bucketName}/${BUNDLE_PREFIX}/${digest}`, digest, deployment };
    }
  }

  /** Lets a role read the bundle (objects under the bundle prefix, and list that prefix). */
  grantReadBundle(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [this.bucket.arnForObjects(`${BUNDLE_PREFIX}/*`)],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${BUNDLE_PREFIX}/*`, BUNDLE_PREFIX] } },
      }),
    );
  }
}
