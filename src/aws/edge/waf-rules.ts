// One AWS WAF rule set for both places a web ACL can sit: CloudFront (scope CLOUDFRONT, which
// must live in us-east-1) or the ALB (scope REGIONAL) when CloudFront is off. AWS managed rule
// groups (common, SQL injection, known bad inputs, IP reputation) and a per-IP rate limit.
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface MoodleWebAclProps {
  readonly scope: 'CLOUDFRONT' | 'REGIONAL';
  /** Requests one IP may send in 5 minutes before it is blocked. @default 3000 */
  readonly rateLimit?: number;
  /** Prefix of the CloudWatch metric names. */
  readonly metricPrefix: string;
}

export const MANAGED_RULE_GROUPS = [
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesSQLiRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
  'AWSManagedRulesAmazonIpReputationList',
] as const;

/**
 * Rules of the common set that Moodle trips in normal use, counted instead of blocked:
 * file uploads and course backups exceed 8 KB bodies, and rich-text posts carry HTML.
 */
export const COUNTED_COMMON_RULES = ['SizeRestrictions_BODY', 'CrossSiteScripting_BODY'] as const;

export class MoodleWebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: MoodleWebAclProps) {
    super(scope, id);
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `${props.metricPrefix}-${name}`,
    });
    const managed: wafv2.CfnWebACL.RuleProperty[] = MANAGED_RULE_GROUPS.map((name, i) => ({
      name,
      priority: 10 + i,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          ruleActionOverrides: name === 'AWSManagedRulesCommonRuleSet'
            ? COUNTED_COMMON_RULES.map((rule) => ({ name: rule, actionToUse: { count: {} } }))
            : undefined,
        },
      },
      visibilityConfig: visibility(name),
    }));
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: props.scope,
      defaultAction: { allow: {} },
      visibilityConfig: visibility('all'),
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 1,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: props.rateLimit ?? 3000, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          visibilityConfig: visibility('rate-limit'),
        },
        ...managed,
      ],
    });
  }
}
