// The destination of cross-region copies (aws.backup.copyTo without a vaultArn): a stack in the
// copy region holding a vault and its own KMS key. A key of that region is needed: KMS keys do not
// leave their region, and AWS Backup re-encrypts the copies it makes of Aurora snapshots with the
// destination vault's key (AWS Backup developer guide, "Creating backup copies across AWS
// Regions"). Both are RETAIN: copies must outlive the main region and its stacks. The main stack
// refers to the vault by its ARN, built from the fixed name, so no cross-region reference is needed.
import { ArnFormat, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/** Name of the copy vault of a site. */
export function backupCopyVaultName(site: string): string {
  return `${site}-copies`;
}

/** ARN of the copy vault, in `region`, of the account `scope` deploys to. */
export function backupCopyVaultArn(scope: Construct, site: string, region: string): string {
  return Stack.of(scope).formatArn({
    service: 'backup',
    region,
    resource: 'backup-vault',
    resourceName: backupCopyVaultName(site),
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

export interface BackupCopyStackProps extends StackProps {
  /** The site's name (the main stack's). */
  readonly site: string;
}

export class BackupCopyStack extends Stack {
  readonly vault: backup.BackupVault;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: BackupCopyStackProps) {
    super(scope, id, props);
    this.key = new kms.Key(this, 'Key', {
      description: `moodle-ha ${props.site}: encrypts the copies of its backups in this region`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: backupCopyVaultName(props.site),
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
