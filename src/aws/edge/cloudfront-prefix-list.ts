// The id of the AWS-managed prefix list of CloudFront's origin-facing addresses differs per region,
// and ec2.PrefixList.fromLookup needs credentials at synth. This reads it at deploy time instead.
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../nag.ts';

export const CLOUDFRONT_PREFIX_LIST = 'com.amazonaws.global.cloudfront.origin-facing';

export class CloudFrontPrefixList extends Construct {
  /** The prefix list id, resolved at deploy time. */
  readonly prefixListId: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const call: cr.AwsSdkCall = {
      service: 'EC2',
      action: 'describeManagedPrefixLists',
      parameters: { Filters: [{ Name: 'prefix-list-name', Values: [CLOUDFRONT_PREFIX_LIST] }] },
      physicalResourceId: cr.PhysicalResourceId.of(CLOUDFRONT_PREFIX_LIST),
      outputPaths: ['PrefixLists.0.PrefixListId'],
    };
    const lookup = new cr.AwsCustomResource(this, 'Lookup', {
      onCreate: call,
      onUpdate: call,
      installLatestAwsSdk: false,
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
    });
    this.prefixListId = lookup.getResponseField('PrefixLists.0.PrefixListId');
    acknowledgeFinding(lookup, {
      rule: 'IAM5',
      finding: /^Resource::\*$/,
      reason: 'ec2:DescribeManagedPrefixLists does not support resource-level permissions; the policy allows only that read-only call.',
    });
  }
}
