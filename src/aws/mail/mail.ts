// Outgoing mail through Amazon SES: a domain identity with Easy DKIM (and a custom MAIL FROM
// domain), a configuration set every message goes through (TLS to the recipient required,
// reputation metrics, bounces and complaints suppressed and published to the alarm topic), the
// identity's DNS records, and SMTP credentials for the tasks.
import { Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import * as ses from 'aws-cdk-lib/aws-ses';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { TaskFacts } from '../compute/task-environment.ts';
import { inZone, MailDns, mailDnsRecords } from './mail-dns.ts';
import { SmtpCredentials } from './smtp-credentials.ts';

/** SES's SMTP endpoint of a region (port 587 takes STARTTLS). */
export const sesSmtpHost = (region: string) => `email-smtp.${region}.amazonaws.com`;
export const SES_SMTP_PORT = 587;
export const SES_SMTP_SECURITY = 'starttls' as const;

/**
 * Sending events published to the alarm topic: hard bounces and complaints (what SES judges a
 * sender's reputation by) and rejects (SES found a virus). Deliveries, opens and the rest are not
 * incidents. Rendering failures only happen with SES templates, which Moodle does not use.
 */
export const MAIL_ALARM_EVENTS = [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT, ses.EmailSendingEvent.REJECT] as const;

export interface MoodleMailProps {
  /** Domain Moodle sends from: the SES domain identity. */
  readonly domain: string;
  /** Custom MAIL FROM domain, a subdomain of `domain`. @default - SES's own (amazonses.com) */
  readonly mailFromDomain?: string;
  /** MOODLE_NOREPLY_ADDRESS, an address at `domain`. */
  readonly noreplyAddress: string;
  /** Route 53 zone for the DKIM and MAIL FROM records, used when `domain` is in it. @default - records printed as stack outputs */
  readonly zone?: route53.IHostedZone;
  /** Where bounce, complaint and reject events go; the key (if the topic is encrypted) lets SES publish. */
  readonly notifications: { readonly topic: sns.ITopic; readonly key?: kms.IKey };
  /** Verified addresses the SMTP user may send to in the SES sandbox. @default [] */
  readonly sandboxRecipients?: readonly string[];
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

export class MoodleMail extends Construct {
  readonly identity: ses.EmailIdentity;
  readonly configurationSet: ses.ConfigurationSet;
  readonly dns: MailDns;
  readonly credentials: SmtpCredentials;
  /** What the tasks are told (TaskFacts.mail). */
  readonly taskSettings: NonNullable<TaskFacts['mail']>;

  constructor(scope: Construct, id: string, props: MoodleMailProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    const events = new ses.ConfigurationSetEventDestination(this, 'AlarmEvents', {
      configurationSet: this.configurationSet,
      destination: ses.EventDestination.snsTopic(props.notifications.topic),
      events: [...MAIL_ALARM_EVENTS],
    });
    if (props.notifications.key) {
      // An encrypted topic: the publishing service needs the key (SNS Developer Guide, "Enable
      // compatibility between event sources from AWS services and encrypted topics").
      props.notifications.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowSesToPublishMailEvents',
          principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'], // a key policy's "*" is this key
          conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
        }),
      );
      // The key policy is part of the key resource: the destination is created once SES may use it.
      events.node.addDependency(props.notifications.key);
    }
    this.identity = new ses.EmailIdentity(this, 'Identity', {
      identity: ses.Identity.domain(props.domain),
      configurationSet: this.configurationSet,
      dkimIdentity: ses.DkimIdentity.easyDkim(ses.EasyDkimSigningKeyLength.RSA_2048_BIT),
      mailFromDomain: props.mailFromDomain,
      // Until the MX record is found, SES's own MAIL FROM: mail still goes out.
      mailFromBehaviorOnMxFailure: props.mailFromDomain ? ses.MailFromBehaviorOnMxFailure.USE_DEFAULT_VALUE : undefined,
    });
    const zone = props.zone && inZone(props.domain, props.zone.zoneName) ? props.zone : undefined;
    this.dns = new MailDns(this, 'Dns', {
      records: mailDnsRecords(this.identity, { mailFromDomain: props.mailFromDomain, region: stack.region }),
      zone,
      domain: props.domain,
    });
    this.credentials = new SmtpCredentials(this, 'Smtp', {
      identityArn: this.identity.emailIdentityArn,
      configurationSetArn: stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: this.configurationSet.configurationSetName }),
      fromDomain: props.domain,
      recipientIdentityArns: (props.sandboxRecipients ?? []).map((r) => stack.formatArn({ service: 'ses', resource: 'identity', resourceName: r })),
      logRetention: props.logRetention,
    });
    this.taskSettings = {
      host: sesSmtpHost(stack.region),
      port: SES_SMTP_PORT,
      security: SES_SMTP_SECURITY,
      noreplyAddress: props.noreplyAddress,
      domain: props.domain,
      ...this.credentials.taskSecrets,
    };
  }
}
