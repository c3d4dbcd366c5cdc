// Turns the SMTP user's IAM access key into Amazon SES SMTP credentials: a custom resource handler
// for the CDK Provider framework. CDK writes the access key straight into a Secrets Manager secret
// (the template holds only a reference to it); this reads that secret, derives the SMTP password
// and writes {username, password} into the secret the tasks read. Neither the secret access key
// nor the password is ever in the template, the event, the response or a log line.
// AWS SDK v3 ships with the Lambda Node.js runtime; tests inject a fake client.
import { createHmac } from 'node:crypto';

/** Version byte of SES SMTP passwords derived with Signature Version 4 (AWS: "version = 0x04"). */
export const SMTP_PASSWORD_VERSION = 0x04;

/**
 * The SES SMTP password of a secret access key for one region, by AWS's published algorithm
 * (SES Developer Guide, "Obtaining Amazon SES SMTP credentials by converting existing AWS
 * credentials"): an HMAC-SHA256 chain over "11111111", the region, "ses", "aws4_request" and
 * "SendRawEmail", keyed first with "AWS4" + the key; the version byte, then the chain's last
 * signature, in base64.
 */
export function smtpPassword(secretAccessKey, region) {
  if (!secretAccessKey) throw new Error('smtpPassword: no secret access key');
  if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(String(region))) throw new Error(`smtpPassword: "${region}" is not an AWS region`);
  const sign = (key, message) => createHmac('sha256', key).update(message, 'utf8').digest();
  let signature = sign(`AWS4${secretAccessKey}`, '11111111');
  for (const message of [region, 'ses', 'aws4_request', 'SendRawEmail']) signature = sign(signature, message);
  return Buffer.concat([Buffer.from([SMTP_PASSWORD_VERSION]), signature]).toString('base64');
}

/** The handler, over a client with the two Secrets Manager calls it uses. */
export function makeHandler({ secrets }, log = console.log) {
  return async function onEvent(event) {
    const p = event.ResourceProperties ?? {};
    // The secret goes with the stack; a delete has nothing of its own to undo.
    if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
    for (const name of ['AccessKeySecretArn', 'SmtpSecretArn', 'Region']) {
      if (!p[name]) throw new Error(`the SMTP credentials resource has no ${name} property`);
    }
    const stored = await secrets.getSecretValue({ SecretId: p.AccessKeySecretArn });
    let key;
    try {
      key = JSON.parse(stored.SecretString ?? '');
    } catch {
      throw new Error(`the access key secret ${p.AccessKeySecretArn} is not JSON`);
    }
    if (!key?.accessKeyId || !key?.secretAccessKey) throw new Error(`the access key secret ${p.AccessKeySecretArn} lacks accessKeyId or secretAccessKey`);
    await secrets.putSecretValue({
      SecretId: p.SmtpSecretArn,
      SecretString: JSON.stringify({ username: key.accessKeyId, password: smtpPassword(key.secretAccessKey, p.Region) }),
    });
    log(`stored the SES SMTP credentials of access key ${key.accessKeyId} for ${p.Region} in ${p.SmtpSecretArn}`);
    return { PhysicalResourceId: p.SmtpSecretArn };
  };
}

let handler;
export async function onEvent(event) {
  if (!handler) {
    const sdk = await import('@aws-sdk/client-secrets-manager');
    const client = new sdk.SecretsManagerClient({});
    handler = makeHandler({
      secrets: {
        getSecretValue: (input) => client.send(new sdk.GetSecretValueCommand(input)),
        putSecretValue: (input) => client.send(new sdk.PutSecretValueCommand(input)),
      },
    });
  }
  return handler(event);
}
