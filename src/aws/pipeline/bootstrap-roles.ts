// The CDK bootstrap roles the pipeline's deploy step may assume, named one by one: `cdk deploy`
// reads the bootstrap version and drives CloudFormation through the deploy role, uploads file
// assets (templates, Lambda code) and image assets through the publishing roles, and resolves
// context lookups through the lookup role. It never needs the CloudFormation execution role:
// CloudFormation assumes that one itself (it is passed by the deploy role).
import { Aws } from 'aws-cdk-lib';

/** The default bootstrap qualifier (`cdk bootstrap` without --qualifier). */
export const BOOTSTRAP_QUALIFIER = 'hnb659fds';

/** Kinds of bootstrap role `cdk deploy` assumes, as they appear in the role names. */
export const DEPLOY_ROLE_KINDS = ['deploy', 'file-publishing', 'image-publishing', 'lookup'] as const;

/** cdk-<qualifier>-<kind>-role-<account>-<region> for each kind and region. */
export function bootstrapRoleArns(regions: readonly string[], qualifier = BOOTSTRAP_QUALIFIER): string[] {
  return regions.flatMap((region) =>
    DEPLOY_ROLE_KINDS.map((kind) => `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/cdk-${qualifier}-${kind}-role-${Aws.ACCOUNT_ID}-${region}`),
  );
}
