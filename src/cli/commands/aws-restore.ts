import { runCdk } from '../../aws/cli/cdk-cli.ts';
import { requireCredentials } from '../../aws/cli/credentials.ts';
import { imageOrStagedContext } from '../../aws/cli/image-choice.ts';
import { planDeployment } from '../../aws/plan.ts';
import { AwsCliRestoreClient } from '../../aws/restore/aws-cli-client.ts';
import { restoreToNewStack } from '../../aws/restore/restore.ts';
import { readSpec } from '../../spec/read.ts';
import type { Spec } from '../../spec/schema.ts';
import { UserError } from '../../util/errors.ts';
import type { Command } from '../command.ts';
import { hint } from '../../spec/hint.ts';

export const awsRestoreCommand: Command = {
  async run(ctx) {
    const source = readSpec({ file: ctx.specFile, cwd: ctx.cwd });
    const newName = typeof ctx.values.to === 'string' ? ctx.values.to : undefined;
    if (!newName) throw new UserError(`give the new site's name: ${hint('aws restore --to NEW-NAME')} (its stacks are NEW-NAME, NEW-NAME-edge, …)`);
    if (newName === source.spec.name)
      throw new UserError(`--to ${newName} is the running site's name: the restore goes to a new stack beside it; give another name`);
    const at = parseTime(ctx.values.at);
    const domain = restoredDomain(source.spec, newName, ctx.values.domain);
    // The new stack's spec, checked now (with stand-in restore values) so a problem shows before an hour of restoring.
    const overrides = { name: newName, aws: { domain, pipeline: { enabled: false } } };
    const region = source.spec.aws.region;
    const withRestore = (restore: object) => ({ ...overrides, aws: { ...overrides.aws, restore } });
    const check = readSpec({
      file: ctx.specFile,
      cwd: ctx.cwd,
      overrides: withRestore({ databaseSnapshotArn: `arn:aws:rds:${region}:000000000000:cluster-snapshot:check`, fileSystemId: 'fs-00000000' }),
    });
    planDeployment(check.spec);
    requireCredentials('aws restore');
    const image = imageOrStagedContext(ctx.values, check, ctx.cwd);
    const log = (l: string) => process.stderr.write(`${l}\n`);
    log(`restoring ${source.spec.name} as it was at ${at.toISOString()} into the new stack ${newName} (https://${domain})`);
    const r = await restoreToNewStack({
      client: new AwsCliRestoreClient(region),
      sourceStack: source.spec.name,
      at,
      newName,
      log,
      deploy: (restore) =>
        runCdk(['deploy', '--all', '--require-approval', ctx.values.yes ? 'never' : 'broadening', '--no-staging'], {
          specFile: ctx.specFile,
          cwd: ctx.cwd,
          image,
          overrides: withRestore(restore),
        }),
    });
    process.stdout.write(
      `restored ${source.spec.name} into ${newName}: https://${domain}\n` +
        `  database:   from ${r.pair.database.arn} (${r.pair.database.created.toISOString()})\n` +
        `  moodledata: ${r.fileSystemId}, from ${r.pair.files.arn} (${r.pair.files.created.toISOString()})\n` +
        `  next:       check the restored site, then move the site's name to it (docs/aws.md, "Restore to a point in time")\n` +
        `Keep these in the restored site's spec from now on (without aws.restore, a deploy would replace its database with an empty one):\n` +
        `  name: ${newName}\n  aws:\n    domain: ${domain}\n    restore:\n      databaseSnapshotArn: ${r.pair.database.arn}\n      fileSystemId: ${r.fileSystemId}\n`,
    );
  },
};

function parseTime(v: unknown): Date {
  if (v === undefined) return new Date();
  const t = typeof v === 'string' ? new Date(v) : new Date(NaN);
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v) || Number.isNaN(t.getTime())) {
    throw new UserError(`--at takes an ISO 8601 time such as 2026-11-30T08:00:00Z, got "${String(v)}"`);
  }
  return t;
}

/** The restored site's host name: --domain, else NEW-NAME under the spec's hosted zone. */
export function restoredDomain(spec: Spec, newName: string, flag: unknown): string {
  if (typeof flag === 'string') {
    if (flag === spec.aws.domain)
      throw new UserError(
        `--domain ${flag} is the running site's host name: CloudFront and Route 53 give a name to one site at a time; restore under another name, then move the name (docs/aws.md)`,
      );
    return flag;
  }
  if (!spec.aws.hostedZone)
    throw new UserError(
      "give the restored site a host name with --domain HOST (the spec has no aws.hostedZone to make NEW-NAME.<zone> in); the spec's certificates must cover it",
    );
  return `${newName}.${spec.aws.hostedZone.name}`;
}
