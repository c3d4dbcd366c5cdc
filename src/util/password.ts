// Generated passwords: for a cluster's secrets and for the load generator's test users alike.
import { randomBytes } from 'node:crypto';

/** 24 random bytes as URL-safe base64 (32 characters): letters, digits, "-" and "_". */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}
