// The stand-in values for what only AWS knows about a deployed stack: endpoint names, ARNs, bucket
// names, and the values Secrets Manager generates. Names follow AWS's own shapes, so a task sees
// what it would see on AWS (e.g. an Aurora cluster endpoint under rds.amazonaws.com).
import { createHash, randomBytes } from 'node:crypto';
import { Intrinsics, type StandIn, type Template, type TemplateResource } from './intrinsics.ts';
import type { SynthesizedStack } from './stack.ts';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function password(length: number): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => ALNUM[b % ALNUM.length]).join('');
}

function shortId(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 10);
}

export interface SecretValue {
  readonly arn: string;
  /** The SecretString. */
  readonly value: string;
}

export class TwinWorld {
  readonly intrinsics: Intrinsics;
  private readonly secrets = new Map<string, SecretValue>();
  private readonly accessKeys = new Map<string, { id: string; secret: string }>();

  constructor(readonly stack: SynthesizedStack) {
    this.intrinsics = new Intrinsics(stack.template, { region: stack.region, account: stack.account, stackName: stack.stackName }, (id, r) =>
      this.standIn(id, r),
    );
    // Generated secrets first: attachments and dynamic references read them.
    for (const [id, r] of Object.entries(stack.template.Resources)) if (r.Type === 'AWS::SecretsManager::Secret') this.generateSecret(id, r);
  }

  get template(): Template {
    return this.stack.template;
  }

  private get regionCode(): string {
    const [geo, dir, n] = this.stack.region.split('-') as [string, string, string];
    return `${geo}${dir[0]}${n}`;
  }

  standIn(id: string, r: TemplateResource): StandIn | undefined {
    const p = r.Properties ?? {};
    const lower = id.toLowerCase();
    const arn = (service: string, resource: string) => `arn:aws:${service}:${this.stack.region}:${this.stack.account}:${resource}`;
    switch (r.Type) {
      case 'AWS::RDS::DBCluster': {
        const cluster = `${this.stack.stackName}-${lower}`.slice(0, 63);
        const port = String(p.Port ?? 3306);
        return {
          ref: cluster,
          attributes: {
            'Endpoint.Address': `${cluster}.cluster-${shortId(this.stack.account)}.${this.stack.region}.rds.amazonaws.com`,
            'Endpoint.Port': port,
            'ReadEndpoint.Address': `${cluster}.cluster-ro-${shortId(this.stack.account)}.${this.stack.region}.rds.amazonaws.com`,
            DBClusterArn: arn('rds', `cluster:${cluster}`),
          },
        };
      }
      case 'AWS::ElastiCache::ReplicationGroup': {
        const group = String(p.ReplicationGroupId ?? `${this.stack.stackName}-${shortId(id)}`).toLowerCase();
        const port = String(p.Port ?? 6379);
        return {
          ref: group,
          attributes: {
            'PrimaryEndPoint.Address': `master.${group}.${shortId(id).slice(0, 6)}.${this.regionCode}.cache.amazonaws.com`,
            'PrimaryEndPoint.Port': port,
            'ReaderEndPoint.Address': `replica.${group}.${shortId(id).slice(0, 6)}.${this.regionCode}.cache.amazonaws.com`,
            'ReaderEndPoint.Port': port,
          },
        };
      }
      case 'AWS::SecretsManager::Secret':
        return { ref: this.secretArn(id) };
      case 'AWS::SecretsManager::SecretTargetAttachment':
        return { ref: this.intrinsics.string(p.SecretId, `${id}.SecretId`) };
      case 'AWS::S3::Bucket': {
        const name = `${this.stack.stackName}-${lower}`.replace(/[^a-z0-9-]/g, '').slice(0, 63);
        return {
          ref: name,
          attributes: {
            Arn: `arn:aws:s3:::${name}`,
            DomainName: `${name}.s3.amazonaws.com`,
            RegionalDomainName: `${name}.s3.${this.stack.region}.amazonaws.com`,
          },
        };
      }
      case 'AWS::EFS::FileSystem':
        return { ref: `fs-${shortId(id).slice(0, 8)}`, attributes: { Arn: arn('elasticfilesystem', `file-system/fs-${shortId(id).slice(0, 8)}`) } };
      case 'AWS::EFS::AccessPoint':
        return { ref: `fsap-${shortId(id)}`, attributes: { Arn: arn('elasticfilesystem', `access-point/fsap-${shortId(id)}`) } };
      case 'AWS::EC2::VPC':
        return { ref: `vpc-${shortId(id)}`, attributes: { CidrBlock: String(p.CidrBlock) } };
      case 'AWS::Logs::LogGroup':
        return { ref: String(p.LogGroupName ?? `${this.stack.stackName}-${id}`), attributes: { Arn: arn('logs', `log-group:${this.stack.stackName}-${id}`) } };
      case 'AWS::IAM::AccessKey': {
        // Stable for the twin's life: the key secret and the derived SMTP credentials both use it.
        const key = this.accessKeys.get(id) ?? { id: `AKIA${password(16).toUpperCase()}`, secret: password(40) };
        this.accessKeys.set(id, key);
        return { ref: key.id, attributes: { SecretAccessKey: key.secret } };
      }
      case 'AWS::IAM::Role':
        return { ref: `${this.stack.stackName}-${id}`, attributes: { Arn: `arn:aws:iam::${this.stack.account}:role/${this.stack.stackName}-${id}` } };
      default:
        return undefined;
    }
  }

  private secretArn(id: string): string {
    return `arn:aws:secretsmanager:${this.stack.region}:${this.stack.account}:secret:${this.stack.stackName}${id}-Tw1n`;
  }

  private generateSecret(id: string, r: TemplateResource): void {
    const g = r.Properties?.GenerateSecretString;
    let value: string;
    // A SecretString may be built from other resources' attributes (an access key CloudFormation writes in).
    if (r.Properties?.SecretString !== undefined) value = this.intrinsics.string(r.Properties.SecretString, `${id}.SecretString`);
    else if (g?.GenerateStringKey)
      value = JSON.stringify({ ...JSON.parse(g.SecretStringTemplate ?? '{}'), [g.GenerateStringKey]: password(g.PasswordLength ?? 32) });
    else value = password(g?.PasswordLength ?? 32);
    this.secrets.set(this.secretArn(id), { arn: this.secretArn(id), value });
  }

  /**
   * What the stack's custom resources do before any task starts, done by their own handlers:
   * Custom::SesSmtpCredentials derives the SES SMTP credentials from the SMTP user's access key
   * secret into the secret the tasks read (src/aws/mail/smtp-credentials-handler), with the
   * stand-in secrets in place of Secrets Manager.
   */
  async runCustomResources(): Promise<void> {
    for (const [id, r] of Object.entries(this.stack.template.Resources)) {
      if (r.Type !== 'Custom::SesSmtpCredentials') continue;
      const { makeHandler } = await import('../../../src/aws/mail/smtp-credentials-handler/index.mjs');
      const props = Object.fromEntries(
        Object.entries(r.Properties ?? {})
          .filter(([k]) => k !== 'ServiceToken')
          .map(([k, v]) => [k, this.intrinsics.string(v, `${id}.${k}`)]),
      );
      const handler = makeHandler(
        {
          secrets: {
            getSecretValue: async ({ SecretId }) => ({ SecretString: this.secretFor(SecretId) }),
            putSecretValue: async ({ SecretId, SecretString }) => {
              if (!this.secrets.has(SecretId)) throw new Error(`no stand-in secret ${SecretId}`);
              this.secrets.set(SecretId, { arn: SecretId, value: SecretString });
            },
          },
        },
        () => {},
      );
      await handler({ RequestType: 'Create', ResourceProperties: props });
    }
  }

  /** The value ECS injects for a secret's ValueFrom: "<arn>" or "<arn>:<json-key>:<stage>:<version>". */
  secretFor(valueFrom: string): string {
    for (const s of this.secrets.values()) {
      if (valueFrom === s.arn) return s.value;
      if (valueFrom.startsWith(`${s.arn}:`)) {
        const [key, stage, version] = valueFrom.slice(s.arn.length + 1).split(':');
        if (stage || version) throw new Error(`secret ${valueFrom}: version stages/ids are not stood in`);
        const json = JSON.parse(s.value) as Record<string, unknown>;
        if (!key) return s.value;
        if (!(key in json)) throw new Error(`secret ${s.arn} has no JSON key "${key}" (keys: ${Object.keys(json).join(', ')})`);
        return String(json[key]);
      }
    }
    throw new Error(`no stand-in secret for ValueFrom ${valueFrom}`);
  }

  /** The secret value a resource's {{resolve:secretsmanager:…}} reference stands for. */
  resolveDynamic(text: string): string {
    return text.replace(
      /\{\{resolve:secretsmanager:(arn:[^:]+:secretsmanager:[^:]+:\d+:secret:[^:}]+)(?::SecretString:([^:}]*):([^:}]*):([^:}]*))?\}\}/g,
      (_, arn: string, key?: string) => this.secretFor(key ? `${arn}:${key}` : arn),
    );
  }

  /** Resolves a resource property that may embed a {{resolve:…}} reference (not allowed in task settings). */
  resolveWithSecrets(value: unknown, where: string): string {
    const joined = JSON.stringify(value).replace(/\{\{resolve:/g, '{{twin-resolve:');
    const resolved = this.intrinsics.string(JSON.parse(joined), where);
    return this.resolveDynamic(resolved.replace(/\{\{twin-resolve:/g, '{{resolve:'));
  }
}
