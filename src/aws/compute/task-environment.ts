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
  readonly dbPort: number;
  readonly dbName: string;
  readonly dbUser: string;
  readonly redisHost: string;
  readonly redisPort: number;
  readonly configBundleUri: string;
  readonly phpMemoryLimit: string;
  readonly fpmWorkers: number;
  readonly maxUpload: string;
  readonly adminUser: string;
  readonly adminEmail: string;
  readonly siteFullName: string;
  readonly siteShortName: string;
  readonly secrets: {
    readonly dbPassword: ecs.Secret;
    readonly redisPassword: ecs.Secret;
    readonly adminPassword: ecs.Secret;
  };
}

export interface ContainerSettings {
  readonly environment: Record<string, string>;
  readonly secrets: Record<string, ecs.Secret>;
}

/** Plain values AWS supplies, by contract name. */
function plainValues(f: TaskFacts): Record<string, string> {
  return {
    MOODLE_WWWROOT: f.wwwroot,
    MOODLE_SSLPROXY: 'true',
    MOODLE_DB_TYPE: 'auroramysql',
    MOODLE_DB_HOST: f.dbHost,
    MOODLE_DB_PORT: String(f.dbPort),
    MOODLE_DB_NAME: f.dbName,
    MOODLE_DB_USER: f.dbUser,
    MOODLE_DB_TLS: 'require',
    MOODLE_REDIS_HOST: f.redisHost,
    MOODLE_REDIS_PORT: String(f.redisPort),
    MOODLE_REDIS_TLS: 'true',
    MOODLE_DATAROOT: RUNTIME_IMAGE.sharedDataDir,
    MOODLE_CONFIG_BUNDLE: f.configBundleUri,
    MOODLE_PHP_MEMORY_LIMIT: f.phpMemoryLimit,
    MOODLE_FPM_WORKERS: String(f.fpmWorkers),
    MOODLE_MAX_UPLOAD: f.maxUpload,
    MOODLE_OPCACHE_VALIDATE: 'false',
    MOODLE_ADMIN_USER: f.adminUser,
    MOODLE_ADMIN_EMAIL: f.adminEmail,
    MOODLE_SITE_FULLNAME: f.siteFullName,
    MOODLE_SITE_SHORTNAME: f.siteShortName,
  };
}

function secretValues(f: TaskFacts): Record<string, ecs.Secret> {
  return {
    MOODLE_DB_PASSWORD: f.secrets.dbPassword,
    MOODLE_REDIS_PASSWORD: f.secrets.redisPassword,
    MOODLE_ADMIN_PASSWORD: f.secrets.adminPassword,
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
      else missing.push(v.name);
    } else {
      const value = plain[v.name] ?? v.default;
      if (value === undefined) missing.push(v.name);
      else environment[v.name] = value;
    }
  }
  if (missing.length) throw new Error(`the contract declares ${missing.join(', ')} for mode ${mode} but the AWS target has no value: add ${missing.length > 1 ? 'them' : 'it'} to src/aws/compute/task-environment.ts`);
  const problems = checkEnvironment(mode, environment, Object.keys(secrets));
  if (problems.length) throw new Error(`the ${mode} task would break the image's env contract:\n  ${problems.join('\n  ')}`);
  return { environment, secrets };
}
