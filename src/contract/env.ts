// The runtime image's environment contract, declared once. The image's config.php and scripts
// read exactly these variables; the local orchestrator and the CDK task definitions pass exactly
// these; docs/env.md is generated from this list (a test checks all three agree).
import type { ImageMode } from './image.ts';
import { RUNTIME_IMAGE } from './image.ts';
import { IMAGE_TIMEOUTS, timeoutChain } from './timeouts.ts';

export interface EnvVar {
  readonly name: string;
  readonly description: string;
  /** Modes whose container reads the variable. */
  readonly modes: readonly ImageMode[];
  /** Must be set (for a secret: either NAME or NAME_FILE). */
  readonly required: boolean;
  /** Value used when unset (as the image applies it). */
  readonly default?: string;
  /**
   * A secret: never baked into the image or put in a plain environment variable of a task.
   * Given as NAME (ECS injects it from Secrets Manager) or as NAME_FILE, a path to a file that
   * holds it (how the local cluster passes it).
   */
  readonly secret?: boolean;
  /** Allowed values, when the set is closed. */
  readonly values?: readonly string[];
}

const ALL: readonly ImageMode[] = ['web', 'migrate', 'cron'];

export const ENV_CONTRACT: readonly EnvVar[] = [
  { name: 'MOODLE_WWWROOT', modes: ALL, required: true, description: 'Public URL of the site ($CFG->wwwroot), the same on every node.' },
  {
    name: 'MOODLE_SSLPROXY',
    modes: ALL,
    required: false,
    default: 'false',
    values: ['true', 'false'],
    description: 'true when the load balancer terminates TLS ($CFG->sslproxy); the site is then https-only.',
  },
  {
    name: 'MOODLE_DB_TYPE',
    modes: ALL,
    required: false,
    default: 'mariadb',
    values: ['mariadb', 'mysqli', 'auroramysql'],
    description: 'Moodle database driver ($CFG->dbtype).',
  },
  { name: 'MOODLE_DB_HOST', modes: ALL, required: true, description: 'Database writer endpoint (host name).' },
  { name: 'MOODLE_DB_PORT', modes: ALL, required: false, default: '3306', description: 'Database port.' },
  {
    name: 'MOODLE_DB_READ_HOST',
    modes: ['web', 'cron'],
    required: false,
    description:
      "Database reader endpoint ($CFG->dboptions['readonly']): Moodle sends a request's SELECTs there, except on tables the request wrote in the last second, transactions, locks and sessions. Migrate never uses it. Unset: every query goes to the writer.",
  },
  { name: 'MOODLE_DB_READ_PORT', modes: ['web', 'cron'], required: false, description: "The reader endpoint's port. Unset: MOODLE_DB_PORT." },
  { name: 'MOODLE_DB_NAME', modes: ALL, required: false, default: 'moodle', description: 'Database name.' },
  { name: 'MOODLE_DB_USER', modes: ALL, required: false, default: 'moodle', description: 'Database user.' },
  { name: 'MOODLE_DB_PASSWORD', modes: ALL, required: true, secret: true, description: 'Database password.' },
  {
    name: 'MOODLE_DB_TLS',
    modes: ALL,
    required: false,
    default: 'off',
    values: ['off', 'require', 'verify-full'],
    description:
      "TLS to the database ($CFG->dboptions['ssl']): verify-full checks the server's certificate against MOODLE_DB_TLS_CA and its name against MOODLE_DB_HOST.",
  },
  {
    name: 'MOODLE_DB_TLS_CA',
    modes: ALL,
    required: false,
    default: RUNTIME_IMAGE.trust.database,
    description: "CA bundle the database's certificate must chain to with MOODLE_DB_TLS=verify-full (the image ships Amazon RDS's global bundle).",
  },
  { name: 'MOODLE_DB_PREFIX', modes: ALL, required: false, default: 'mdl_', description: 'Table prefix.' },
  {
    name: 'MOODLE_REDIS_HOST',
    modes: ALL,
    required: true,
    description:
      'Redis primary endpoint for sessions and their locks (and the MUC caches unless MOODLE_CACHE_REDIS_HOST is set). Should never evict (noeviction): an evicted session logs its user out.',
  },
  { name: 'MOODLE_REDIS_PORT', modes: ALL, required: false, default: '6379', description: 'Redis port.' },
  { name: 'MOODLE_REDIS_PASSWORD', modes: ALL, required: false, secret: true, description: 'Redis AUTH password (empty: no AUTH).' },
  {
    name: 'MOODLE_REDIS_TLS',
    modes: ALL,
    required: false,
    default: 'false',
    values: ['true', 'false'],
    description:
      "TLS to Redis (required by ElastiCache with in-transit encryption); the server's certificate is checked against MOODLE_REDIS_TLS_CA and its name.",
  },
  {
    name: 'MOODLE_REDIS_TLS_CA',
    modes: ALL,
    required: false,
    default: RUNTIME_IMAGE.trust.cache,
    description:
      "CA bundle the Redis servers' certificates must chain to with TLS (the image ships Amazon Trust Services' roots, which sign ElastiCache's certificates).",
  },
  { name: 'MOODLE_REDIS_PREFIX', modes: ALL, required: false, default: 'mdl', description: 'Key prefix in Redis (at most 5 characters; the MUC store limit).' },
  {
    name: 'MOODLE_CACHE_REDIS_HOST',
    modes: ALL,
    required: false,
    description:
      "Redis primary endpoint for the MUC application caches (the session caches are in the sessions), apart from the sessions' server (it may evict: allkeys-lru). Unset: the sessions' server.",
  },
  { name: 'MOODLE_CACHE_REDIS_PORT', modes: ALL, required: false, description: "Port of the caches' Redis. Unset: MOODLE_REDIS_PORT." },
  {
    name: 'MOODLE_CACHE_REDIS_PASSWORD',
    modes: ALL,
    required: false,
    secret: true,
    description: "AUTH password of the caches' Redis. Unset: MOODLE_REDIS_PASSWORD.",
  },
  { name: 'MOODLE_CACHE_REDIS_TLS', modes: ALL, required: false, values: ['true', 'false'], description: "TLS to the caches' Redis. Unset: MOODLE_REDIS_TLS." },
  {
    name: 'MOODLE_DATAROOT',
    modes: ALL,
    required: false,
    default: RUNTIME_IMAGE.sharedDataDir,
    description: 'Shared moodledata mount: dataroot, cachedir, tempdir and backuptempdir live under it.',
  },
  {
    name: 'MOODLE_LOCALCACHEDIR',
    modes: ALL,
    required: false,
    default: RUNTIME_IMAGE.localCacheDir,
    description: "The container's own disk: localcachedir and localrequestdir.",
  },
  {
    name: 'MOODLE_CONFIG_BUNDLE',
    modes: ALL,
    required: false,
    description: 'Config bundle loaded at start: a folder in the container, or s3://bucket/prefix (read with the task role).',
  },
  {
    name: 'MOODLE_CONFIG_BUNDLE_REGION',
    modes: ALL,
    required: false,
    description:
      "AWS region of an s3:// config bundle's bucket. Unset: AWS_REGION, then AWS_DEFAULT_REGION; with none of them the container refuses to start (it never guesses a region).",
  },
  {
    name: 'MOODLE_CONFIG_BUNDLE_SHA256',
    modes: ALL,
    required: false,
    description:
      "Digest of the bundle's files (src/contract/bundle.ts): the container refuses to start with a bundle whose files differ, so every task of one definition runs the same settings.",
  },
  { name: 'MOODLE_PHP_MEMORY_LIMIT', modes: ALL, required: false, default: '256M', description: 'PHP memory_limit.' },
  {
    name: 'MOODLE_SESSION_LOCK_WAIT',
    modes: ALL,
    required: false,
    default: '120',
    description:
      "Seconds a request waits for its user's session lock before Moodle's \"session busy\" page; shorter than the edge's timeout (src/contract/timeouts.ts).",
  },
  {
    name: 'MOODLE_SMTP_HOST',
    modes: ALL,
    required: false,
    description: "SMTP server Moodle sends mail through ($CFG->smtphosts, forced). Unset: Moodle's own PHP mail(), which the image cannot deliver: set it.",
  },
  { name: 'MOODLE_SMTP_PORT', modes: ALL, required: false, default: '25', description: 'SMTP port (587 for Amazon SES with STARTTLS).' },
  {
    name: 'MOODLE_SMTP_SECURITY',
    modes: ALL,
    required: false,
    default: 'none',
    values: ['none', 'starttls', 'tls'],
    description: 'none; starttls (STARTTLS on a plain port, e.g. 587); tls (TLS from the start, e.g. 465). The certificate is checked against the system CAs.',
  },
  { name: 'MOODLE_SMTP_USER', modes: ALL, required: false, secret: true, description: 'SMTP user name (unset: no authentication).' },
  { name: 'MOODLE_SMTP_PASSWORD', modes: ALL, required: false, secret: true, description: 'SMTP password.' },
  {
    name: 'MOODLE_NOREPLY_ADDRESS',
    modes: ALL,
    required: false,
    description: "The no-reply address Moodle sends from ($CFG->noreplyaddress, forced). Unset: noreply@ and the site's host name.",
  },
  {
    name: 'MOODLE_MAIL_DOMAIN',
    modes: ALL,
    required: false,
    description:
      "The domain Moodle may send mail as ($CFG->allowedemaildomains, forced): mail from other users' addresses goes out from the no-reply address. Unset: the site's host name.",
  },
  { name: 'MOODLE_FPM_WORKERS', modes: ['web'], required: false, default: '8', description: 'PHP-FPM workers (pm.max_children) per web container.' },
  {
    name: 'MOODLE_MAX_UPLOAD',
    modes: ['web'],
    required: false,
    default: '100M',
    description: 'Largest upload (PHP upload_max_filesize and post_max_size, nginx client_max_body_size).',
  },
  {
    name: 'MOODLE_OPCACHE_VALIDATE',
    modes: ['web'],
    required: false,
    default: 'false',
    values: ['true', 'false'],
    description: 'Check file timestamps in OPcache (false in production: the code is read-only).',
  },
  {
    name: 'MOODLE_KEEPALIVE_TIMEOUT',
    modes: ['web'],
    required: false,
    default: String(timeoutChain().webKeepalive),
    description:
      "Seconds nginx keeps an idle client connection (keepalive_timeout): longer than the load balancer's idle timeout, so it never reuses a connection nginx closed.",
  },
  {
    name: 'MOODLE_WARM_SECONDS',
    modes: ['web'],
    required: false,
    default: String(IMAGE_TIMEOUTS.warmUp),
    description:
      "Longest a starting web node warms its caches (the cluster's hot scripts into OPcache, strings, the login page's CSS and JavaScript) while /healthz and /readyz answer 503, so the load balancer sends it no user yet. A warm-up that fails or runs out of time is logged and the node serves cold; 0 turns it off.",
  },
  {
    name: 'MOODLE_TRUSTED_PROXIES',
    modes: ['web'],
    required: false,
    default: '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16',
    description: "Comma-separated CIDR ranges of the load balancer: only a peer in them is believed about the client's address.",
  },
  {
    name: 'MOODLE_CLIENT_IP_HEADER',
    modes: ['web'],
    required: false,
    default: 'x-forwarded-for',
    values: ['x-forwarded-for', 'cloudfront-viewer-address'],
    description:
      "Where the client's address comes from when a trusted proxy sends the request: the last untrusted X-Forwarded-For hop, or CloudFront-Viewer-Address (CloudFront in front).",
  },
  { name: 'MOODLE_ADMIN_USER', modes: ['migrate'], required: false, default: 'admin', description: 'Admin user created by the install.' },
  { name: 'MOODLE_ADMIN_PASSWORD', modes: ['migrate'], required: true, secret: true, description: 'Password of the admin user created by the install.' },
  { name: 'MOODLE_ADMIN_EMAIL', modes: ['migrate'], required: false, default: 'admin@example.invalid', description: 'E-mail address of the admin user.' },
  { name: 'MOODLE_SITE_FULLNAME', modes: ['migrate'], required: false, default: 'Moodle', description: 'Full site name set by the install.' },
  { name: 'MOODLE_SITE_SHORTNAME', modes: ['migrate'], required: false, default: 'moodle', description: 'Short site name set by the install.' },
  {
    name: 'MOODLE_SUPPORT_EMAIL',
    modes: ['migrate'],
    required: false,
    description: 'Support contact address (supportemail), set by migrate. Unset: MOODLE_ADMIN_EMAIL.',
  },
  { name: 'MOODLE_TIMEZONE', modes: ['migrate'], required: false, default: 'UTC', description: 'Default timezone of the site (timezone), set by migrate.' },
  { name: 'MOODLE_COUNTRY', modes: ['migrate'], required: false, description: 'Default country, ISO 3166 code (country), set by migrate.' },
  {
    name: 'MOODLE_LANG',
    modes: ['migrate'],
    required: false,
    default: 'en',
    description:
      'Default language of the site (lang), set by migrate once its language pack is there (in moodledata/lang, or fetched from download.moodle.org); a pack it cannot get leaves the language as it was, with a warning in the migrate log.',
  },
  {
    name: 'MOODLE_MIGRATE_LOCK_TIMEOUT',
    modes: ['migrate'],
    required: false,
    default: '1800',
    description: 'Seconds a migrate waits for the database lock held by another migrate.',
  },
  {
    name: 'MOODLE_MIGRATE_MAINTENANCE',
    modes: ['migrate'],
    required: false,
    default: 'release',
    values: ['release', 'keep'],
    description:
      'After an upgrade: release turns maintenance mode off at once; keep leaves it on for `migrate finish`, run once every web node runs the new code (AWS: after the web service rolled).',
  },
  {
    name: 'MOODLE_CRON_KEEPALIVE',
    modes: ['web', 'cron', 'migrate'],
    required: false,
    default: '300',
    description:
      'Seconds one cron.php process keeps running (--keep-alive) before the next starts (1 to 900). Every mode reads it: Moodle judges cron by how often a cron process starts, so config.php expects one every keep-alive + 60 s ($CFG->expectedcronfrequency), and the admin pages do not warn about a healthy cron.',
  },
];

/** Suffix of the variable that names a file holding a secret's value. */
export const FILE_SUFFIX = '_FILE';

export function varsForMode(mode: ImageMode): readonly EnvVar[] {
  return ENV_CONTRACT.filter((v) => v.modes.includes(mode));
}

/** Every variable name the image may read in a mode, counting each secret's _FILE form. */
export function acceptedNames(mode: ImageMode): string[] {
  return varsForMode(mode).flatMap((v) => (v.secret ? [v.name, v.name + FILE_SUFFIX] : [v.name]));
}

/**
 * Checks an environment a target is about to give a container: every name is declared for the
 * mode, every required variable is present (a secret as NAME or NAME_FILE), values are allowed.
 * Returns the problems found (empty when the environment keeps the contract).
 */
export function checkEnvironment(mode: ImageMode, env: Record<string, string>, secretNames: readonly string[] = []): string[] {
  const problems: string[] = [];
  const accepted = new Set(acceptedNames(mode));
  for (const name of [...Object.keys(env), ...secretNames]) {
    if (!accepted.has(name)) problems.push(`${name} is not in the image's contract for mode ${mode}`);
  }
  const given = new Set([...Object.keys(env), ...secretNames]);
  for (const v of varsForMode(mode)) {
    const has = given.has(v.name) || (v.secret === true && given.has(v.name + FILE_SUFFIX));
    if (v.required && !has) problems.push(`${v.name}${v.secret ? ` (or ${v.name}${FILE_SUFFIX})` : ''} is required in mode ${mode}`);
    if (v.secret && env[v.name] !== undefined)
      problems.push(`${v.name} is a secret: pass it as a secret or as ${v.name}${FILE_SUFFIX}, never as a plain value`);
    const value = env[v.name];
    if (value !== undefined && v.values && !v.values.includes(value)) problems.push(`${v.name}=${value} is not one of ${v.values.join(', ')}`);
  }
  return problems;
}
