// The DNS records SES needs for a domain identity: Easy DKIM's three CNAMEs (verification and
// signing) and, with a custom MAIL FROM domain, its MX (bounces come back to SES) and SPF TXT
// records. Created in the Route 53 zone when the domain is in it; otherwise printed as stack
// outputs for the user to add at their DNS provider.
import { CfnOutput, Fn, Stack } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

/** SPF record of a custom MAIL FROM domain (SES Developer Guide, "Using a custom MAIL FROM domain"). */
export const MAIL_FROM_SPF = 'v=spf1 include:amazonses.com ~all';
/** SES's Easy DKIM records carry a TTL of 30 minutes when CDK publishes them; the same here. */
const TTL_SECONDS = '1800';

export interface MailDnsRecord {
  /** Output id when printed, e.g. "MailDkim1". */
  readonly id: string;
  readonly name: string;
  readonly type: 'CNAME' | 'MX' | 'TXT';
  /** As Route 53 wants it (a TXT value in quotes, an MX value with its priority). */
  readonly value: string;
}

/** The records of an identity: DKIM always; MAIL FROM MX and SPF when it has a custom MAIL FROM domain. */
export function mailDnsRecords(identity: ses.EmailIdentity, opts: { readonly mailFromDomain?: string; readonly region: string }): MailDnsRecord[] {
  const dkim = identity.dkimRecords.map((r, i): MailDnsRecord => ({ id: `MailDkim${i + 1}`, name: r.name, type: 'CNAME', value: r.value }));
  if (!opts.mailFromDomain) return dkim;
  return [
    ...dkim,
    { id: 'MailFromMx', name: opts.mailFromDomain, type: 'MX', value: `10 feedback-smtp.${opts.region}.amazonses.com` },
    { id: 'MailFromSpf', name: opts.mailFromDomain, type: 'TXT', value: `"${MAIL_FROM_SPF}"` },
  ];
}

/** Whether `domain` is `zoneName` or below it. */
export function inZone(domain: string, zoneName: string): boolean {
  const zone = zoneName.replace(/\.$/, '');
  return domain === zone || domain.endsWith(`.${zone}`);
}

export interface MailDnsProps {
  readonly records: readonly MailDnsRecord[];
  /** The zone to create them in. @default - none: each record becomes a stack output */
  readonly zone?: route53.IHostedZone;
  /** The domain the records are for, named in the outputs' descriptions. */
  readonly domain: string;
}

export class MailDns extends Construct {
  /** Records created in the zone (empty when printed). */
  readonly recordSets: route53.CfnRecordSet[] = [];

  constructor(scope: Construct, id: string, props: MailDnsProps) {
    super(scope, id);
    for (const r of props.records) {
      if (props.zone) {
        // CfnRecordSet, not CnameRecord: SES's DKIM names are tokens and already fully qualified,
        // which CnameRecord would suffix with the zone name again.
        this.recordSets.push(
          new route53.CfnRecordSet(this, r.id, {
            hostedZoneId: props.zone.hostedZoneId,
            name: r.name,
            type: r.type,
            resourceRecords: [r.value],
            ttl: TTL_SECONDS,
          }),
        );
      } else {
        const output = new CfnOutput(Stack.of(this), `${id}${r.id}`, {
          value: Fn.join(' ', [r.name, r.type, r.value]),
          description: `Add this record to the DNS of ${props.domain} (SES ${r.type === 'CNAME' ? 'Easy DKIM' : 'custom MAIL FROM domain'}): name, type, value`,
        });
        output.overrideLogicalId(r.id);
      }
    }
  }
}
