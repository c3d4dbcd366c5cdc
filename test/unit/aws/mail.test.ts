// Outgoing mail through Amazon SES: the domain identity with Easy DKIM and a MAIL FROM domain, its
// DNS records in the hosted zone or as outputs, the configuration set and the events it publishes
// to the (encrypted) alarm topic, the SMTP user's least-privilege policy, the SMTP secret reaching
// the tasks only as ECS secrets, and the SMTP password derivation.
import { Hash } from '@smithy/hash-node';
import { getSigningKey } from '@smithy/signature-v4';
import { Match } from 'aws-cdk-lib/assertions';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeHandler, smtpPassword, type SmtpCredentialsEvent } from '../../../src/aws/mail/smtp-credentials-handler/index.mjs';
import { build, only, PRODUCTION, resources, SMALL } from './fixtures.ts';

const production = build(PRODUCTION, { image: { tag: 'release-1' } }).main;
const small = build(SMALL).main;
const disabled = build({ ...PRODUCTION, aws: { ...PRODUCTION.aws, mail: { enabled: false } } }, { image: { tag: 'release-1' } }).main;
/** Production with another mail domain (outside the zone), SES's own MAIL FROM and a sandbox recipient. */
const elsewhere = build(
  {
    ...PRODUCTION,
    site: { ...PRODUCTION.site, noreplyAddress: 'moodle@example.org' },
    aws: { ...PRODUCTION.aws, mail: { domain: 'example.org', mailFromSubdomain: false, sandboxRecipients: ['ops@example.edu'] } },
  },
  { image: { tag: 'release-1' } },
).main;

const idOf = (t: typeof production, type: string) => only(resources(t, type))[0];
const containers = (t: typeof production) => Object.values(resources(t, 'AWS::ECS::TaskDefinition')).map((td) => td.Properties.ContainerDefinitions[0]);
/** An SES ARN in the stack's region and account, of a resource (a logical id) or a literal name. */
const arn = (resource: string, name: { Ref: string } | string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ses:eu-west-1:',
      { Ref: 'AWS::AccountId' },
      ...(typeof name === 'string' ? [`:${resource}/${name}`] : [`:${resource}/`, name]),
    ],
  ],
});

describe('SES identity and DKIM: with the hosted zone (production)', () => {
  const identity = idOf(production, 'AWS::SES::EmailIdentity');
  test('a domain identity for the site domain, Easy DKIM 2048-bit, MAIL FROM bounce.<domain>, through the configuration set', () => {
    production.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'moodle.example.edu',
      DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
      MailFromAttributes: { MailFromDomain: 'bounce.moodle.example.edu', BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
      ConfigurationSetAttributes: { ConfigurationSetName: { Ref: idOf(production, 'AWS::SES::ConfigurationSet') } },
    });
  });
  test('the three Easy DKIM CNAMEs are created in the zone, named and valued by the identity', () => {
    for (const i of [1, 2, 3]) {
      production.hasResourceProperties('AWS::Route53::RecordSet', {
        HostedZoneId: 'Z0123456789ABC',
        Type: 'CNAME',
        Name: { 'Fn::GetAtt': [identity, `DkimDNSTokenName${i}`] },
        ResourceRecords: [{ 'Fn::GetAtt': [identity, `DkimDNSTokenValue${i}`] }],
      });
    }
  });
  test('the MAIL FROM domain gets its one MX record (SES feedback in the region) and its SPF record', () => {
    production.hasResourceProperties('AWS::Route53::RecordSet', {
      HostedZoneId: 'Z0123456789ABC',
      Name: 'bounce.moodle.example.edu',
      Type: 'MX',
      ResourceRecords: ['10 feedback-smtp.eu-west-1.amazonses.com'],
    });
    production.hasResourceProperties('AWS::Route53::RecordSet', {
      HostedZoneId: 'Z0123456789ABC',
      Name: 'bounce.moodle.example.edu',
      Type: 'TXT',
      ResourceRecords: ['"v=spf1 include:amazonses.com ~all"'],
    });
  });
  test('nothing is left for the user to add: no DNS outputs', () => {
    assert.deepEqual(
      Object.keys(production.findOutputs('*')).filter((k) => /^Mail(Dkim|From)/.test(k)),
      [],
    );
  });
});

describe('SES identity and DKIM: without a zone (small, imported certificate)', () => {
  const identity = idOf(small, 'AWS::SES::EmailIdentity');
  test('no record is created', () => {
    assert.deepEqual(Object.values(resources(small, 'AWS::Route53::RecordSet')), []);
  });
  test('the DKIM CNAMEs are outputs: name, CNAME, value, for the user to add', () => {
    for (const i of [1, 2, 3]) {
      small.hasOutput(`MailDkim${i}`, {
        Value: { 'Fn::Join': [' ', [{ 'Fn::GetAtt': [identity, `DkimDNSTokenName${i}`] }, 'CNAME', { 'Fn::GetAtt': [identity, `DkimDNSTokenValue${i}`] }]] },
        Description: Match.stringLikeRegexp('Add this record to the DNS of moodle\\.example\\.edu'),
      });
    }
  });
  test('so are the MAIL FROM MX and SPF records', () => {
    small.hasOutput('MailFromMx', { Value: 'bounce.moodle.example.edu MX 10 feedback-smtp.eu-west-1.amazonses.com' });
    small.hasOutput('MailFromSpf', { Value: 'bounce.moodle.example.edu TXT "v=spf1 include:amazonses.com ~all"' });
  });
});

describe("a mail domain outside the zone, SES's own MAIL FROM, a sandbox recipient", () => {
  test('the identity is the mail domain, without a MAIL FROM domain', () => {
    elsewhere.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'example.org', MailFromAttributes: Match.absent() });
  });
  test("its DKIM records are outputs, not records in the site's zone; no MAIL FROM records", () => {
    const mailRecords = Object.values(resources(elsewhere, 'AWS::Route53::RecordSet')).filter((r) => /Dkim|bounce/.test(JSON.stringify(r.Properties)));
    assert.deepEqual(mailRecords, []);
    assert.deepEqual(
      Object.keys(elsewhere.findOutputs('*'))
        .filter((k) => /^Mail(Dkim|From)/.test(k))
        .sort(),
      ['MailDkim1', 'MailDkim2', 'MailDkim3'],
    );
  });
  test('the SMTP user may also send to the verified sandbox recipient; From addresses stay at the mail domain', () => {
    const user = idOf(elsewhere, 'AWS::IAM::User');
    const [, policy] = Object.entries(resources(elsewhere, 'AWS::IAM::Policy')).find(([, p]) => JSON.stringify(p.Properties.Users ?? []).includes(user))!;
    const [statement] = policy.Properties.PolicyDocument.Statement;
    assert.deepEqual(statement.Resource[2], arn('identity', 'ops@example.edu'));
    assert.deepEqual(statement.Condition, { StringLike: { 'ses:FromAddress': '*@example.org' } });
  });
  test("the tasks send from the site's no-reply address at that domain", () => {
    for (const c of containers(elsewhere)) {
      const env = Object.fromEntries(c.Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
      assert.equal(env.MOODLE_NOREPLY_ADDRESS, 'moodle@example.org');
      assert.equal(env.MOODLE_MAIL_DOMAIN, 'example.org');
    }
  });
});

describe('configuration set and its notifications', () => {
  const set = idOf(production, 'AWS::SES::ConfigurationSet');
  const topic = Object.keys(resources(production, 'AWS::SNS::Topic')).find((id) => id.startsWith('AlarmsTopic'))!;
  test('TLS to the recipient required, reputation metrics on, bounces and complaints suppressed', () => {
    production.hasResourceProperties('AWS::SES::ConfigurationSet', {
      DeliveryOptions: { TlsPolicy: 'REQUIRE' },
      ReputationOptions: { ReputationMetricsEnabled: true },
      SendingOptions: { SendingEnabled: true },
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    });
  });
  test('bounces, complaints and rejects go to the alarm topic; nothing else', () => {
    const [, dest] = only(resources(production, 'AWS::SES::ConfigurationSetEventDestination'));
    assert.deepEqual(dest.Properties.ConfigurationSetName, { Ref: set });
    assert.deepEqual(dest.Properties.EventDestination.SnsDestination, { TopicARN: { Ref: topic } });
    assert.deepEqual([...dest.Properties.EventDestination.MatchingEventTypes].sort(), ['bounce', 'complaint', 'reject']);
    assert.equal(dest.Properties.EventDestination.Enabled, true);
  });
  test('SES may publish to the topic, for this account and configuration set only', () => {
    production.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sns:Publish',
            Principal: { Service: 'ses.amazonaws.com' },
            Condition: {
              StringEquals: {
                'AWS:SourceAccount': { Ref: 'AWS::AccountId' },
                'AWS:SourceArn': Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([{ Ref: set }])] }),
              },
            },
          }),
        ]),
      },
    });
  });
  test("and may use the topic's KMS key (the topic is encrypted), for this account; the destination waits for the key", () => {
    const key = Object.entries(resources(production, 'AWS::KMS::Key')).find(([, k]) => JSON.stringify(k).includes('AllowServicesToPublishAlarms'))!;
    production.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowSesToPublishMailEvents',
            Effect: 'Allow',
            Principal: { Service: 'ses.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ]),
      },
    });
    const [, dest] = only(resources(production, 'AWS::SES::ConfigurationSetEventDestination'));
    assert.ok(dest.DependsOn?.includes(key[0]), `the event destination does not depend on ${key[0]}`);
  });
});

describe('the SMTP user: least privilege', () => {
  const user = idOf(production, 'AWS::IAM::User');
  const identity = idOf(production, 'AWS::SES::EmailIdentity');
  const set = idOf(production, 'AWS::SES::ConfigurationSet');
  const policies = Object.values(resources(production, 'AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Users ?? []).includes(user));
  test('one inline policy, no managed policy, no group, no console password', () => {
    assert.equal(policies.length, 1);
    production.hasResource('AWS::IAM::User', { Properties: Match.absent() });
  });
  test('only SendRawEmail (what SMTP authorizes) and SendEmail, only on the site identity and the configuration set, only from addresses at the domain', () => {
    assert.deepEqual(policies[0]!.Properties.PolicyDocument.Statement, [
      {
        Sid: 'SendThroughTheSiteIdentityOnly',
        Effect: 'Allow',
        Action: ['ses:SendRawEmail', 'ses:SendEmail'],
        Resource: [arn('identity', { Ref: identity }), arn('configuration-set', { Ref: set })],
        Condition: { StringLike: { 'ses:FromAddress': '*@moodle.example.edu' } },
      },
    ]);
  });
  test('one access key, written by CloudFormation straight into a secret', () => {
    const key = idOf(production, 'AWS::IAM::AccessKey');
    production.hasResourceProperties('AWS::IAM::AccessKey', { UserName: { Ref: user } });
    production.hasResourceProperties('AWS::SecretsManager::Secret', {
      SecretString: { 'Fn::Join': ['', ['{"accessKeyId":"', { Ref: key }, '","secretAccessKey":"', { 'Fn::GetAtt': [key, 'SecretAccessKey'] }, '"}']] },
    });
  });
});

describe('SMTP credentials: derived at deploy time, never in the template', () => {
  const key = idOf(production, 'AWS::IAM::AccessKey');
  const [crId, cr] = only(resources(production, 'Custom::SesSmtpCredentials'));
  const secretIds = Object.keys(resources(production, 'AWS::SecretsManager::Secret'));
  const accessKeySecret = secretIds.find((id) => id.startsWith('MailSmtpAccessKeySecret'))!;
  const smtpSecret = secretIds.find((id) => /^MailSmtpSecret[0-9A-F]{8}$/.test(id))!;
  test('the secret access key is referenced by the access key secret and nothing else', () => {
    const template = production.toJSON() as { Resources: Record<string, unknown>; Outputs: Record<string, unknown> };
    const users = Object.entries(template.Resources)
      .filter(([, r]) => JSON.stringify(r).includes('"SecretAccessKey"'))
      .map(([id]) => id);
    assert.deepEqual(users, [accessKeySecret]);
    assert.doesNotMatch(JSON.stringify(template.Outputs), /SecretAccessKey/);
    assert.ok(key);
  });
  test('the SMTP secret holds only a generated placeholder in the template: no SecretString, no password', () => {
    const secret = resources(production, 'AWS::SecretsManager::Secret')[smtpSecret]!;
    assert.equal(secret.Properties.SecretString, undefined);
    assert.deepEqual(secret.Properties.GenerateSecretString, {
      SecretStringTemplate: '{"username":""}',
      GenerateStringKey: 'password',
      ExcludePunctuation: true,
    });
  });
  test('the custom resource gets ARNs, the region and the key id, never a secret value', () => {
    assert.deepEqual(cr.Properties.AccessKeySecretArn, { Ref: accessKeySecret });
    assert.deepEqual(cr.Properties.SmtpSecretArn, { Ref: smtpSecret });
    assert.equal(cr.Properties.Region, 'eu-west-1');
    assert.deepEqual(cr.Properties.AccessKeyId, { Ref: key });
    assert.doesNotMatch(JSON.stringify(cr.Properties), /SecretAccessKey|password/i);
  });
  test('its function may read the access key secret and write the SMTP secret, nothing more of Secrets Manager', () => {
    const role = Object.keys(resources(production, 'AWS::IAM::Role')).find((id) => id.startsWith('MailSmtpRole'))!;
    const statements = Object.values(resources(production, 'AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
      .filter((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:')));
    assert.deepEqual(
      statements.map((s) => [s.Action, s.Resource]),
      [
        ['secretsmanager:GetSecretValue', { Ref: accessKeySecret }],
        ['secretsmanager:PutSecretValue', { Ref: smtpSecret }],
      ],
    );
  });
  test('the handler runs on Node.js 24 with the SDK of the runtime', () => {
    production.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.onEvent',
      Runtime: 'nodejs24.x',
      Description: Match.stringLikeRegexp('SES SMTP password'),
    });
  });
  test('migrate (and so the services) waits for the derivation', () => {
    const [, migrate] = only(resources(production, 'Custom::MoodleMigrate'));
    assert.ok(migrate.DependsOn?.includes(crId), `migrate does not depend on ${crId}`);
  });
});

describe('the tasks', () => {
  const smtpSecret = Object.keys(resources(production, 'AWS::SecretsManager::Secret')).find((id) => /^MailSmtpSecret[0-9A-F]{8}$/.test(id))!;
  test('web, cron and migrate get the SMTP user and password as ECS secrets (JSON keys of the SMTP secret), never as variables', () => {
    const all = containers(production);
    assert.equal(all.length, 3);
    for (const c of all) {
      const from = Object.fromEntries(c.Secrets.map((s: { Name: string; ValueFrom: unknown }) => [s.Name, s.ValueFrom]));
      assert.deepEqual(from.MOODLE_SMTP_USER, { 'Fn::Join': ['', [{ Ref: smtpSecret }, ':username::']] });
      assert.deepEqual(from.MOODLE_SMTP_PASSWORD, { 'Fn::Join': ['', [{ Ref: smtpSecret }, ':password::']] });
      assert.doesNotMatch(JSON.stringify(c.Environment), /MOODLE_SMTP_(USER|PASSWORD)|MailSmtp/);
    }
  });
  test("SES's SMTP endpoint of the region, port 587 with STARTTLS, noreply@<domain>, the mail domain", () => {
    for (const c of [...containers(production), ...containers(small)]) {
      const env = Object.fromEntries(c.Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
      assert.equal(env.MOODLE_SMTP_HOST, 'email-smtp.eu-west-1.amazonaws.com');
      assert.equal(env.MOODLE_SMTP_PORT, '587');
      assert.equal(env.MOODLE_SMTP_SECURITY, 'starttls');
      assert.equal(env.MOODLE_NOREPLY_ADDRESS, 'noreply@moodle.example.edu');
      assert.equal(env.MOODLE_MAIL_DOMAIN, 'moodle.example.edu');
    }
  });
});

describe('mail disabled (aws.mail.enabled: false)', () => {
  test('no SES identity, configuration set, SMTP user, secret or derivation', () => {
    for (const type of [
      'AWS::SES::EmailIdentity',
      'AWS::SES::ConfigurationSet',
      'AWS::SES::ConfigurationSetEventDestination',
      'AWS::IAM::User',
      'AWS::IAM::AccessKey',
      'Custom::SesSmtpCredentials',
    ]) {
      disabled.resourceCountIs(type, 0);
    }
    assert.doesNotMatch(JSON.stringify(disabled.toJSON()), /ses\.amazonaws\.com/);
  });
  test("the tasks get no SMTP server, credentials or addresses (only the contract's inert port and security defaults)", () => {
    for (const c of containers(disabled)) {
      assert.doesNotMatch(JSON.stringify([c.Environment, c.Secrets]), /MOODLE_SMTP_(HOST|USER|PASSWORD)|MOODLE_NOREPLY_ADDRESS|MOODLE_MAIL_DOMAIN/);
    }
  });
});

describe('SMTP password derivation', () => {
  const EXAMPLE_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'; // AWS's documentation example key
  /** Independently: the AWS SDK's Signature V4 signing key for date "11111111", then HMAC("SendRawEmail"), version 4. */
  async function bySdk(secretAccessKey: string, region: string): Promise<string> {
    const signingKey = await getSigningKey(Hash.bind(null, 'sha256'), { accessKeyId: 'AKIDEXAMPLE', secretAccessKey }, '11111111', region, 'ses');
    const hmac = new Hash('sha256', signingKey);
    hmac.update('SendRawEmail');
    return Buffer.concat([Buffer.from([0x04]), Buffer.from(await hmac.digest())]).toString('base64');
  }
  test("matches the AWS SDK's SigV4 key derivation, in two regions", async () => {
    for (const region of ['us-west-2', 'eu-west-1']) assert.equal(smtpPassword(EXAMPLE_KEY, region), await bySdk(EXAMPLE_KEY, region));
  });
  test("matches AWS's own Python script (smtp_credentials_generate.py) for the documentation key", () => {
    // Computed with the script of the SES Developer Guide (Python hmac/hashlib), version 0x04.
    assert.equal(smtpPassword(EXAMPLE_KEY, 'us-west-2'), 'BF2PynzbSCAjX08zhZZnP/kW+T9P5zs/1Er0pi5vTEmd');
    assert.equal(smtpPassword(EXAMPLE_KEY, 'eu-west-1'), 'BMW5RDrXmmVs0lV7GpI4oLkHXpZ4stDsk6q91z1g38Pk');
  });
  test('passwords are per region and start with the version byte 4 (base64 "B")', () => {
    assert.notEqual(smtpPassword(EXAMPLE_KEY, 'eu-west-1'), smtpPassword(EXAMPLE_KEY, 'eu-central-1'));
    assert.equal(Buffer.from(smtpPassword(EXAMPLE_KEY, 'eu-west-1'), 'base64')[0], 4);
    assert.throws(() => smtpPassword(EXAMPLE_KEY, 'Ireland'), /is not an AWS region/);
  });
});

describe('SMTP credentials handler', () => {
  const props = { AccessKeySecretArn: 'arn:key-secret', SmtpSecretArn: 'arn:smtp-secret', Region: 'eu-west-1', AccessKeyId: 'AKIAEXAMPLE', Version: '1' };
  function fake(secretString = JSON.stringify({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' })) {
    const calls: Array<[string, Record<string, string>]> = [];
    const logs: string[] = [];
    const onEvent = makeHandler(
      {
        secrets: {
          async getSecretValue(input) {
            calls.push(['get', input]);
            return { SecretString: secretString };
          },
          async putSecretValue(input) {
            calls.push(['put', input]);
            return {};
          },
        },
      },
      (l) => logs.push(l),
    );
    return { calls, logs, onEvent };
  }
  for (const type of ['Create', 'Update'] as const) {
    test(`${type}: reads the access key secret, writes {username, password} to the SMTP secret, logs no secret`, async () => {
      const f = fake();
      const out = await f.onEvent({
        RequestType: type,
        PhysicalResourceId: type === 'Update' ? 'arn:smtp-secret' : undefined,
        ResourceProperties: props,
      } as SmtpCredentialsEvent);
      assert.deepEqual(f.calls, [
        ['get', { SecretId: 'arn:key-secret' }],
        [
          'put',
          { SecretId: 'arn:smtp-secret', SecretString: JSON.stringify({ username: 'AKIAEXAMPLE', password: 'BMW5RDrXmmVs0lV7GpI4oLkHXpZ4stDsk6q91z1g38Pk' }) },
        ],
      ]);
      assert.deepEqual(out, { PhysicalResourceId: 'arn:smtp-secret' });
      assert.doesNotMatch(JSON.stringify([out, f.logs]), /EXAMPLEKEY|BMW5RD/);
    });
  }
  test('Delete touches nothing', async () => {
    const f = fake();
    assert.deepEqual(await f.onEvent({ RequestType: 'Delete', PhysicalResourceId: 'arn:smtp-secret', ResourceProperties: props }), {
      PhysicalResourceId: 'arn:smtp-secret',
    });
    assert.deepEqual(f.calls, []);
  });
  test('a secret without the key fails the deploy, naming the secret but not its content', async () => {
    const f = fake(JSON.stringify({ accessKeyId: 'AKIAEXAMPLE' }));
    await assert.rejects(f.onEvent({ RequestType: 'Create', ResourceProperties: props }), /arn:key-secret lacks accessKeyId or secretAccessKey/);
    assert.deepEqual(
      f.calls.map(([c]) => c),
      ['get'],
    );
  });
  test('a missing property fails before any call', async () => {
    const f = fake();
    await assert.rejects(f.onEvent({ RequestType: 'Create', ResourceProperties: { ...props, Region: undefined } }), /has no Region property/);
    assert.deepEqual(f.calls, []);
  });
});
