// Acknowledgements for the helper functions CDK itself adds once per stack (custom resource
// providers shared by every construct that needs them), each with its reason.
import type { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { acknowledge, acknowledgeFinding } from './nag.ts';

interface Helper {
  readonly id: RegExp;
  readonly what: string;
  /** IAM5 findings it has, with why they are needed. */
  readonly wildcards?: { readonly finding: RegExp; readonly why: string };
  /** Its runtime is not the newest cdk-nag knows. */
  readonly olderRuntime?: boolean;
}

const HELPERS: readonly Helper[] = [
  {
    id: /^LogRetention[0-9a-f]{32}$/,
    what: 'CDK log-retention helper (sets retention on Aurora log groups)',
    wildcards: {
      finding: /^Resource::\*$/,
      why: 'logs:PutRetentionPolicy/DeleteRetentionPolicy on log groups created by RDS, whose names are known only at deploy time',
    },
  },
  {
    id: /^AWS679f53fac002430cb0da5b7982bd2287$/,
    what: 'CDK AwsCustomResource helper (CloudFront prefix list lookup, instance refresh)',
  },
  {
    id: /^Custom::CDKBucketDeployment[0-9a-fA-F]{32}/,
    what: 'CDK BucketDeployment helper (uploads the config bundle)',
    olderRuntime: true,
    wildcards: {
      finding: /^(Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*|Resource::arn:.*:s3:::cdk-[a-z0-9]+-assets-.*\/\*|Resource::<Config.*\.Arn>\/\*)$/,
      why: 'CDK grants it S3 read on the staged bundle asset and write/delete on the config bucket objects so it can copy and prune the bundle',
    },
  },
];

export function acknowledgeFrameworkResources(stack: Stack): void {
  for (const child of stack.node.children) {
    const helper = HELPERS.find((h) => h.id.test(child.node.id));
    if (helper) acknowledgeHelper(child, helper);
  }
}

function acknowledgeHelper(c: IConstruct, h: Helper): void {
  acknowledgeFinding(c, {
    rule: 'IAM4',
    finding: /AWSLambdaBasicExecutionRole$/,
    reason: `${h.what}: AWSLambdaBasicExecutionRole only lets it write its own logs.`,
  });
  if (h.olderRuntime)
    acknowledge(c, 'L1', `${h.what}: CDK pins the runtime of its own helper function (it bundles the AWS CLI layer for it); it moves with aws-cdk-lib.`);
  if (h.wildcards) acknowledgeFinding(c, { rule: 'IAM5', finding: h.wildcards.finding, reason: `${h.what}: ${h.wildcards.why}.` });
}
