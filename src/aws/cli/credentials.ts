// Whether AWS credentials can be found without calling AWS: the places the AWS SDK's default
// chain reads, short of the EC2 instance metadata service (which needs the network).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../util/errors.ts';

/** Where credentials were found, or undefined. */
export function findCredentials(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string | undefined {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return 'AWS_ACCESS_KEY_ID';
  if (env.AWS_PROFILE) return `profile ${env.AWS_PROFILE}`;
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) return 'web identity token';
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) return 'container credentials';
  const credentialsFile = env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials');
  const configFile = env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config');
  if (existsSync(credentialsFile)) return credentialsFile;
  if (existsSync(configFile)) return configFile;
  if (env.MOODLE_HA_AWS_INSTANCE_ROLE === '1') return 'instance role';
  return undefined;
}

export const CREDENTIALS_HELP =
  'set AWS_PROFILE to a profile from `aws configure` or `aws configure sso` (then `aws sso login`), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys); on an EC2 instance with a role, set MOODLE_HA_AWS_INSTANCE_ROLE=1';

/** Throws a UserError saying what to set when no credentials can be found. */
export function requireCredentials(command: string, env: NodeJS.ProcessEnv = process.env, home?: string): string {
  const found = findCredentials(env, home);
  if (!found) {
    throw new UserError(
      `"moodle-ha ${command}" talks to AWS but no AWS credentials were found: ${CREDENTIALS_HELP}. ("moodle-ha synth" works without credentials.)`,
    );
  }
  return found;
}

/** Output of the cdk CLI that means the credentials are missing, expired or wrong. */
export function looksLikeCredentialFailure(output: string): boolean {
  return /Unable to resolve AWS account|Need to perform AWS calls|Could not load credentials|ExpiredToken|InvalidClientTokenId|UnrecognizedClientException|security token included in the request is (invalid|expired)|SSO session .* (expired|invalid)/i.test(
    output,
  );
}
