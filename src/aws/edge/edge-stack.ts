// The us-east-1 stack: what CloudFront only accepts from us-east-1 whatever the main region is,
// namely its certificate and its (CLOUDFRONT-scope) web ACL. The main stack reads both through
// CDK's crossRegionReferences: this stack writes them to SSM parameters in us-east-1, and a
// reader in the main stack copies them at deploy time (deploy order: edge, then main).
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import { MoodleWebAcl } from './waf-rules.ts';

export interface EdgeStackProps extends StackProps {
  /** The site's host name (the certificate's name). */
  readonly domain: string;
  /** Zone to validate a new certificate in. @default - use edgeCertificateArn */
  readonly hostedZone?: { readonly id: string; readonly name: string };
  /** An existing us-east-1 certificate. @default - a DNS-validated certificate in hostedZone */
  readonly edgeCertificateArn?: string;
  /** WAF rate limit per IP per 5 minutes. @default 3000 */
  readonly rateLimit?: number;
  /** Campus egress CIDR blocks with their own rate limit. @default - none */
  readonly campusRanges?: readonly string[];
  /** WAF rate limit per campus address per 5 minutes. @default 50000 */
  readonly campusRateLimit?: number;
  /** Retention of the WAF logs (the log group lives here, next to the web ACL). */
  readonly logRetention: logs.RetentionDays;
  /** Delete the WAF logs with the stack (destroy --delete-data). @default false */
  readonly deleteData?: boolean;
}

export class EdgeStack extends Stack {
  readonly webAclArn: string;
  /** The CLOUDFRONT web ACL (name, id, ARN for wafv2 calls; its rate rules: RATE_LIMIT_RULES). */
  readonly waf: MoodleWebAcl;
  readonly certificate: acm.ICertificate;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, { ...props, crossRegionReferences: true });
    if (props.env?.region && props.env.region !== 'us-east-1') {
      throw new Error(`EdgeStack: env.region must be us-east-1 (CloudFront certificates and web ACLs live there), got ${props.env.region}`);
    }
    this.waf = new MoodleWebAcl(this, 'Waf', {
      scope: 'CLOUDFRONT',
      rateLimit: props.rateLimit,
      campusRanges: props.campusRanges,
      campusRateLimit: props.campusRateLimit,
      metricPrefix: `${this.stackName}-edge`,
      logName: this.stackName,
      logRetention: props.logRetention,
      logRemovalPolicy: props.deleteData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    this.webAclArn = this.waf.webAclArn;
    if (props.edgeCertificateArn) {
      this.certificate = acm.Certificate.fromCertificateArn(this, 'Certificate', props.edgeCertificateArn);
    } else if (props.hostedZone) {
      const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: props.hostedZone.id, zoneName: props.hostedZone.name });
      this.certificate = new acm.Certificate(this, 'Certificate', { domainName: props.domain, validation: acm.CertificateValidation.fromDns(zone) });
    } else {
      throw new Error('EdgeStack: give hostedZone (a DNS-validated certificate is created) or edgeCertificateArn');
    }
  }
}
