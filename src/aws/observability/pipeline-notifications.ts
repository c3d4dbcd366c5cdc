// A failed execution of the image pipeline (its image build or its deploy: migrate, then roll) to
// the alarm topic, as a CodeStar notification rule. The rule lives in the main stack, next to the
// topic, and names the pipeline of the pipeline stack: the main stack already depends on the
// pipeline stack (it runs the pipeline's images), so the reference points the same way and adds no
// cycle. The alarm topic's key admits codestar-notifications.amazonaws.com (alarm-topic.ts).
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as notifications from 'aws-cdk-lib/aws-codestarnotifications';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface PipelineNotificationsProps {
  readonly pipeline: codepipeline.IPipeline;
  readonly topic: sns.ITopic;
}

export class PipelineNotifications extends Construct {
  readonly rule: notifications.NotificationRule;

  constructor(scope: Construct, id: string, props: PipelineNotificationsProps) {
    super(scope, id);
    this.rule = new notifications.NotificationRule(this, 'Failed', {
      source: props.pipeline,
      events: [codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_FAILED],
      targets: [props.topic],
      detailType: notifications.DetailType.BASIC,
    });
  }
}
