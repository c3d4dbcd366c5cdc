// WAF logs of one web ACL to CloudWatch Logs. AWS WAF requires the log group name to start with
// "aws-waf-logs-", the group to be in the web ACL's region (us-east-1 for CloudFront's), and its
// ARN without the ":*" that CloudFormation's Arn attribute carries (AWS WAF developer guide,
// "Amazon CloudWatch Logs" under the logging destinations).
//
// Only requests worth reading are kept: every BLOCK, and requests a counted managed rule matched
// inside its Moodle scope (SQL, script or paths in authored content), so what WAF let through for
// Moodle to handle can be reviewed. Allowed traffic is dropped: at the stated peak (50 M requests
// a month, ~1.5 KB a record) logging everything would ingest ~75 GB, ~$38 a month; metrics and
// sampled requests still cover it. The Cookie and Authorization headers (Moodle session cookies,
// web service tokens) are redacted.
import { ArnFormat, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { countedRules } from './waf-scopes.ts';

/** AWS WAF only delivers to log groups whose name starts with this. */
export const WAF_LOG_GROUP_PREFIX = 'aws-waf-logs-';

/** Headers replaced by "REDACTED" in the logs: session cookies and tokens are secrets. */
export const REDACTED_HEADERS = ['cookie', 'authorization'] as const;

export interface WafLoggingProps {
  readonly webAcl: wafv2.CfnWebACL;
  /** Middle of the log group name, aws-waf-logs-<name>-<web ACL id>. */
  readonly name: string;
  readonly retention: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** CloudFormation's LoggingFilter (passed through as written, hence PascalCase). */
interface LoggingFilter {
  readonly DefaultBehavior: 'KEEP' | 'DROP';
  readonly Filters: readonly {
    readonly Behavior: 'KEEP' | 'DROP';
    readonly Requirement: 'MEETS_ALL' | 'MEETS_ANY';
    readonly Conditions: readonly (
      | { readonly ActionCondition: { readonly Action: string } }
      | { readonly LabelNameCondition: { readonly LabelName: string } }
    )[];
  }[];
}

/** Keep blocked requests and the ones a counted rule matched inside its scope; drop the rest. */
export function wafLoggingFilter(): LoggingFilter {
  return {
    DefaultBehavior: 'DROP',
    Filters: [
      {
        Behavior: 'KEEP',
        Requirement: 'MEETS_ANY',
        Conditions: [
          { ActionCondition: { Action: 'BLOCK' } },
          ...countedRules()
            .filter((d) => d.action.logCounted)
            .map((d) => ({ LabelNameCondition: { LabelName: d.label } })),
        ],
      },
    ],
  };
}

export class WafLogging extends Construct {
  readonly logGroup: logs.LogGroup;
  readonly configuration: wafv2.CfnLoggingConfiguration;

  constructor(scope: Construct, id: string, props: WafLoggingProps) {
    super(scope, id);
    // The web ACL id in the name: a retained group of an earlier deployment never blocks a new one.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: Fn.join('', [`${WAF_LOG_GROUP_PREFIX}${props.name}-`, props.webAcl.attrId]),
      retention: props.retention,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const logGroupArn = Stack.of(this).formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: this.logGroup.logGroupName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.configuration = new wafv2.CfnLoggingConfiguration(this, 'Config', {
      resourceArn: props.webAcl.attrArn,
      logDestinationConfigs: [logGroupArn],
      redactedFields: REDACTED_HEADERS.map((name) => ({ singleHeader: { Name: name } })),
      loggingFilter: wafLoggingFilter(),
    });
    this.configuration.node.addDependency(this.logGroup);
  }
}
