// Types of the SMTP credentials handler (index.mjs), for the tests.
export interface SmtpCredentialsEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  PhysicalResourceId?: string;
  ResourceProperties: Record<string, any>;
  OldResourceProperties?: Record<string, any>;
}
export interface SecretsLike {
  getSecretValue(input: { SecretId: string }): Promise<{ SecretString?: string }>;
  putSecretValue(input: { SecretId: string; SecretString: string }): Promise<unknown>;
}
export const SMTP_PASSWORD_VERSION: number;
export function smtpPassword(secretAccessKey: string, region: string): string;
export function makeHandler(
  clients: { secrets: SecretsLike },
  log?: (line: string) => void,
): (event: SmtpCredentialsEvent) => Promise<{ PhysicalResourceId?: string }>;
export function onEvent(event: SmtpCredentialsEvent): Promise<unknown>;
