// The AWS side a task talks to, stood in by one small server (bundled with esbuild and run with
// Debian's Node.js in a container of the twin's networks):
//  - at 169.254.170.2:80, ECS's task endpoints: the credentials of the task role
//    (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) and the task metadata (ECS_CONTAINER_METADATA_URI_V4);
//  - at https://<bucket>.s3.<region>.amazonaws.com, S3's ListObjectsV2 and GetObject, served from
//    a folder, for requests whose Signature Version 4 is right: recomputed with the AWS SDK's own
//    signer (@smithy/signature-v4), an implementation independent of the image's PHP one; with the
//    region and the session token of the credentials it issued; at most 15 minutes off.
//  - at email-smtp.<region>.amazonaws.com:587, SES's SMTP interface (smtp-server, nodemailer's):
//    STARTTLS with a certificate for that name, AUTH only over TLS and only with the SES SMTP
//    password of an access key of the SMTP user (derived here with the AWS SDK's SigV4 signing key,
//    as SES does), and a sender at the verified identity's domain; each message is logged.
// Every request and its verdict is logged as one JSON line, so tests can see what was asked.
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { getSigningKey, SignatureV4 } from '@smithy/signature-v4';
import { SMTPServer } from 'smtp-server';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { join, relative, sep } from 'node:path';

interface Config {
  readonly region: string;
  /** Folder holding one sub-folder per bucket. */
  readonly dataDir: string;
  readonly tls: { readonly cert: string; readonly key: string };
  readonly credentials: {
    readonly relativeUri: string;
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly token: string;
    readonly roleArn: string;
  };
  readonly metadata: { readonly id: string; readonly task: Record<string, unknown> };
  /** SES: the verified identity's domain, the SMTP user's access keys, the endpoint's certificate. */
  readonly ses?: {
    readonly domain: string;
    readonly accessKeys: ReadonlyArray<{ readonly id: string; readonly secret: string }>;
    readonly tls: { readonly cert: string; readonly key: string };
  };
}

const config = JSON.parse(readFileSync(process.argv[2] ?? '/twin/aws-standin.json', 'utf8')) as Config;
const log = (entry: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ t: new Date().toISOString(), ...entry })}\n`);

function send(res: ServerResponse, status: number, body: string | Buffer, type = 'application/xml'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function s3Error(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`);
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

// ---- ECS task endpoints (169.254.170.2) --------------------------------------------------------
createHttp((req, res) => {
  const path = req.url ?? '';
  const c = config.credentials;
  if (path === c.relativeUri) {
    log({ service: 'ecs-credentials', path, ok: true });
    const expiration = new Date(Date.now() + 6 * 3600_000).toISOString();
    return send(
      res,
      200,
      JSON.stringify({ RoleArn: c.roleArn, AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, Token: c.token, Expiration: expiration }),
      'application/json',
    );
  }
  const m = /^\/v[34]\/([^/]+)(\/task)?$/.exec(path);
  if (m) {
    log({ service: 'ecs-metadata', path, ok: true });
    return send(res, 200, JSON.stringify(m[2] ? config.metadata.task : { Name: 'container', DockerId: config.metadata.id }), 'application/json');
  }
  log({ service: 'ecs-endpoints', path, ok: false });
  send(res, 404, 'not found', 'text/plain');
}).listen(80, '0.0.0.0');

// ---- S3 ----------------------------------------------------------------------------------------
const signer = new SignatureV4({
  service: 's3',
  region: config.region,
  credentials: { accessKeyId: config.credentials.accessKeyId, secretAccessKey: config.credentials.secretAccessKey, sessionToken: config.credentials.token },
  sha256: Hash.bind(null, 'sha256'),
  uriEscapePath: false,
  applyChecksum: true,
});

interface Verdict {
  readonly ok: boolean;
  readonly why?: string;
  readonly code?: string;
}

async function verify(req: IncomingMessage, url: URL, host: string): Promise<Verdict> {
  const auth = String(req.headers.authorization ?? '');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { ok: false, code: 'AccessDenied', why: 'no AWS4-HMAC-SHA256 Authorization header' };
  const [, keyId, day, region, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string];
  if (keyId !== config.credentials.accessKeyId) return { ok: false, code: 'InvalidAccessKeyId', why: `unknown access key ${keyId}` };
  if (region !== config.region)
    return { ok: false, code: 'AuthorizationHeaderMalformed', why: `the region '${region}' is wrong; expecting '${config.region}'` };
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const when = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!when || !amzDate.startsWith(day)) return { ok: false, code: 'AccessDenied', why: `x-amz-date '${amzDate}' missing or not of the credential's day` };
  const signingDate = new Date(Date.UTC(+when[1]!, +when[2]! - 1, +when[3]!, +when[4]!, +when[5]!, +when[6]!));
  if (Math.abs(Date.now() - signingDate.getTime()) > 15 * 60_000) return { ok: false, code: 'RequestTimeTooSkewed', why: 'more than 15 minutes off' };
  if (req.headers['x-amz-security-token'] !== config.credentials.token)
    return { ok: false, code: 'InvalidToken', why: 'missing or wrong x-amz-security-token' };
  const emptyHash = createHash('sha256').update('').digest('hex');
  if (req.headers['x-amz-content-sha256'] !== emptyHash)
    return { ok: false, code: 'XAmzContentSHA256Mismatch', why: 'x-amz-content-sha256 is not the hash of the empty body' };
  const names = signedHeaders.split(';');
  for (const required of ['host', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token']) {
    if (!names.includes(required)) return { ok: false, code: 'AccessDenied', why: `${required} is not signed` };
  }
  const headers: Record<string, string> = {};
  for (const n of names) headers[n] = n === 'host' ? host : String(req.headers[n] ?? '');
  const query: Record<string, string> = {};
  url.searchParams.forEach((v, k) => {
    query[k] = v;
  });
  const request = new HttpRequest({ method: req.method ?? 'GET', protocol: 'https:', hostname: host, path: url.pathname, query, headers });
  const signed = await signer.sign(request, { signingDate, signableHeaders: new Set(names) });
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1];
  if (expected !== signature)
    return { ok: false, code: 'SignatureDoesNotMatch', why: 'the request signature we calculated does not match the signature you provided' };
  return { ok: true };
}

function listKeys(bucketDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(bucketDir, p).split(sep).join('/'));
    }
  };
  try {
    walk(bucketDir);
  } catch {
    /* no such bucket folder: no keys */
  }
  return out.sort();
}

createHttps({ cert: config.tls.cert, key: config.tls.key }, (req, res) => {
  void (async () => {
    const host = String(req.headers.host ?? '').replace(/:443$/, '');
    const url = new URL(req.url ?? '/', `https://${host}`);
    const hostMatch = new RegExp(`^([a-z0-9.-]+)\\.s3\\.${config.region.replace(/-/g, '\\-')}\\.amazonaws\\.com$`).exec(host);
    const entry = { service: 's3', method: req.method, host, path: url.pathname, query: url.search };
    if (!hostMatch) {
      log({ ...entry, ok: false, why: 'not a virtual-hosted S3 name of this region' });
      return s3Error(res, 301, 'PermanentRedirect', `The bucket you are attempting to access must be addressed using the ${config.region} endpoint.`);
    }
    const verdict = await verify(req, url, host);
    if (!verdict.ok) {
      log({ ...entry, ok: false, why: verdict.why });
      return s3Error(res, 403, verdict.code!, verdict.why!);
    }
    const bucketDir = join(config.dataDir, hostMatch[1]!);
    if (req.method !== 'GET') return s3Error(res, 405, 'MethodNotAllowed', 'only GET is served by the stand-in');
    if (url.pathname === '/' && url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const keys = listKeys(bucketDir).filter((k) => k.startsWith(prefix));
      log({ ...entry, ok: true, action: 'ListObjectsV2', keys: keys.length });
      const contents = keys.map((k) => `<Contents><Key>${escapeXml(k)}</Key><Size>${statSync(join(bucketDir, k)).size}</Size></Contents>`).join('');
      return send(
        res,
        200,
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Name>${hostMatch[1]}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`,
      );
    }
    const key = decodeURIComponent(url.pathname.slice(1));
    if (key.split('/').includes('..') || !listKeys(bucketDir).includes(key)) {
      log({ ...entry, ok: false, action: 'GetObject', why: 'no such key' });
      return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    }
    log({ ...entry, ok: true, action: 'GetObject', key });
    send(res, 200, readFileSync(join(bucketDir, key)), 'application/octet-stream');
  })().catch((e: Error) => {
    log({ service: 's3', ok: false, why: `stand-in error: ${e.message}` });
    s3Error(res, 500, 'InternalError', e.message);
  });
}).listen(443, '0.0.0.0');

// ---- SES SMTP (email-smtp.<region>.amazonaws.com:587) -------------------------------------------
/** SES's SMTP password for a secret access key: version 4, HMAC("SendRawEmail") under the SigV4 key for "11111111". */
async function sesSmtpPassword(secretAccessKey: string): Promise<string> {
  const key = await getSigningKey(Hash.bind(null, 'sha256'), { accessKeyId: 'unused', secretAccessKey }, '11111111', config.region, 'ses');
  const hmac = new Hash('sha256', key);
  hmac.update('SendRawEmail');
  return Buffer.concat([Buffer.from([0x04]), Buffer.from(await hmac.digest())]).toString('base64');
}

const ses = config.ses;
if (ses) {
  new SMTPServer({
    name: `email-smtp.${config.region}.amazonaws.com`,
    secure: false,
    key: ses.tls.key,
    cert: ses.tls.cert,
    // SES: "530 Must issue a STARTTLS command first" before AUTH.
    allowInsecureAuth: false,
    authMethods: ['PLAIN', 'LOGIN'],
    size: 40 * 1024 * 1024,
    onAuth(auth, session, callback) {
      const tls = Boolean(session.secure);
      const key = ses.accessKeys.find((k) => k.id === auth.username);
      (key ? sesSmtpPassword(key.secret) : Promise.resolve(undefined)).then(
        (expected) => {
          const ok = tls && expected !== undefined && auth.password === expected;
          log({ service: 'ses-smtp', event: 'auth', user: auth.username, tls, ok });
          if (!ok) return callback(Object.assign(new Error('Authentication Credentials Invalid'), { responseCode: 535 }));
          callback(null, { user: auth.username });
        },
        (e: Error) => callback(e),
      );
    },
    onMailFrom(address, session, callback) {
      const domain = address.address.split('@').pop()!.toLowerCase();
      const ok = domain === ses.domain;
      log({ service: 'ses-smtp', event: 'mail-from', from: address.address, tls: Boolean(session.secure), user: session.user, ok });
      if (!ok)
        return callback(
          Object.assign(
            new Error(
              `Message rejected: Email address is not verified. The following identities failed the check in region ${config.region.toUpperCase()}: ${address.address}`,
            ),
            { responseCode: 554 },
          ),
        );
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const header = (name: string) =>
          new RegExp(`^${name}: (.*(?:\r?\n[ \t].*)*)`, 'mi').exec(raw.split(/\r?\n\r?\n/)[0] ?? '')?.[1]?.replace(/\r?\n[ \t]/g, ' ');
        log({
          service: 'ses-smtp',
          event: 'message',
          ok: true,
          tls: Boolean(session.secure),
          user: session.user,
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: header('Subject'),
          fromHeader: header('From'),
          bytes: raw.length,
          body: raw.slice(raw.search(/\r?\n\r?\n/)).slice(0, 4000),
        });
        callback(null, `Ok ${randomUUID()}`);
      });
    },
  }).listen(587, '0.0.0.0');
}

log({ service: 'aws-standin', started: true, region: config.region });
