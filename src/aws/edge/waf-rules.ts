// One AWS WAF web ACL for both places it can sit: CloudFront (scope CLOUDFRONT, which must live in
// us-east-1) or the ALB (scope REGIONAL) when CloudFront is off. The rules are built from the
// table in waf-scopes.ts (waf-acl-rules.ts): AWS managed rule groups, scoped to Moodle's scripts
// where Moodle trips them in normal use, per-IP rate limits with campus ranges, and logging.
import { Fn, type RemovalPolicy } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { DEFAULT_CAMPUS_RATE_LIMIT } from '../../spec/aws.ts';
import { parseCidr, type Cidr } from '../../spec/cidr.ts';
import { moodleWafRules } from './waf-acl-rules.ts';
import { WafLogging } from './waf-logging.ts';
import { webAclCapacity, WCU_INCLUDED } from './waf-statements.ts';

export { MANAGED_RULE_GROUPS } from './waf-scopes.ts';
export { RATE_LIMIT_RULES } from './waf-acl-rules.ts';

export type WebAclScope = 'CLOUDFRONT' | 'REGIONAL';

export interface MoodleWebAclProps {
  readonly scope: WebAclScope;
  /** Requests one IP may send in 5 minutes before it is blocked (static files not counted). @default 3000 */
  readonly rateLimit?: number;
  /** Public egress CIDR blocks (IPv4 and IPv6) of campuses behind one NAT. @default - none */
  readonly campusRanges?: readonly string[];
  /** Requests one campus address may send in 5 minutes. @default 50000 */
  readonly campusRateLimit?: number;
  /** Prefix of the CloudWatch metric names. */
  readonly metricPrefix: string;
  /** Middle of the WAF log group's name: aws-waf-logs-<logName>-<web ACL id>. @default - metricPrefix */
  readonly logName?: string;
  /** Retention of the WAF logs. */
  readonly logRetention: logs.RetentionDays;
  /** Removal policy of the WAF log group. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Where web ACL data is stored (logs, sampled requests), these are replaced by "REDACTED": session
 * cookies and Authorization headers, the tokens Moodle puts in query strings (web service and file
 * tokens, sesskey), and request bodies (passwords on the login form, students' answers) in the
 * rule match details. Log redaction alone would leave them in the sampled requests.
 */
export const DATA_PROTECTION: wafv2.CfnWebACL.DataProtectProperty[] = [
  { field: { fieldType: 'SINGLE_HEADER', fieldKeys: ['cookie', 'authorization'] }, action: 'SUBSTITUTION' },
  { field: { fieldType: 'SINGLE_QUERY_ARGUMENT', fieldKeys: ['token', 'wstoken', 'sesskey'] }, action: 'SUBSTITUTION' },
  { field: { fieldType: 'BODY' }, action: 'SUBSTITUTION' },
];

export class MoodleWebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly scope: WebAclScope;
  /** The web ACL's ARN. */
  readonly webAclArn: string;
  /** The web ACL's id (wafv2 GetWebACL / UpdateWebACL take Name, Id and Scope). */
  readonly webAclId: string;
  /** The web ACL's name (CloudFormation generates it; read from its Ref, "name|id|scope"). */
  readonly webAclName: string;
  /** Capacity the rules use, from AWS's documented costs (a web ACL includes 1,500). */
  readonly capacity: number;
  /** Campus IP sets, one per address family in use. */
  readonly campusIpSets: readonly wafv2.CfnIPSet[];
  readonly logging: WafLogging;

  constructor(scope: Construct, id: string, props: MoodleWebAclProps) {
    super(scope, id);
    this.scope = props.scope;
    const cidrs = (props.campusRanges ?? []).map((text) => {
      const c = parseCidr(text);
      if (typeof c === 'string' || c.hostBitsSet)
        throw new Error(`MoodleWebAcl: campus range "${text}" is not a canonical CIDR block${typeof c === 'string' ? `: it ${c}` : `: write ${c.canonical}`}`);
      return c;
    });
    const byFamily = (family: Cidr['family']) => cidrs.filter((c) => c.family === family).map((c) => c.canonical);
    this.campusIpSets = ([4, 6] as const)
      .filter((f) => byFamily(f).length > 0)
      .map(
        (f) =>
          new wafv2.CfnIPSet(this, `CampusIpv${f}`, {
            scope: props.scope,
            ipAddressVersion: `IPV${f}`,
            addresses: byFamily(f),
            description: `Campus egress ranges, IPv${f}: rate limited per address by the campus rule`,
          }),
      );
    const rules = moodleWafRules({
      rateLimit: props.rateLimit ?? 3000,
      campus:
        this.campusIpSets.length > 0
          ? { rateLimit: props.campusRateLimit ?? DEFAULT_CAMPUS_RATE_LIMIT, ipSetArns: this.campusIpSets.map((s) => s.attrArn) }
          : undefined,
      metricPrefix: props.metricPrefix,
    });
    this.capacity = webAclCapacity(rules);
    if (this.capacity > WCU_INCLUDED) {
      throw new Error(
        `MoodleWebAcl: the rules need ${this.capacity} WCU, more than the ${WCU_INCLUDED} a web ACL's price includes: shorten the path scopes in waf-scopes.ts`,
      );
    }
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: props.scope,
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: `${props.metricPrefix}-all` },
      dataProtectionConfig: { dataProtections: DATA_PROTECTION },
      rules,
    });
    this.webAclArn = this.webAcl.attrArn;
    this.webAclId = this.webAcl.attrId;
    this.webAclName = Fn.select(0, Fn.split('|', this.webAcl.ref));
    this.logging = new WafLogging(this, 'Logging', {
      webAcl: this.webAcl,
      name: props.logName ?? props.metricPrefix,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
  }
}
