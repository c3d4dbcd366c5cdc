// Generated secrets of a local cluster: made on first `up`, kept in the cluster's state folder
// (folder 0700, files 0600), never printed, never put in an image or a plain environment variable.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePassword } from '../util/password.ts';
import { clusterStateDir } from '../util/paths.ts';

export const SECRET_NAMES = ['db-password', 'redis-password', 'admin-password'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];
export type Secrets = Readonly<Record<SecretName, string>>;

export function secretsDir(cluster: string): string {
  return join(clusterStateDir(cluster), 'secrets');
}

export function secretFile(cluster: string, name: SecretName): string {
  return join(secretsDir(cluster), name);
}

/** Reads the cluster's secrets, generating any that are missing. */
export function ensureSecrets(cluster: string): Secrets {
  const dir = secretsDir(cluster);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const out: Partial<Record<SecretName, string>> = {};
  for (const name of SECRET_NAMES) {
    const file = join(dir, name);
    if (!existsSync(file)) writeFileSync(file, generatePassword(), { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    out[name] = readFileSync(file, 'utf8').trim();
  }
  return out as Secrets;
}

export function hasSecrets(cluster: string): boolean {
  return existsSync(secretFile(cluster, 'db-password'));
}

export function removeSecrets(cluster: string): void {
  rmSync(clusterStateDir(cluster), { recursive: true, force: true });
}
