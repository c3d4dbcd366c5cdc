// SMTP credentials for Amazon SES, kept out of the template: an IAM user that may only send from
// one identity through one configuration set, its access key written by CloudFormation straight
// into a Secrets Manager secret, and a custom resource (smtp-credentials-handler/) that derives the
// SES SMTP password from it into the secret the tasks read as ECS secrets (`username`, `password`).
// SES's SMTP interface takes only such long-term credentials: not a role, not temporary keys.
import { CustomResource, Duration, SecretValue, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acknowledge, acknowledgeFinding } from '../nag.ts';

const HANDLER_DIR = join(dirname(fileURLToPath(import.meta.url)), 'smtp-credentials-handler');

/** Bumped when the derivation or the secret's shape changes, so every stack derives again. */
const CREDENTIALS_VERSION = '1';

/** What the SMTP user may call: SendRawEmail is what SES's SMTP interface authorizes against. */
export const SMTP_SEND_ACTIONS = ['ses:SendRawEmail', 'ses:SendEmail'] as const;

export interface SmtpCredentialsProps {
  /** ARN of the SES identity the user may send from. */
  readonly identityArn: string;
  /** ARN of the configuration set every message goes through (SES authorizes against it too). */
  readonly configurationSetArn: string;
  /** Domain of the From addresses the user may use (condition `ses:FromAddress` `*@<domain>`). */
  readonly fromDomain: string;
  /**
   * ARNs of further identities the user may send to: in the SES sandbox, SES also authorizes a
   * send against each recipient's verified identity. @default - none
   */
  readonly recipientIdentityArns?: readonly string[];
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

export class SmtpCredentials extends Construct {
  readonly user: iam.User;
  /** `{"username": <access key id>, "password": <SES SMTP password>}`, written by `resource`. */
  readonly secret: secretsmanager.Secret;
  /** The derivation; whatever reads `secret` must depend on it. */
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: SmtpCredentialsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.user = new iam.User(this, 'User');
    const policy = new iam.Policy(this, 'SendPolicy', {
      users: [this.user],
      statements: [
        new iam.PolicyStatement({
          sid: 'SendThroughTheSiteIdentityOnly',
          actions: [...SMTP_SEND_ACTIONS],
          resources: [props.identityArn, props.configurationSetArn, ...(props.recipientIdentityArns ?? [])],
          conditions: { StringLike: { 'ses:FromAddress': `*@${props.fromDomain}` } },
        }),
      ],
    });
    const accessKey = new iam.AccessKey(this, 'AccessKey', { user: this.user });
    // CloudFormation writes the key into the secret: the template holds only Fn::GetAtt.
    const accessKeySecret = new secretsmanager.Secret(this, 'AccessKeySecret', {
      description: `IAM access key of the SES SMTP user of ${stack.stackName} (the SMTP password is derived from it)`,
      secretObjectValue: { accessKeyId: SecretValue.unsafePlainText(accessKey.accessKeyId), secretAccessKey: accessKey.secretAccessKey },
    });
    // A placeholder until the custom resource writes the credentials. Changing generateSecretString
    // makes CloudFormation write a new placeholder: bump CREDENTIALS_VERSION with it.
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: `SES SMTP credentials of ${stack.stackName} (MOODLE_SMTP_USER, MOODLE_SMTP_PASSWORD), derived from the SMTP user's access key`,
      generateSecretString: { secretStringTemplate: JSON.stringify({ username: '' }), generateStringKey: 'password', excludePunctuation: true },
    });

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: "Derives the SES SMTP password from the SMTP user's access key secret into the SMTP secret",
    });
    logGroup.grantWrite(role);
    role.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [accessKeySecret.secretArn] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:PutSecretValue'], resources: [this.secret.secretArn] }));
    const handler = new lambda.Function(this, 'Derive', {
      runtime: lambda.Runtime.NODEJS_24_X,
      code: lambda.Code.fromAsset(HANDLER_DIR),
      handler: 'index.onEvent',
      role,
      timeout: Duration.seconds(30),
      logGroup,
      description: "moodle-ha: SES SMTP password from the SMTP user's access key",
    });
    const provider = new cr.Provider(this, 'Provider', { onEventHandler: handler, logGroup });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::SesSmtpCredentials',
      properties: {
        AccessKeySecretArn: accessKeySecret.secretArn,
        SmtpSecretArn: this.secret.secretArn,
        Region: stack.region,
        // A new access key (a replaced user) derives again; the id is the SMTP user name, not a secret.
        AccessKeyId: accessKey.accessKeyId,
        Version: CREDENTIALS_VERSION,
      },
    });
    // Whatever waits for the credentials (migrate, the services) also finds the user allowed to send.
    this.resource.node.addDependency(policy);

    acknowledge(
      accessKeySecret,
      'SMG4',
      'Holds an IAM access key, which Secrets Manager rotation cannot replace in IAM and in the derived SMTP secret at once: a new key is a redeploy that replaces it (docs/aws.md, Mail).',
    );
    acknowledge(
      this.secret,
      'SMG4',
      "Derived from the SMTP user's access key by this stack's custom resource; the tasks read it at start, so a new value comes with a new access key and a redeploy, not a rotation Lambda.",
    );
    acknowledgeFinding(this, {
      rule: 'IAM5',
      finding: /^Resource::<.*Derive[0-9A-F]+\.Arn>:\*$/,
      reason: "The Provider framework invokes any version of this construct's own handler function.",
    });
    acknowledgeFinding(provider, {
      rule: 'IAM4',
      finding: /AWSLambdaBasicExecutionRole$/,
      reason: 'The Provider framework role uses AWSLambdaBasicExecutionRole for writing its own logs only.',
    });
  }

  /** MOODLE_SMTP_USER and MOODLE_SMTP_PASSWORD: JSON keys of the secret, as ECS secrets. */
  get taskSecrets(): { readonly user: ecs.Secret; readonly password: ecs.Secret } {
    return { user: ecs.Secret.fromSecretsManager(this.secret, 'username'), password: ecs.Secret.fromSecretsManager(this.secret, 'password') };
  }
}
