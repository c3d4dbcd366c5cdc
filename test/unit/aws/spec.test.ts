// The `aws:` section of the spec and the deployment plan: defaults per profile, and one test per
// validation branch with the message a user sees (path, rule, fix).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planDeployment } from '../../../src/aws/plan.ts';
import { validateSpec } from '../../../src/spec/read.ts';
import { UserError } from '../../../src/util/errors.ts';
import { CERT_ARN, CONNECTION_ARN } from './fixtures.ts';

/** A 253-character domain: the longest DNS name, so no MAIL FROM label fits in front of it. */
const LONG_DOMAIN = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.edu`;
const DEPLOYABLE = { domain: 'moodle.example.edu', hostedZone: { id: 'Z0123456789ABC', name: 'example.edu' } };

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    return [...e.details];
  }
  assert.fail('expected the spec to be rejected');
}

const specProblems = (aws: Record<string, unknown>, rest: Record<string, unknown> = {}) => problems(() => validateSpec({ ...rest, aws }));
const planProblems = (raw: Record<string, unknown>) => problems(() => planDeployment(validateSpec(raw)));

describe('aws spec defaults', () => {
  test('production: 3 AZs, a NAT per AZ, EC2, provisioned Aurora with a reader, a cache replica, CloudFront, no pipeline', () => {
    const a = validateSpec({}).aws;
    assert.equal(a.profile, 'production');
    assert.equal(a.region, 'eu-west-1');
    assert.equal(a.azs, 3);
    assert.equal(a.natGateways, 3);
    assert.equal(a.compute.type, 'ec2');
    assert.equal(a.compute.instanceType, 'm6i.large');
    assert.equal(a.database.engine, 'provisioned');
    assert.equal(a.database.readers, 1);
    assert.equal(a.database.deletionProtection, true);
    assert.equal(a.database.backupRetention.seconds, 14 * 86400);
    assert.equal(a.cache.replicas, 1);
    assert.equal(a.cache.engine, 'valkey');
    assert.equal(a.edge.enabled, true);
    assert.equal(a.pipeline.enabled, false);
    assert.equal(a.deregistrationDelay.seconds, 30);
    assert.equal(a.ecsExec, false);
    assert.equal(a.sharedFiles.type, 'efs');
  });
  test('small: 2 AZs, one NAT, Serverless v2 at its minimum, one cache node, no deletion protection', () => {
    const a = validateSpec({ aws: { profile: 'small' } }).aws;
    assert.equal(a.azs, 2);
    assert.equal(a.natGateways, 1);
    assert.equal(a.database.engine, 'serverless');
    assert.equal(a.database.minCapacity, 0.5);
    assert.equal(a.database.readers, 0);
    assert.equal(a.database.deletionProtection, false);
    assert.equal(a.cache.replicas, 0);
    assert.equal(a.compute.instanceType, 't3.medium');
  });
  test('WAF: no campus ranges, campus limit 50,000 (a 500-student exam hall behind one NAT)', () => {
    const a = validateSpec({}).aws;
    assert.deepEqual(a.edge.campusRanges, []);
    assert.equal(a.edge.campusRateLimit, 50_000);
    assert.equal(a.edge.rateLimit, 3000);
    const campus = validateSpec({ aws: { edge: { campusRanges: ['203.0.113.0/24', '2001:db8:1200::/48'], campusRateLimit: 80_000 } } }).aws.edge;
    assert.deepEqual(campus.campusRanges, ['203.0.113.0/24', '2001:db8:1200::/48']);
    assert.equal(campus.campusRateLimit, 80_000);
  });
  test('backups: daily at 02:30 UTC kept 35 days, monthly kept 365 days and cold after 30, no copy, no restore', () => {
    const a = validateSpec({}).aws;
    assert.equal(a.backup.time, '02:30');
    assert.equal(a.backup.dailyRetention.seconds, 35 * 86400);
    assert.equal(a.backup.monthlyRetention.seconds, 365 * 86400);
    assert.equal(a.backup.monthlyColdAfter.seconds, 30 * 86400);
    assert.equal(a.backup.copyTo, undefined);
    assert.equal(a.restore, undefined);
  });
  test('durations are typed: deregistration delay in seconds', () => {
    assert.equal(validateSpec({ aws: { deregistrationDelay: '2m' } }).aws.deregistrationDelay.seconds, 120);
  });
});

describe('aws spec validation: each rule names the path and the fix', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['production with one AZ', { azs: 1 }, /^aws\.azs: production spreads every tier over at least 2 availability zones: set aws\.azs to 2 or 3/],
    ['small with one AZ', { profile: 'small', azs: 1 }, /^aws\.azs: Aurora and ElastiCache need subnets in 2 availability zones.*set aws\.azs to 2/],
    ['zone list of the wrong length', { azs: 2, availabilityZones: ['eu-west-1a'] }, /^aws\.availabilityZones: lists 1 zone\(s\) but aws\.azs is 2/],
    [
      'zone from another region',
      { azs: 2, availabilityZones: ['eu-west-1a', 'us-east-1b'] },
      /^aws\.availabilityZones\.1: us-east-1b is not in aws\.region eu-west-1/,
    ],
    ['zone listed twice', { azs: 2, availabilityZones: ['eu-west-1a', 'eu-west-1a'] }, /^aws\.availabilityZones: lists a zone twice/],
    ['certificate without domain', { certificateArn: CERT_ARN }, /^aws\.domain: is required when aws\.hostedZone, aws\.certificateArn/],
    [
      'domain outside the zone',
      { domain: 'moodle.other.org', hostedZone: { id: 'Z0123456789ABC', name: 'example.edu' } },
      /^aws\.hostedZone\.name: aws\.domain moodle\.other\.org is not inside the zone example\.edu/,
    ],
    [
      'domain without certificate or zone',
      { domain: 'moodle.example.edu' },
      /^aws\.certificateArn: HTTPS needs a certificate: set aws\.hostedZone .* or aws\.certificateArn/,
    ],
    [
      'certificate from another region',
      { domain: 'moodle.example.edu', certificateArn: CERT_ARN.replace('eu-west-1', 'eu-central-1'), edge: { enabled: false } },
      /^aws\.certificateArn: is in eu-central-1 but the load balancer is in aws\.region eu-west-1/,
    ],
    [
      'edge certificate outside us-east-1',
      { ...DEPLOYABLE, edgeCertificateArn: CERT_ARN },
      /^aws\.edgeCertificateArn: is in eu-west-1, but CloudFront only uses certificates from us-east-1/,
    ],
    [
      'CloudFront without a us-east-1 certificate',
      { domain: 'moodle.example.edu', certificateArn: CERT_ARN },
      /^aws\.edgeCertificateArn: CloudFront needs a certificate in us-east-1/,
    ],
    [
      'edge certificate with CloudFront off',
      { domain: 'moodle.example.edu', certificateArn: CERT_ARN, edgeCertificateArn: CERT_ARN.replace('eu-west-1', 'us-east-1'), edge: { enabled: false } },
      /^aws\.edgeCertificateArn: is only used by CloudFront/,
    ],
    [
      'instance type with Fargate',
      { compute: { type: 'fargate', instanceType: 'c6i.large' } },
      /^aws\.compute\.instanceType: only applies to compute\.type: ec2/,
    ],
    [
      'instance class with Serverless v2',
      { database: { engine: 'serverless', instanceClass: 'db.r6g.large' } },
      /^aws\.database\.instanceClass: only applies to database\.engine: provisioned/,
    ],
    [
      'capacity units with provisioned',
      { database: { engine: 'provisioned', maxCapacity: 8 } },
      /^aws\.database\.maxCapacity: capacity units only apply to database\.engine: serverless/,
    ],
    [
      'serverless min above max',
      { database: { engine: 'serverless', minCapacity: 8, maxCapacity: 4 } },
      /^aws\.database\.maxCapacity: \(4\) must be at least database\.minCapacity \(8\)/,
    ],
    [
      'production database that pauses',
      { database: { engine: 'serverless', minCapacity: 0 } },
      /^aws\.database\.minCapacity: production must not let the database pause/,
    ],
    ['production without a reader', { database: { readers: 0 } }, /^aws\.database\.readers: production keeps a reader in another AZ/],
    [
      'backup retention beyond 35 days',
      { database: { backupRetention: '40d' } },
      /^aws\.database\.backupRetention: must be a whole number of days from "1d" to "35d"/,
    ],
    ['production without a cache replica', { cache: { replicas: 0 } }, /^aws\.cache\.replicas: production keeps a replica in another AZ/],
    ['nfs without a server', { sharedFiles: { type: 'nfs' } }, /^aws\.sharedFiles\.nfsServer: is required when sharedFiles\.type is nfs/],
    ['nfs server with efs', { sharedFiles: { nfsServer: '10.0.0.5' } }, /^aws\.sharedFiles\.nfsServer: only applies to sharedFiles\.type: nfs/],
    [
      'nfs security group with efs',
      { sharedFiles: { nfsSecurityGroupId: 'sg-0123456789abcdef0' } },
      /^aws\.sharedFiles\.nfsSecurityGroupId: only applies to sharedFiles\.type: nfs/,
    ],
    [
      'nfs on Fargate',
      { compute: { type: 'fargate' }, sharedFiles: { type: 'nfs', nfsServer: '10.0.0.5' } },
      /^aws\.sharedFiles\.type: Fargate tasks can mount EFS but not another NFS server/,
    ],
    [
      'the retired EFS-only backup retention',
      { sharedFiles: { backupRetention: '35d' } },
      /^aws\.sharedFiles\.backupRetention: one AWS Backup plan now covers Aurora and EFS together: move this value to aws\.backup\.dailyRetention/,
    ],
    [
      'daily backups kept less than a day',
      { backup: { dailyRetention: '12h' } },
      /^aws\.backup\.dailyRetention: must be a whole number of days, at least "1d"/,
    ],
    ['monthly backups in part days', { backup: { monthlyRetention: '36.5d' } }, /^aws\.backup\.monthlyRetention: must be a whole number of days/],
    ['cold storage for part days', { backup: { monthlyColdAfter: '36h' } }, /^aws\.backup\.monthlyColdAfter: must be a whole number of days/],
    [
      'monthly backups gone before the cold-storage minimum',
      { backup: { monthlyRetention: '100d', monthlyColdAfter: '30d' } },
      /^aws\.backup\.monthlyRetention: \(100 days\) must be at least monthlyColdAfter \+ 90 days \(120\)/,
    ],
    ['a backup time that is not a time', { backup: { time: '25:00' } }, /^aws\.backup\.time: must be a UTC time of day "HH:MM"/],
    [
      'copies to the same region',
      { backup: { copyTo: { region: 'eu-west-1' } } },
      /^aws\.backup\.copyTo\.region: is aws\.region \(eu-west-1\): a copy protects against losing the region only in another one/,
    ],
    [
      'a copy vault in another region than copyTo.region',
      { backup: { copyTo: { region: 'eu-central-1', vaultArn: 'arn:aws:backup:eu-north-1:123456789012:backup-vault:dr' } } },
      /^aws\.backup\.copyTo\.vaultArn: is in eu-north-1, but copyTo\.region is eu-central-1/,
    ],
    [
      'a copy vault of another account',
      { account: '123456789012', backup: { copyTo: { region: 'eu-central-1', vaultArn: 'arn:aws:backup:eu-central-1:210987654321:backup-vault:dr' } } },
      /^aws\.backup\.copyTo\.vaultArn: belongs to account 210987654321, not aws\.account 123456789012/,
    ],
    [
      'a copy vault that is not a vault ARN',
      { backup: { copyTo: { region: 'eu-central-1', vaultArn: 'dr-vault' } } },
      /^aws\.backup\.copyTo\.vaultArn: must be an AWS Backup vault ARN/,
    ],
    [
      'a restore snapshot from another region',
      { restore: { databaseSnapshotArn: 'arn:aws:rds:eu-central-1:123456789012:cluster-snapshot:awsbackup:job-1', fileSystemId: 'fs-0123456789abcdef0' } },
      /^aws\.restore\.databaseSnapshotArn: is in eu-central-1, but the stack deploys to aws\.region eu-west-1/,
    ],
    [
      'a restore onto NFS',
      {
        compute: { type: 'ec2' },
        sharedFiles: { type: 'nfs', nfsServer: '10.0.0.5' },
        restore: { databaseSnapshotArn: 'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:awsbackup:job-1', fileSystemId: 'fs-0123456789abcdef0' },
      },
      /^aws\.restore\.fileSystemId: a restored file system is EFS: set aws\.sharedFiles\.type: efs/,
    ],
    [
      'a restore without a file system',
      { restore: { databaseSnapshotArn: 'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:awsbackup:job-1' } },
      /^aws\.restore\.fileSystemId: /,
    ],
    [
      'a restore from an instance snapshot',
      { restore: { databaseSnapshotArn: 'arn:aws:rds:eu-west-1:123456789012:snapshot:db1', fileSystemId: 'fs-0123456789abcdef0' } },
      /^aws\.restore\.databaseSnapshotArn: must be an Aurora cluster snapshot ARN/,
    ],
    [
      'pipeline without a connection',
      { pipeline: { enabled: true, repository: 'a/b' } },
      /^aws\.pipeline\.connectionArn: the pipeline reads the repository through a CodeConnections connection/,
    ],
    [
      'pipeline without a repository',
      { pipeline: { enabled: true, connectionArn: CONNECTION_ARN } },
      /^aws\.pipeline\.repository: is required when the pipeline is enabled/,
    ],
    [
      'too many trigger paths',
      { pipeline: { triggerPaths: ['1', '2', '3', '4', '5', '6', '7', '8', '9'] } },
      /^aws\.pipeline\.triggerPaths: CodePipeline accepts at most 8 path patterns/,
    ],
    [
      'deregistration shorter than the drain time',
      { deregistrationDelay: '10s' },
      /^aws\.deregistrationDelay: must be from the image's drain time \(25s\) to 1h/,
    ],
    ['log retention CloudWatch does not offer', { logRetention: '10d' }, /^aws\.logRetention: CloudWatch keeps logs for one of 1, 3, 5/],
    [
      'campus range that is no CIDR block',
      { edge: { campusRanges: ['203.0.113.7'] } },
      /^aws\.edge\.campusRanges\.0: "203\.0\.113\.7" is not a CIDR block \(address\/prefix\): give the campus NAT's public egress address as a CIDR block, e\.g\. "203\.0\.113\.7\/32"/,
    ],
    [
      'campus range with a bad address',
      { edge: { campusRanges: ['300.1.2.3/32'] } },
      /^aws\.edge\.campusRanges\.0: "300\.1\.2\.3\/32" has "300\.1\.2\.3", which is neither an IPv4 nor an IPv6 address/,
    ],
    [
      'campus range /0',
      { edge: { campusRanges: ['::/0'] } },
      /^aws\.edge\.campusRanges\.0: "::\/0" has the prefix \/0, but an IPv6 prefix must be from \/1 to \/128 \(AWS WAF does not accept \/0\)/,
    ],
    [
      'campus range with host bits',
      { edge: { campusRanges: ['198.51.100.0/24', '203.0.113.7/24'] } },
      /^aws\.edge\.campusRanges\.1: "203\.0\.113\.7\/24" has bits set beyond its \/24 prefix.*: write "203\.0\.113\.0\/24"/,
    ],
    [
      'private campus range',
      { edge: { campusRanges: ['10.20.0.0/16'] } },
      /^aws\.edge\.campusRanges\.0: "10\.20\.0\.0\/16" is a private or internal range: CloudFront and the load balancer see the campus NAT's public address/,
    ],
    [
      'campus range listed twice',
      { edge: { campusRanges: ['2001:db8:1200::/48', '2001:0db8:1200::/48'] } },
      /^aws\.edge\.campusRanges\.1: "2001:0db8:1200::\/48" is listed twice \(also at campusRanges\.0\): list each range once/,
    ],
    [
      'more campus ranges than an IP set holds',
      { edge: { campusRanges: Array.from({ length: 10_001 }, (_, i) => `11.${i >> 8}.${i & 255}.0/24`) } },
      /^aws\.edge\.campusRanges: AWS WAF holds at most 10,000 ranges per IP set/,
    ],
    [
      'campus rate limit without ranges',
      { edge: { campusRateLimit: 80_000 } },
      /^aws\.edge\.campusRateLimit: only applies to the addresses in aws\.edge\.campusRanges: add the campus egress ranges, or remove campusRateLimit/,
    ],
    [
      'campus rate limit not above the per-IP limit',
      { edge: { rateLimit: 60_000, campusRanges: ['203.0.113.0/24'] } },
      /^aws\.edge\.campusRateLimit: \(50000\) must be above aws\.edge\.rateLimit \(60000\), or campus addresses would get less than everyone else/,
    ],
    ['campus rate limit below what WAF accepts', { edge: { campusRanges: ['203.0.113.0/24'], campusRateLimit: 50 } }, /^aws\.edge\.campusRateLimit: /],
    ['unknown profile', { profile: 'big' }, /^aws\.profile: must be one of "production", "small"/],
    ['bad region', { region: 'Europe' }, /^aws\.region: must be an AWS region/],
    [
      'bad hosted zone id',
      { domain: 'moodle.example.edu', hostedZone: { id: 'zone', name: 'example.edu' } },
      /^aws\.hostedZone\.id: must be a Route 53 hosted zone id/,
    ],
    ['bad alarm e-mail', { alarmEmail: 'ops' }, /^aws\.alarmEmail: must be an e-mail address/],
    [
      'bad NFS security group id',
      { sharedFiles: { type: 'nfs', nfsServer: '10.0.0.5', nfsSecurityGroupId: 'nfs-group' } },
      /^aws\.sharedFiles\.nfsSecurityGroupId: must be a security group id/,
    ],
    ['unknown key', { databse: {} }, /^aws: unknown key "databse"/],
    [
      'mail domain with mail off',
      { mail: { enabled: false, domain: 'example.edu' } },
      /^aws\.mail\.domain: only applies when aws\.mail\.enabled is true: remove it, or set aws\.mail\.enabled: true/,
    ],
    [
      'sandbox recipients with mail off',
      { mail: { enabled: false, sandboxRecipients: ['ops@example.edu'] } },
      /^aws\.mail\.sandboxRecipients: only applies when aws\.mail\.enabled is true: remove them/,
    ],
    [
      'MAIL FROM domain longer than DNS allows',
      { mail: { domain: LONG_DOMAIN } },
      /^aws\.mail\.mailFromSubdomain: bounce\.a+\..* is longer than the 253 characters a DNS name may have: use a shorter label/,
    ],
    [
      'MAIL FROM subdomain that is not one label',
      { mail: { mailFromSubdomain: 'bounce.mail' } },
      /^aws\.mail\.mailFromSubdomain: must be one lower-case DNS label such as "bounce", or false/,
    ],
    [
      'more sandbox recipients than the IAM policy holds',
      { mail: { sandboxRecipients: Array.from({ length: 11 }, (_, i) => `t${i}@example.edu`) } },
      /^aws\.mail\.sandboxRecipients: lists more than 10 addresses, which would not fit the SMTP user's IAM policy/,
    ],
    ['sandbox recipient that is no address', { mail: { sandboxRecipients: ['ops'] } }, /^aws\.mail\.sandboxRecipients\.0: must be an e-mail address/],
  ];
  for (const [name, aws, pattern] of cases) {
    test(name, () => {
      const found = specProblems(aws);
      assert.ok(
        found.some((p) => pattern.test(p)),
        `no problem matched ${pattern}; got:\n${found.join('\n')}`,
      );
    });
  }
  test('a valid production spec passes', () => {
    assert.doesNotThrow(() => validateSpec({ aws: DEPLOYABLE }));
  });
});

describe('deployment plan: rules across spec sections', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['no domain', {}, /^aws\.domain: required to deploy: set aws\.domain/],
    [
      'production with scaling.max 1',
      { scaling: { max: 1 }, aws: DEPLOYABLE },
      /^scaling\.max: production keeps at least 2 web tasks in different AZs but scaling\.max is 1/,
    ],
    [
      'production window with one task',
      { scaling: { schedule: [{ name: 'night', cron: { start: '0 22 * * *', end: '0 6 * * *' }, min: 1 }] }, aws: DEPLOYABLE },
      /^scaling\.schedule\.0\.min: production keeps at least 2 web tasks, even in a quiet window/,
    ],
    [
      'window with no task at all',
      { scaling: { schedule: [{ name: 'off', cron: { start: '0 22 * * *', end: '0 6 * * *' }, min: 0 }] }, aws: { ...DEPLOYABLE, profile: 'small' } },
      /^scaling\.schedule\.0\.min: 0 web tasks would take the site down on AWS/,
    ],
    [
      'window with day of month and weekday',
      { scaling: { schedule: [{ name: 'x', cron: { start: '0 6 1 * 1', end: '0 18 * * *' }, min: 2 }] }, aws: DEPLOYABLE },
      /^scaling\.schedule\.0\.cron: .*gives both a day of month and a day of week/,
    ],
    [
      'window cron out of range',
      { scaling: { schedule: [{ name: 'x', cron: { start: '0 25 * * *', end: '0 18 * * *' }, min: 2 }] }, aws: DEPLOYABLE },
      /^scaling\.schedule\.0\.cron\.start: cron "0 25 \* \* \*": hour 25 is out of range 0-23/,
    ],
    [
      'window Aurora capacity with provisioned instances',
      { scaling: { schedule: [{ name: 'x', cron: { start: '0 6 * * *', end: '0 18 * * *' }, min: 2, database: { minCapacity: 4 } }] }, aws: DEPLOYABLE },
      /^scaling\.schedule\.0\.database: capacity units only apply to aws\.database\.engine: serverless: remove database from this window, or set aws\.database\.engine: serverless/,
    ],
    [
      'production window that pauses the database',
      {
        scaling: { schedule: [{ name: 'x', cron: { start: '0 6 * * *', end: '0 18 * * *' }, min: 2, database: { minCapacity: 0 } }] },
        aws: { ...DEPLOYABLE, database: { engine: 'serverless' } },
      },
      /^scaling\.schedule\.0\.database\.minCapacity: production must not let the database pause \(resuming takes about 15 s\): set minCapacity to 0\.5 or more, or use aws\.profile: small/,
    ],
    [
      'fargate memory Fargate does not offer',
      { web: { memory: '2560Mi' }, aws: { ...DEPLOYABLE, compute: { type: 'fargate' } } },
      /^web\.memory: Fargate runs a 512-unit task with one of 1Gi…4Gi .* not 2560 MiB/,
    ],
    [
      'ec2 task below 512 MiB',
      { web: { memory: '480Mi', fpmWorkers: 1, phpMemory: '64Mi' }, aws: DEPLOYABLE },
      /^web\.memory: a web task needs at least 512 MiB on EC2/,
    ],
    [
      'arm64 instance type',
      { aws: { ...DEPLOYABLE, compute: { instanceType: 'm7g.large' } } },
      /^aws\.compute\.instanceType: m7g\.large is a Graviton \(arm64\) type, but the runtime image is built for x86_64/,
    ],
    [
      'no-reply address outside the mail domain',
      { site: { noreplyAddress: 'noreply@example.edu' }, aws: DEPLOYABLE },
      /^site\.noreplyAddress: noreply@example\.edu is not at moodle\.example\.edu, the domain SES sends from \(aws\.mail\.domain, default aws\.domain\).*: use an address such as noreply@moodle\.example\.edu, or set aws\.mail\.domain: example\.edu/,
    ],
    [
      'web and cron tasks that do not fit the instance',
      { web: { memory: '3Gi' }, aws: { ...DEPLOYABLE, compute: { instanceType: 'c6i.large' } } },
      /^web\.memory: a 3072 MiB web task and the 1024 MiB cron task do not fit the 3430 MiB ECS can use on a c6i\.large: choose a larger aws\.compute\.instanceType/,
    ],
  ];
  for (const [name, raw, pattern] of cases) {
    test(name, () => {
      const found = planProblems(raw);
      assert.ok(
        found.some((p) => pattern.test(p)),
        `no problem matched ${pattern}; got:\n${found.join('\n')}`,
      );
    });
  }
  test('production raises the web minimum to 2 tasks; wwwroot is https://<domain>; request target is per minute', () => {
    const plan = planDeployment(validateSpec({ aws: DEPLOYABLE }));
    assert.equal(plan.web.minTasks, 2);
    assert.equal(plan.wwwroot, 'https://moodle.example.edu');
    assert.equal(plan.scaling.requestsPerTargetPerMinute, 40 * 60);
  });
  test('mail: SES sends from aws.domain with a "bounce" MAIL FROM domain and noreply@<domain>, by default', () => {
    assert.equal(LONG_DOMAIN.length, 253);
    const a = validateSpec({}).aws;
    assert.equal(a.mail.enabled, true);
    assert.equal(a.mail.mailFromSubdomain, 'bounce');
    assert.deepEqual(a.mail.sandboxRecipients, []);
    assert.deepEqual(planDeployment(validateSpec({ aws: DEPLOYABLE })).mail, {
      domain: 'moodle.example.edu',
      mailFromDomain: 'bounce.moodle.example.edu',
      noreplyAddress: 'noreply@moodle.example.edu',
      sandboxRecipients: [],
    });
  });
  test("mail: another domain, the site's no-reply address at it, SES's own MAIL FROM, sandbox recipients", () => {
    const plan = planDeployment(
      validateSpec({
        site: { noreplyAddress: 'moodle-noreply@example.edu' },
        aws: { ...DEPLOYABLE, mail: { domain: 'example.edu', mailFromSubdomain: false, sandboxRecipients: ['ops@example.edu'] } },
      }),
    );
    assert.deepEqual(plan.mail, {
      domain: 'example.edu',
      mailFromDomain: undefined,
      noreplyAddress: 'moodle-noreply@example.edu',
      sandboxRecipients: ['ops@example.edu'],
    });
  });
  test('mail off: no mail in the plan, and any no-reply address is fine', () => {
    assert.equal(
      planDeployment(validateSpec({ site: { noreplyAddress: 'noreply@elsewhere.org' }, aws: { ...DEPLOYABLE, mail: { enabled: false } } })).mail,
      undefined,
    );
  });
  test('small keeps the spec minimum of one web task', () => {
    assert.equal(planDeployment(validateSpec({ aws: { ...DEPLOYABLE, profile: 'small' } })).web.minTasks, 1);
  });
  test('a small window may pause the database (0 ACU), and set its own rate limit', () => {
    const plan = planDeployment(
      validateSpec({
        scaling: { schedule: [{ name: 'summer', cron: { start: '0 0 1 7 *', end: '0 0 1 9 *' }, min: 1, rateLimit: 500, database: { minCapacity: 0 } }] },
        aws: { ...DEPLOYABLE, profile: 'small' },
      }),
    );
    assert.deepEqual(plan.scaling.schedule.windows[0]!.targets, { web: { min: 1, max: 4 }, instances: 1, rateLimit: 500, database: { min: 0, max: 16 } });
  });
  test('the EC2 floor follows the web floor: 6 web tasks and cron need 4 instances, an off-season window of 2 needs 2', () => {
    const plan = planDeployment(
      validateSpec({ scaling: { min: 6, max: 10, schedule: [{ name: 'summer', cron: { start: '0 0 1 7 *', end: '0 0 1 9 *' }, min: 2 }] }, aws: DEPLOYABLE }),
    );
    assert.equal(plan.web.minInstances, 4);
    assert.equal(plan.scaling.schedule.base.instances, 4);
    assert.equal(plan.scaling.schedule.windows[0]!.targets.instances, 2);
  });
  test('the peak of all windows sizes the capacity', () => {
    const plan = planDeployment(
      validateSpec({
        scaling: { max: 4, schedule: [{ name: 'exam', from: '2099-01-01T00:00:00Z', until: '2099-01-02T00:00:00Z', min: 5, max: 9 }] },
        aws: DEPLOYABLE,
      }),
    );
    assert.equal(plan.web.maxTasks, 4);
    assert.equal(plan.web.peakTasks, 9);
  });
});
