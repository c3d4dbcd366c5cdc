// The local cluster's services, as container definitions derived from the spec: MariaDB, Redis,
// the web nodes, cron, the migrate run and HAProxy. The web, cron and migrate environments are
// built from the image's contract (src/contract/env.ts) and checked against it.
import { checkEnvironment, FILE_SUFFIX } from '../contract/env.ts';
import { RUNTIME_IMAGE, type ImageMode } from '../contract/image.ts';
import type { Spec } from '../spec/schema.ts';
import { toMiB } from '../spec/units.ts';
import type { ArchiveFile } from './archive.ts';
import type { ContainerSpec } from './containers.ts';
import { timeoutChain } from '../contract/timeouts.ts';
import { cacheEndpoint, DB_READER_PORT } from './endpoints.ts';
import { LB_PORT, LB_STATS_PORT, lbConfigFile } from './haproxy.ts';
import { clusterNames } from './names.ts';
import { mailSmtp } from './mail.ts';
import { siteMail } from '../spec/mail.ts';
import type { Secrets } from './secrets.ts';

export interface ImageTags {
  readonly runtime: string;
  readonly mariadb: string;
  readonly redis: string;
  readonly haproxy: string;
  /** The mail catcher (MailDev). */
  readonly mail: string;
}

export const DB_USER = 'moodle';
export const DB_NAME = 'moodle';
const SECRETS = RUNTIME_IMAGE.secretsDir;

export function secretFiles(secrets: Secrets, names: ReadonlyArray<keyof Secrets>, uid: number, gid: number, dir: string): ArchiveFile[] {
  return names.map((n) => ({ name: `${dir}/${n}`, content: secrets[n], mode: 0o400, uid, gid }));
}

/** The contract environment for a runtime container in a mode (secrets as _FILE paths). */
export function runtimeEnv(spec: Spec, mode: ImageMode): Record<string, string> {
  const n = clusterNames(spec.name);
  const cache = cacheEndpoint(spec);
  // HAProxy in front, no edge: the chain's no-CloudFront values (src/contract/timeouts.ts).
  const chain = timeoutChain();
  const smtp = mailSmtp(spec);
  const mail = siteMail(spec);
  const env: Record<string, string> = {
    MOODLE_WWWROOT: spec.site.url,
    MOODLE_SSLPROXY: 'false',
    MOODLE_DB_TYPE: 'mariadb',
    MOODLE_DB_HOST: n.dbWriter,
    MOODLE_DB_NAME: DB_NAME,
    MOODLE_DB_USER: DB_USER,
    MOODLE_DB_PASSWORD_FILE: `${SECRETS}/db-password`,
    MOODLE_REDIS_HOST: n.redisPrimary,
    MOODLE_REDIS_PASSWORD_FILE: `${SECRETS}/redis-password`,
    // The caches' own server (same password): cache pressure never evicts a session.
    MOODLE_CACHE_REDIS_HOST: cache.host,
    MOODLE_CACHE_REDIS_PORT: String(cache.port),
    MOODLE_PHP_MEMORY_LIMIT: `${toMiB(spec.web.phpMemory)}M`,
    MOODLE_SESSION_LOCK_WAIT: String(chain.sessionLockWait),
    // Every message goes to the cluster's mail catcher (src/local/mail.ts), plain SMTP inside the network.
    MOODLE_SMTP_HOST: smtp.host,
    MOODLE_SMTP_PORT: String(smtp.port),
    MOODLE_SMTP_SECURITY: 'none',
    MOODLE_NOREPLY_ADDRESS: mail.noreplyAddress,
    MOODLE_MAIL_DOMAIN: mail.domain,
  };
  if (spec.configBundle) env.MOODLE_CONFIG_BUNDLE = RUNTIME_IMAGE.configBundleDir;
  // Migrate never reads a replica (an upgrade reads what it just wrote).
  if (spec.profile === 'ha' && spec.database.reader && mode !== 'migrate') {
    env.MOODLE_DB_READ_HOST = n.dbReader;
    env.MOODLE_DB_READ_PORT = String(DB_READER_PORT);
  }
  if (mode === 'web') {
    env.MOODLE_KEEPALIVE_TIMEOUT = String(chain.webKeepalive);
    env.MOODLE_FPM_WORKERS = String(spec.web.fpmWorkers);
    env.MOODLE_MAX_UPLOAD = `${toMiB(spec.web.maxUpload)}M`;
  }
  if (mode === 'migrate') {
    Object.assign(env, {
      MOODLE_ADMIN_USER: spec.site.adminUser,
      MOODLE_ADMIN_PASSWORD_FILE: `${SECRETS}/admin-password`,
      MOODLE_ADMIN_EMAIL: spec.site.adminEmail,
      MOODLE_SITE_FULLNAME: spec.site.fullName,
      MOODLE_SITE_SHORTNAME: spec.site.shortName,
      MOODLE_SUPPORT_EMAIL: spec.site.supportEmail ?? spec.site.adminEmail,
      MOODLE_TIMEZONE: spec.site.timezone,
      MOODLE_LANG: spec.site.lang,
      ...(spec.site.country ? { MOODLE_COUNTRY: spec.site.country } : {}),
    });
  }
  const problems = checkEnvironment(mode, env);
  if (problems.length) throw new Error(`bug: the ${mode} environment breaks the image contract: ${problems.join('; ')}`);
  return env;
}

export function runtimeContainer(
  spec: Spec,
  tags: ImageTags,
  secrets: Secrets,
  mode: ImageMode,
  index = 1,
  bundleFiles: readonly ArchiveFile[] = [],
): ContainerSpec {
  const n = clusterNames(spec.name);
  const env = runtimeEnv(spec, mode);
  const needed = Object.keys(env)
    .filter((k) => k.endsWith(FILE_SUFFIX))
    .map((k) => env[k]!.split('/').pop() as keyof Secrets);
  const name = mode === 'web' ? n.container('web', index) : n.container(mode);
  return {
    name,
    cluster: spec.name,
    service: mode,
    image: tags.runtime,
    cmd: [mode],
    env,
    network: n.network,
    volumes: { [n.volumes.moodledata]: RUNTIME_IMAGE.sharedDataDir },
    files: [...secretFiles(secrets, needed, RUNTIME_IMAGE.uid, RUNTIME_IMAGE.gid, SECRETS), ...bundleFiles],
    memoryBytes: mode === 'web' ? spec.web.memory.bytes : undefined,
    stopTimeoutSeconds: mode === 'web' ? RUNTIME_IMAGE.drainSeconds + 5 : 30,
    restart: mode === 'migrate' ? 'no' : 'unless-stopped',
  };
}

/** The first `count` web nodes' container names (web-1, web-2, …). */
export function webNodeNames(spec: Spec, count: number): string[] {
  const n = clusterNames(spec.name);
  return Array.from({ length: count }, (_, i) => n.container('web', i + 1));
}

export function lbContainer(spec: Spec, tags: ImageTags, webNodes: number, haproxyUid: number): ContainerSpec {
  const n = clusterNames(spec.name);
  const servers = webNodeNames(spec, webNodes);
  return {
    name: n.container('lb'),
    cluster: spec.name,
    service: 'lb',
    image: tags.haproxy,
    network: n.network,
    // The server list changes with scaling: a running LB is reconfigured, never recreated.
    liveFiles: [lbConfigFile(spec, servers, haproxyUid)],
    ports: [
      { container: LB_PORT, host: spec.ports.http, bind: spec.ports.bind },
      { container: LB_STATS_PORT, host: spec.ports.stats, bind: '127.0.0.1' },
    ],
    stopTimeoutSeconds: 10,
  };
}
