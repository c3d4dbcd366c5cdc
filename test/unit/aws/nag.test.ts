// cdk-nag (AwsSolutions) over every configuration: no unacknowledged finding, the validation
// plugin passes at synth, and every acknowledgement is recorded in the template with its reason.
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildMoodleApp } from '../../../src/aws/build-app.ts';
import { acknowledge, nagFindings, resolveAcknowledgements } from '../../../src/aws/nag.ts';
import { validateSpec } from '../../../src/spec/read.ts';
import { CERT_ARN, PRODUCTION, SMALL, tinyBundleDir, tinyImageDir } from './fixtures.ts';
import { tempDir } from '../../support/temp.ts';

/** The rules this code base acknowledges anywhere; a new one must be added here on purpose. */
const ACKNOWLEDGED_RULES = new Set(['L1', 'CFR1', 'EC23', 'ECS2', 'IAM4', 'IAM5', 'RDS2', 'RDS10', 'RDS14', 'SF2', 'SMG4', 'AEC4']);

const CONFIGS: Record<string, { raw: unknown; tag?: string; deleteData?: boolean; bundle?: boolean }> = {
  production: { raw: PRODUCTION, tag: 'release-1' },
  'production, delete-data': { raw: PRODUCTION, tag: 'release-1', deleteData: true },
  small: { raw: SMALL, bundle: true },
  'production, nfs, no edge, ECS Exec, campus range': {
    raw: {
      name: 'nfs',
      aws: {
        domain: 'moodle.example.edu',
        certificateArn: CERT_ARN,
        edge: { enabled: false, campusRanges: ['203.0.113.0/24'] },
        ecsExec: true,
        sharedFiles: { type: 'nfs', nfsServer: '10.0.0.5' },
      },
    },
  },
  'production restored from backups, copies to another region': {
    raw: {
      ...PRODUCTION,
      name: 'campus-restored',
      aws: {
        ...PRODUCTION.aws,
        domain: 'restored.example.edu',
        backup: { copyTo: { region: 'eu-central-1' } },
        restore: { databaseSnapshotArn: 'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:awsbackup:job-0a1b2c3d', fileSystemId: 'fs-0123456789abcdef0' },
      },
    },
    tag: 'release-1',
  },
  'us-east-1, one certificate for ALB and CloudFront, campus ranges': {
    raw: {
      name: 'east',
      aws: {
        region: 'us-east-1',
        domain: 'moodle.example.edu',
        certificateArn: CERT_ARN.replace('eu-west-1', 'us-east-1'),
        edge: { campusRanges: ['203.0.113.0/24', '2001:db8::/32'] },
      },
    },
  },
};

for (const [name, c] of Object.entries(CONFIGS)) {
  describe(`cdk-nag AwsSolutions: ${name}`, () => {
    const raw = c.bundle ? { ...(c.raw as object), configBundle: tinyBundleDir() } : c.raw;
    const built = buildMoodleApp({
      spec: validateSpec(raw),
      image: c.tag ? { tag: c.tag } : { directory: tinyImageDir() },
      deleteData: c.deleteData,
      nag: true,
      outdir: tempDir('moodle-ha-nag-'),
    });
    test('no unacknowledged finding', () => {
      assert.deepEqual(nagFindings(built.app), []);
    });
    test('no acknowledgement without a finding to acknowledge', () => {
      assert.deepEqual(built.unusedAcknowledgements, []);
    });
    test('synthesis with the AwsSolutions validation plugin succeeds, and records each acknowledgement with its reason', () => {
      const assembly = built.app.synth();
      let count = 0;
      for (const stack of assembly.stacks) {
        for (const [id, r] of Object.entries(
          stack.template.Resources as Record<string, { Metadata?: { cdk_nag?: { rules_to_suppress: { id: string; reason: string }[] } } }>,
        )) {
          // Only AwsSolutions ids are ours; aws-cdk-lib acknowledges some of its built-in CloudFormation checks itself.
          for (const ack of (r.Metadata?.cdk_nag?.rules_to_suppress ?? []).filter((a) => a.id.startsWith('AwsSolutions-'))) {
            count++;
            const rule = /^AwsSolutions-([A-Z0-9]+)/.exec(ack.id)?.[1];
            assert.ok(rule && ACKNOWLEDGED_RULES.has(rule), `${stack.stackName}/${id}: unexpected acknowledgement ${ack.id}`);
            assert.ok(ack.reason.length >= 30, `${stack.stackName}/${id}: ${ack.id} has no specific reason: "${ack.reason}"`);
          }
        }
      }
      assert.ok(count > 0, 'no acknowledgement was written to the templates');
    });
  });
}

describe('the checks bite', () => {
  test('an unlogged, non-TLS-only bucket is reported', () => {
    const app = new App();
    const stack = new Stack(app, 'Probe');
    new s3.Bucket(stack, 'Plain', { removalPolicy: RemovalPolicy.DESTROY });
    const found = nagFindings(app).join('\n');
    assert.match(found, /AwsSolutions-S1 Probe\/Plain/);
    assert.match(found, /AwsSolutions-S10 Probe\/Plain/);
  });
  test('an acknowledgement silences its finding; one without a finding is reported as stale', () => {
    const app = new App();
    const stack = new Stack(app, 'Probe');
    const bucket = new s3.Bucket(stack, 'Plain', { enforceSSL: true });
    acknowledge(bucket, 'S1', 'probe bucket for this test; logging is not what is being tested here');
    acknowledge(bucket, 'S2', 'probe: a rule this bucket does not break, so the acknowledgement is stale');
    assert.deepEqual(resolveAcknowledgements(app), ['Probe/Plain: S2']);
    assert.deepEqual(
      nagFindings(app)
        .filter((f) => f.includes('Probe/Plain'))
        .map((f) => f.split(' ')[0]),
      [],
    );
  });
  test('an acknowledgement without a specific reason is refused', () => {
    const stack = new Stack(new App(), 'Probe');
    assert.throws(() => acknowledge(stack, 'S1', 'not needed'), /needs a specific reason/);
  });
});
