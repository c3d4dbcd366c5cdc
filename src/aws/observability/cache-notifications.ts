// ElastiCache events (ElastiCache:FailoverComplete, node replacement, maintenance) to the alarm
// e-mail. A node-based replication group publishes its events to the one SNS topic named in its
// NotificationTopicArn; AWS documents EventBridge delivery of ElastiCache service events for
// serverless caches, and for node-based clusters only their API calls (through CloudTrail), which
// an automatic failover is not. AWS documents two limits for that topic ("Event Notifications and
// Amazon SNS", "Managing ElastiCache Amazon SNS notifications"): it cannot be encrypted
// (ElastiCache marks an encrypted topic inactive), and its policy must admit publishing with the
// aws:SourceOwner condition key, not aws:SourceAccount. So these events get a topic of their own,
// next to the KMS-encrypted alarm topic; they carry event names and node ids, no data.
import { Aws, Stack } from 'aws-cdk-lib';
import type * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface CacheNotificationsProps {
  /** The replication groups whose events to publish (sessions and caches). */
  readonly replicationGroups: readonly elasticache.CfnReplicationGroup[];
  /** Address subscribed to the topic. @default - no subscription */
  readonly email?: string;
}

export class CacheNotifications extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: CacheNotificationsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: `${Stack.of(this).stackName} cache events`,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowElastiCachePublish',
        principals: [new iam.AnyPrincipal()],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'AWS:SourceOwner': Aws.ACCOUNT_ID } },
      }),
    );
    if (props.email) this.topic.addSubscription(new subs.EmailSubscription(props.email));
    for (const group of props.replicationGroups) group.notificationTopicArn = this.topic.topicArn;
  }
}
