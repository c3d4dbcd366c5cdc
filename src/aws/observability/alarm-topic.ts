// An SNS topic for alarms, scaling and deployment events. Encrypted with its own KMS key,
// because the AWS-managed SNS key cannot be used by CloudWatch alarms, EventBridge or Auto Scaling.
import { Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** Services that may publish to a topic and use its key. */
export const TOPIC_PUBLISHERS = ['cloudwatch.amazonaws.com', 'events.amazonaws.com', 'codestar-notifications.amazonaws.com'] as const;

export interface AlarmTopicProps {
  /** Address subscribed to the topic (the subscription must be confirmed from the e-mail). @default - no subscription */
  readonly email?: string;
  /** Services that publish to the topic. @default TOPIC_PUBLISHERS (CloudWatch alarms, EventBridge, CodeStar Notifications) */
  readonly publishers?: readonly (typeof TOPIC_PUBLISHERS)[number][];
  /** Let EC2 Auto Scaling (its service-linked role) publish group notifications. @default true */
  readonly autoScalingNotifications?: boolean;
}

export class AlarmTopic extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts the ${Stack.of(this).stackName} alarm topic`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const account = Aws.ACCOUNT_ID;
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowServicesToPublishAlarms',
        principals: (props.publishers ?? TOPIC_PUBLISHERS).map((s) => new iam.ServicePrincipal(s)),
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // a key policy's "*" is this key
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    if (props.autoScalingNotifications ?? true)
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowAutoScalingNotifications',
          // By condition, not as a principal: the service-linked role may not exist before the first group.
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: {
            ArnEquals: {
              'aws:PrincipalArn': `arn:${Aws.PARTITION}:iam::${account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
            },
          },
        }),
      );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: `${Stack.of(this).stackName} alarms and events`,
      masterKey: this.key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    if (props.email) this.topic.addSubscription(new subs.EmailSubscription(props.email));
  }
}
