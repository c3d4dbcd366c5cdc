// The us-east-1 stack: what CloudFront only accepts from us-east-1 whatever the main region is,
// namely its certificate and its (CLOUDFRONT-scope) web ACL. The main stack reads both through
// CDK's crossRegionReferences: this stack writes them to SSM parameters in us-east-1, and a
// reader in the main stack copies them at deploy time (deploy order: edge, then main).
import { Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
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
}

export class EdgeStack extends Stack {
  readonly webAclArn: string;
  readonly certificate: acm.ICertificate;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, { ...props, crossRegionReferences: true });
    if (props.env?.region && props.env.region !== 'us-east-1') {
      throw new Error(`EdgeStack: env.region must be us-east-1 (CloudFront certificates and web ACLs live there), got ${props.env.region}`);
    }
    const acl = new MoodleWebAcl(this, 'Waf', { scope: 'CLOUDFRONT', rateLimit: props.rateLimit, metricPrefix: `${this.stackName}-edge` });
    this.webAclArn = acl.webAcl.attrArn;
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
