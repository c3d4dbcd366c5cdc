// What each container mode gets: plain settings as environment variables and secrets as ECS
// secrets, both picked from the image's env contract (src/contract/env.ts) so a task never passes
// a name the image does not read, and never a secret as a plain value. The local cluster picks
// from the same contract.
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import { checkEnvironment, varsForMode } from '../../contract/env.ts';
import { RUNTIME_IMAGE, type ImageMode } from '../../contract/image.ts';

/** The facts of one AWS deployment that end up in containers. */
export interface TaskFacts {
  readonly wwwroot: string;
  readonly dbHost: string;
  /** Aurora's reader endpoint, when the cluster has readers. @default - every query to the writer */
  readonly dbReadHost?: string;
  readonly dbPort: number;
  readonly dbName: string;
  readonly dbUser: string;
  /** The sessions' replication group (never evicts). */
  readonly redisHost: string;
  readonly redisPort: number;
  /** The caches' replication group (LRU). */
  readonly cacheHost: string;
  readonly cachePort: number;
  /** The config bundle: its S3 URI (which names its digest), the digest and the bucket's region. @default - no bundle */
  readonly configBundle?: { readonly uri: string; readonly digest: string; readonly region: string };
  readonly phpMemoryLimit: string;
  readonly fpmWorkers: number;
  readonly maxUpload: string;
  /** nginx keepalive_timeout and the session lock wait (src/contract/timeouts.ts). */
  readonly keepaliveSeconds: number;
  readonly sessionLockWaitSeconds: number;
  /** The load balancer's addresses (the VPC's CIDR), and where the viewer's address comes from. */
  readonly trustedProxies: string;
  readonly clientIpHeader: 'x-forwarded-for' | 'cloudfront-viewer-address';
  readonly adminUser: string;
  readonly adminEmail: string;
  readonly siteFullName: string;
  readonly siteShortName: string;
  /** The settings migrate writes so no "New settings" page follows the install. */
  readonly siteDefaults: { readonly supportEmail?: string; readonly timezone: string; readonly country?: string; readonly lang: string };
  /** Outgoing mail (Amazon SES over SMTP). @default - no SMTP server */
  readonly mail?: {
    readonly host: string;
    readonly port: number;
    readonly security: 'none' | 'starttls' | 'tls';
    readonly noreplyAddress: string;
    readonly domain: string;
    readonly user: ecs.Secret;
    readonly password: ecs.Secret;
  };
  readonly secrets: {
    readonly dbPassword: ecs.Secret;
    readonly redisPassword: ecs.Secret;
    readonly cachePassword: ecs.Secret;
    readonly adminPassword: ecs.Secret;
  };
}

export interface ContainerSettings {
  readonly environment: Record<string, string>;
  readonly secrets: Record<string, ecs.Secret>;
}

/**
 * Plain values AWS supplies, by contract name: every name of the contract is here (undefined: not
 * set, so the image's default or "unset" meaning applies), so a name added to the contract fails
 * the synth until the AWS target decides its value.
 */
function plainValues(f: TaskFacts): Record<string, string | undefined> {
  return {
    MOODLE_WWWROOT: f.wwwroot,
    MOODLE_SSLPROXY: 'true',
    MOODLE_DB_TYPE: 'auroramysql',
    MOODLE_DB_HOST: f.dbHost,
    MOODLE_DB_PORT: String(f.dbPort),
    // Aurora's reader endpoint spreads connections over the readers; the same port and certificate.
    MOODLE_DB_READ_HOST: f.dbReadHost,
    MOODLE_DB_READ_PORT: undefined,
    MOODLE_DB_NAME: f.dbName,
    MOODLE_DB_USER: f.dbUser,
    // Aurora's certificate, checked against the RDS CA bundle in the image and the endpoint's name.
    MOODLE_DB_TLS: 'verify-full',
    MOODLE_DB_TLS_CA: RUNTIME_IMAGE.trust.database,
    MOODLE_DB_PREFIX: undefined,
    MOODLE_REDIS_HOST: f.redisHost,
    MOODLE_REDIS_PORT: String(f.redisPort),
    MOODLE_REDIS_TLS: 'true',
    MOODLE_REDIS_TLS_CA: RUNTIME_IMAGE.trust.cache,
    MOODLE_REDIS_PREFIX: undefined,
    MOODLE_CACHE_REDIS_HOST: f.cacheHost,
    MOODLE_CACHE_REDIS_PORT: String(f.cachePort),
    MOODLE_CACHE_REDIS_TLS: 'true',
    MOODLE_DATAROOT: RUNTIME_IMAGE.sharedDataDir,
    MOODLE_LOCALCACHEDIR: undefined,
    MOODLE_CONFIG_BUNDLE: f.configBundle?.uri,
    MOODLE_CONFIG_BUNDLE_REGION: f.configBundle?.region,
    MOODLE_CONFIG_BUNDLE_SHA256: f.configBundle?.digest,
    MOODLE_PHP_MEMORY_LIMIT: f.phpMemoryLimit,
    MOODLE_SESSION_LOCK_WAIT: String(f.sessionLockWaitSeconds),
    MOODLE_FPM_WORKERS: String(f.fpmWorkers),
    MOODLE_MAX_UPLOAD: f.maxUpload,
    MOODLE_OPCACHE_VALIDATE: 'false',
    MOODLE_KEEPALIVE_TIMEOUT: String(f.keepaliveSeconds),
    // The image's own (IMAGE_TIMEOUTS.warmUp): a new task warms before its target's 3 checks fail.
    MOODLE_WARM_SECONDS: undefined,
    MOODLE_TRUSTED_PROXIES: f.trustedProxies,
    MOODLE_CLIENT_IP_HEADER: f.clientIpHeader,
    MOODLE_ADMIN_USER: f.adminUser,
    MOODLE_ADMIN_EMAIL: f.adminEmail,
    MOODLE_SITE_FULLNAME: f.siteFullName,
    MOODLE_SITE_SHORTNAME: f.siteShortName,
    MOODLE_SUPPORT_EMAIL: f.siteDefaults.supportEmail,
    MOODLE_TIMEZONE: f.siteDefaults.timezone,
    MOODLE_COUNTRY: f.siteDefaults.country,
    MOODLE_LANG: f.siteDefaults.lang,
    MOODLE_SMTP_HOST: f.mail?.host,
    MOODLE_SMTP_PORT: f.mail ? String(f.mail.port) : undefined,
    MOODLE_SMTP_SECURITY: f.mail?.security,
    MOODLE_NOREPLY_ADDRESS: f.mail?.noreplyAddress,
    MOODLE_MAIL_DOMAIN: f.mail?.domain,
    MOODLE_MIGRATE_LOCK_TIMEOUT: undefined,
    // Maintenance stays on after an upgrade until every web task runs the new image (finish step).
    MOODLE_MIGRATE_MAINTENANCE: 'keep',
    MOODLE_CRON_KEEPALIVE: undefined,
  };
}

/** Secrets AWS supplies, by contract name; every secret of the contract is here (undefined: not given). */
function secretValues(f: TaskFacts): Record<string, ecs.Secret | undefined> {
  return {
    MOODLE_DB_PASSWORD: f.secrets.dbPassword,
    MOODLE_REDIS_PASSWORD: f.secrets.redisPassword,
    MOODLE_CACHE_REDIS_PASSWORD: f.secrets.cachePassword,
    MOODLE_ADMIN_PASSWORD: f.secrets.adminPassword,
    MOODLE_SMTP_USER: f.mail?.user,
    MOODLE_SMTP_PASSWORD: f.mail?.password,
  };
}

/**
 * The environment and secrets of one mode: every variable the contract declares for the mode, with
 * the AWS value or else the contract's default, so the image never falls back to a guess; checked
 * against the contract.
 */
export function containerSettings(mode: ImageMode, facts: TaskFacts): ContainerSettings {
  const plain = plainValues(facts);
  const secret = secretValues(facts);
  const environment: Record<string, string> = {};
  const secrets: Record<string, ecs.Secret> = {};
  const missing: string[] = [];
  for (const v of varsForMode(mode)) {
    if (v.secret) {
      if (secret[v.name]) secrets[v.name] = secret[v.name]!;
      else if (v.required || !(v.name in secret)) missing.push(v.name);
    } else if (!(v.name in plain)) {
      missing.push(v.name);
    } else {
      const value = plain[v.name] ?? v.default;
      if (value !== undefined) environment[v.name] = value;
      else if (v.required) missing.push(v.name);
    }
  }
  if (missing.length)
    throw new Error(
      `the contract declares ${missing.join(', ')} for mode ${mode} but the AWS target has no value: add ${missing.length > 1 ? 'them' : 'it'} to src/aws/compute/task-environment.ts`,
    );
  const problems = checkEnvironment(mode, environment, Object.keys(secrets));
  if (problems.length) throw new Error(`the ${mode} task would break the image's env contract:\n  ${problems.join('\n  ')}`);
  return { environment, secrets };
}
