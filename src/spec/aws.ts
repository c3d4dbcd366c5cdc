// The `aws:` section of moodle-ha.yaml: everything only the CDK app reads. Profile-dependent
// defaults are resolved here, so the CDK app reads one fully-typed object. Rules that need other
// sections of the spec (scaling, web) are checked when a deployment is planned (src/aws/plan.ts).
import { z } from 'zod';
import { backupSchema, checkBackupAndRestore, restoreSchema } from './aws-backup.ts';
import { parseCidr } from './cidr.ts';
import { CLOUDFRONT_ORIGIN_READ_DEFAULT_MAX, CLOUDFRONT_ORIGIN_READ_MAX, IMAGE_LIMITS } from './limits.ts';
import { durationSchema, rateLimitSchema } from './units.ts';

export const AWS_PROFILES = ['production', 'small'] as const;

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const DAY = 86400;
const hostName = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a lower-case DNS name such as "moodle.example.edu"');
const acmArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/,
    'must be an ACM certificate ARN, arn:aws:acm:<region>:<account>:certificate/<id>',
  );

const computeSchema = z
  .object({
    /** ec2: an Auto Scaling group capacity provider; fargate: serverless tasks. @default "ec2" */
    type: z.enum(['ec2', 'fargate']).default('ec2'),
    /** EC2 instance type of the capacity provider (ec2 only; x86_64). @default "m6i.large" (production: two 2 GiB web tasks each), "t3.medium" (small) */
    instanceType: z
      .string()
      .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must be an EC2 instance type such as "c6i.large"')
      .optional(),
    /** CPU of one web, cron or migrate task in CPU units (1024 = one vCPU). @default 512 */
    taskCpu: z.union([z.literal(256), z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096)]).default(512),
  })
  .strict();

const databaseSchema = z
  .object({
    /** provisioned instances, or Aurora Serverless v2. @default "provisioned" (production), "serverless" (small) */
    engine: z.enum(['provisioned', 'serverless']).optional(),
    /** Instance class of the writer and readers (provisioned only). @default "db.r6g.large" */
    instanceClass: z
      .string()
      .regex(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, 'must be an RDS instance class such as "db.r6g.large"')
      .optional(),
    /** Fewest Aurora capacity units (serverless only); 0 lets the database pause. @default 0.5 */
    minCapacity: z.number().min(0).max(256).multipleOf(0.5).optional(),
    /** Most Aurora capacity units (serverless only). @default 16 */
    maxCapacity: z.number().min(1).max(256).multipleOf(0.5).optional(),
    /** Readers in other AZs (failover targets). @default 1 (production), 0 (small) */
    readers: z.number().int().min(0).max(5).optional(),
    /** How long automated backups (point-in-time restore) are kept, 1 to 35 days. @default "14d" */
    backupRetention: durationSchema.prefault('14d'),
    /** Refuse to delete the cluster. @default true (production), false (small) */
    deletionProtection: z.boolean().optional(),
  })
  .strict();

const cacheSchema = z
  .object({
    /** ElastiCache engine. @default "valkey" */
    engine: z.enum(['valkey', 'redis']).default('valkey'),
    /** Node type of the primary and replicas. @default "cache.t4g.medium" (production), "cache.t4g.micro" (small) */
    nodeType: z
      .string()
      .regex(/^cache\.[a-z0-9-]+\.[a-z0-9]+$/, 'must be an ElastiCache node type such as "cache.t4g.medium"')
      .optional(),
    /** Replicas of the primary, in other AZs. @default 1 (production), 0 (small) */
    replicas: z.number().int().min(0).max(5).optional(),
  })
  .strict();

const sharedFilesSchema = z
  .object({
    /** efs: Amazon EFS, Elastic throughput; nfs: an NFS server you run (ec2 compute only). @default "efs" */
    type: z.enum(['efs', 'nfs']).default('efs'),
    /** Host name or IP address of the NFS server (nfs only). */
    nfsServer: z.string().min(1).optional(),
    /** Exported path on the NFS server (nfs only). @default "/" */
    nfsPath: z.string().regex(/^\//, 'must be an absolute path such as "/export/moodledata"').default('/'),
    /**
     * Security group of the NFS server (nfs only): the stack adds an ingress rule for TCP 2049 from
     * the ECS container instances' group, which is where Docker mounts the volume from (the group must
     * be referencable from this VPC: a peered VPC in the same region). @default - none: allow the
     * instances yourself (the stack outputs their security group id)
     */
    nfsSecurityGroupId: z
      .string()
      .regex(/^sg-[0-9a-f]{8,17}$/, 'must be a security group id such as "sg-0123456789abcdef0"')
      .optional(),
    /** Retired: one backup plan covers Aurora and EFS; use aws.backup.dailyRetention. */
    backupRetention: durationSchema.optional(),
  })
  .strict();

/**
 * Requests per 5 minutes one campus egress address may make (aws.edge.campusRateLimit). Sized for
 * a 500-student exam hall behind one NAT: a quiz page every 30 s is ~10 pages in 5 minutes, each
 * ~5 requests that are not static files (the page, its lib/ajax/service.php calls, pluginfile
 * images) plus the quiz autosave every 60 s: ~60 per student, 500 x 60 = 30,000; x 1.5 for the
 * start of the exam, when everyone logs in and opens the quiz in the same minutes = 45,000.
 */
export const DEFAULT_CAMPUS_RATE_LIMIT = 50_000;

const edgeSchema = z
  .object({
    /** CloudFront + AWS WAF in front of the load balancer (WAF sits on the ALB when off). @default true */
    enabled: z.boolean().default(true),
    /** Requests (static theme/JS files not counted) one client IP may make in 5 minutes before WAF blocks it. @default 3000 */
    rateLimit: rateLimitSchema.default(3000),
    /** Public egress ranges (IPv4/IPv6 CIDR) of campuses whose users share one NAT address: they get campusRateLimit instead of rateLimit. @default [] */
    campusRanges: z.array(z.string()).max(10_000, 'AWS WAF holds at most 10,000 ranges per IP set: merge ranges into larger blocks').default([]),
    /** Requests one campus egress address may make in 5 minutes. @default 50000 (a 500-student exam hall behind one NAT) */
    campusRateLimit: rateLimitSchema.optional(),
    /** CloudFront price class. @default "100" */
    priceClass: z.enum(['100', '200', 'all']).default('100'),
    /**
     * How long CloudFront waits for the load balancer's answer (origin response timeout); the rest of
     * the timeout chain follows from it (src/contract/timeouts.ts). Above 60s needs a CloudFront quota
     * increase. @default "60s"
     */
    originReadTimeout: durationSchema.prefault('60s'),
    /**
     * How CloudFront reaches the load balancer: vpc (a CloudFront VPC origin; the ALB is internal, in
     * the private subnets) or public (an internet-facing ALB that accepts only CloudFront's addresses
     * and its secret header). @default "vpc"
     */
    origin: z.enum(['vpc', 'public']).default('vpc'),
  })
  .strict();

const pipelineSchema = z
  .object({
    /** An image pipeline (ECR, CodeBuild, CodePipeline) that rebuilds and deploys on changes. @default false */
    enabled: z.boolean().default(false),
    /** ARN of the CodeConnections (CodeStar) connection to the Git host. */
    connectionArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]+$/, 'must be a CodeConnections connection ARN')
      .optional(),
    /** Repository holding moodle-ha.yaml, "owner/name". */
    repository: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be "owner/name"')
      .optional(),
    /** Branch that deploys. @default "main" */
    branch: z.string().min(1).default('main'),
    /** Changed paths that start the pipeline: the Moodle version and the plugin manifest. @default ["moodle-ha.yaml", "plugins/**"] */
    triggerPaths: z
      .array(z.string().min(1))
      .min(1)
      .max(8, 'CodePipeline accepts at most 8 path patterns: merge some with globs')
      .default(['moodle-ha.yaml', 'plugins/**']),
  })
  .strict();

/**
 * Recipients the SMTP user may also send to while the account is in the SES sandbox (each one an
 * address verified in SES): the user's policy is capped by IAM's 2,048-character limit on a user's
 * inline policies, which holds about ten more identity ARNs.
 */
export const MAX_SANDBOX_RECIPIENTS = 10;

const mailSchema = z
  .object({
    /** Outgoing mail through Amazon SES: a domain identity with DKIM, SMTP credentials for the tasks. @default true */
    enabled: z.boolean().default(true),
    /** Domain Moodle sends from (the SES identity; the no-reply address must be at it). @default - aws.domain */
    domain: hostName.optional(),
    /**
     * Label of the custom MAIL FROM (bounce) domain under `domain`, so SPF aligns for DMARC; false
     * leaves SES's own amazonses.com MAIL FROM. @default "bounce"
     */
    mailFromSubdomain: z
      .union([
        z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be one lower-case DNS label such as "bounce", or false for SES\'s own MAIL FROM domain'),
        z.literal(false),
      ])
      .default('bounce'),
    /** Addresses verified in SES that Moodle may send to while the account is in the SES sandbox (e.g. the admin's, for Moodle's test e-mail). @default [] */
    sandboxRecipients: z
      .array(z.email('must be an e-mail address'))
      .max(
        MAX_SANDBOX_RECIPIENTS,
        `lists more than ${MAX_SANDBOX_RECIPIENTS} addresses, which would not fit the SMTP user's IAM policy: test with fewer, and leave the sandbox for the rest (docs/aws.md, Mail)`,
      )
      .default([]),
  })
  .strict();

export const awsSchema = z
  .object({
    /** production: everything redundant; small: one NAT, Serverless v2 at its minimum, one web task. @default "production" */
    profile: z.enum(AWS_PROFILES).default('production'),
    /** Main region. @default "eu-west-1" */
    region: z
      .string()
      .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as "eu-west-1"')
      .default('eu-west-1'),
    /** AWS account id; unset means the CLI's current credentials decide. */
    account: z
      .string()
      .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
      .optional(),
    /** Availability zones used. @default 3 (production), 2 (small) */
    azs: z.number().int().min(1).max(3).optional(),
    /** Exact zone names, e.g. ["eu-west-1a", "eu-west-1b"]; unset: the region's first zones (Fn::GetAZs). */
    availabilityZones: z.array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, 'must be a zone name such as "eu-west-1a"')).optional(),
    /** Public host name of the site; MOODLE_WWWROOT is https://<domain>. Required to deploy. */
    domain: hostName.optional(),
    /** Route 53 zone holding the domain: certificates are DNS-validated there and aliases created. */
    hostedZone: z
      .object({ id: z.string().regex(/^Z[A-Z0-9]{4,32}$/, 'must be a Route 53 hosted zone id such as "Z0123456789ABC"'), name: hostName })
      .strict()
      .optional(),
    /** Existing ACM certificate for the domain in the main region (the ALB's), instead of a DNS-validated one. */
    certificateArn: acmArn.optional(),
    /** Existing ACM certificate for the domain in us-east-1 (CloudFront's). */
    edgeCertificateArn: acmArn.optional(),
    compute: computeSchema.prefault({}),
    database: databaseSchema.prefault({}),
    cache: cacheSchema.prefault({}),
    sharedFiles: sharedFilesSchema.prefault({}),
    edge: edgeSchema.prefault({}),
    pipeline: pipelineSchema.prefault({}),
    /** Outgoing mail through Amazon SES (SMTP). */
    mail: mailSchema.prefault({}),
    /** One AWS Backup plan for Aurora and EFS (daily, monthly, optional copy to another region). */
    backup: backupSchema.prefault({}),
    /** Create the database and moodledata from a pair of recovery points (written by `moodle-ha aws restore`). @default - a new, empty site */
    restore: restoreSchema.optional(),
    /** E-mail address subscribed to the alarm topic (alarms, scaling and deployment events). */
    alarmEmail: z.email('must be an e-mail address').optional(),
    /** Time the load balancer lets a stopping web task finish requests; at least the image's drain time. @default "30s" */
    deregistrationDelay: durationSchema.prefault('30s'),
    /** Retention of container, flow and Lambda logs; one of CloudWatch's periods. @default "30d" */
    logRetention: durationSchema.prefault('30d'),
    /** Allow `aws ecs execute-command` into tasks. @default false */
    ecsExec: z.boolean().default(false),
  })
  .strict()
  .superRefine((a, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const prod = a.profile === 'production';
    const azs = a.azs ?? (prod ? 3 : 2);
    if (azs < 2) {
      issue(
        ['azs'],
        prod
          ? 'production spreads every tier over at least 2 availability zones: set aws.azs to 2 or 3 (3 recommended), or use aws.profile: small'
          : 'Aurora and ElastiCache need subnets in 2 availability zones even in the small profile: set aws.azs to 2',
      );
    }
    if (a.availabilityZones && a.availabilityZones.length !== azs) {
      issue(['availabilityZones'], `lists ${a.availabilityZones.length} zone(s) but aws.azs is ${azs}: list exactly ${azs} zones or change aws.azs`);
    }
    a.availabilityZones?.forEach((z, i) => {
      if (!z.startsWith(a.region)) issue(['availabilityZones', i], `${z} is not in aws.region ${a.region}: use a zone of ${a.region} such as "${a.region}a"`);
    });
    if (new Set(a.availabilityZones ?? []).size !== (a.availabilityZones ?? []).length) issue(['availabilityZones'], 'lists a zone twice: list each zone once');
    // Domain, certificates, DNS.
    if (!a.domain && (a.hostedZone || a.certificateArn || a.edgeCertificateArn)) {
      issue(
        ['domain'],
        'is required when aws.hostedZone, aws.certificateArn or aws.edgeCertificateArn is set: set aws.domain to the site host name, e.g. "moodle.example.edu"',
      );
    }
    if (a.domain && a.hostedZone && a.domain !== a.hostedZone.name && !a.domain.endsWith(`.${a.hostedZone.name}`)) {
      issue(
        ['hostedZone', 'name'],
        `aws.domain ${a.domain} is not inside the zone ${a.hostedZone.name}: give the zone that holds the domain, or leave hostedZone out and set aws.certificateArn`,
      );
    }
    if (a.domain && !a.hostedZone && !a.certificateArn) {
      issue(
        ['certificateArn'],
        'HTTPS needs a certificate: set aws.hostedZone (a DNS-validated certificate is created) or aws.certificateArn (an existing certificate in the main region)',
      );
    }
    const certRegion = (arn: string) => arn.split(':')[3];
    if (a.certificateArn && certRegion(a.certificateArn) !== a.region) {
      issue(
        ['certificateArn'],
        `is in ${certRegion(a.certificateArn)} but the load balancer is in aws.region ${a.region}: give a certificate from ${a.region}`,
      );
    }
    if (a.edgeCertificateArn && certRegion(a.edgeCertificateArn) !== 'us-east-1') {
      issue(
        ['edgeCertificateArn'],
        `is in ${certRegion(a.edgeCertificateArn)}, but CloudFront only uses certificates from us-east-1: request or import the certificate in us-east-1`,
      );
    }
    if (a.edge.enabled && a.certificateArn && !a.hostedZone && !a.edgeCertificateArn && a.region !== 'us-east-1') {
      issue(
        ['edgeCertificateArn'],
        'CloudFront needs a certificate in us-east-1: set aws.edgeCertificateArn, or aws.hostedZone to have one DNS-validated, or aws.edge.enabled: false',
      );
    }
    if (!a.edge.enabled && a.edgeCertificateArn) issue(['edgeCertificateArn'], 'is only used by CloudFront: remove it or set aws.edge.enabled: true');
    const read = a.edge.originReadTimeout.seconds;
    if (!Number.isInteger(read) || read < 1 || read > CLOUDFRONT_ORIGIN_READ_MAX) {
      issue(
        ['edge', 'originReadTimeout'],
        `must be a whole number of seconds from "1s" to "${CLOUDFRONT_ORIGIN_READ_MAX}s" (CloudFront's limit; above ${CLOUDFRONT_ORIGIN_READ_DEFAULT_MAX}s only after a quota increase), e.g. "60s"`,
      );
    }
    // WAF rate limits and campus ranges.
    const seen = new Map<string, number>();
    a.edge.campusRanges.forEach((text, i) => {
      const cidr = parseCidr(text);
      const path = ['edge', 'campusRanges', i];
      if (typeof cidr === 'string') {
        issue(path, `"${text}" ${cidr}: give the campus NAT's public egress address as a CIDR block, e.g. "203.0.113.7/32" or "2001:db8:1200::/48"`);
      } else if (cidr.hostBitsSet) {
        issue(path, `"${text}" has bits set beyond its /${text.split('/')[1]} prefix, and AWS WAF IP sets want the network address: write "${cidr.canonical}"`);
      } else if (cidr.private) {
        issue(
          path,
          `"${text}" is a private or internal range: CloudFront and the load balancer see the campus NAT's public address, so it would never match: give the public egress range (ask the campus network team, or look up the public IP from the exam hall)`,
        );
      } else if (seen.has(cidr.canonical)) {
        issue(path, `"${text}" is listed twice (also at campusRanges.${seen.get(cidr.canonical)}): list each range once`);
      } else {
        seen.set(cidr.canonical, i);
      }
    });
    if (a.edge.campusRateLimit !== undefined && a.edge.campusRanges.length === 0) {
      issue(['edge', 'campusRateLimit'], 'only applies to the addresses in aws.edge.campusRanges: add the campus egress ranges, or remove campusRateLimit');
    }
    const campusLimit = a.edge.campusRateLimit ?? DEFAULT_CAMPUS_RATE_LIMIT;
    if (a.edge.campusRanges.length > 0 && campusLimit <= a.edge.rateLimit) {
      issue(
        ['edge', 'campusRateLimit'],
        `(${campusLimit}) must be above aws.edge.rateLimit (${a.edge.rateLimit}), or campus addresses would get less than everyone else: raise campusRateLimit (default ${DEFAULT_CAMPUS_RATE_LIMIT}, sized for a 500-student exam hall) or lower rateLimit`,
      );
    }
    // Compute.
    if (a.compute.type === 'fargate' && a.compute.instanceType)
      issue(['compute', 'instanceType'], 'only applies to compute.type: ec2: remove it, or set compute.type: ec2');
    // Database.
    const engine = a.database.engine ?? (prod ? 'provisioned' : 'serverless');
    if (engine === 'serverless' && a.database.instanceClass)
      issue(['database', 'instanceClass'], 'only applies to database.engine: provisioned: remove it, or set engine: provisioned');
    if (engine === 'provisioned' && (a.database.minCapacity !== undefined || a.database.maxCapacity !== undefined)) {
      issue(
        ['database', a.database.minCapacity !== undefined ? 'minCapacity' : 'maxCapacity'],
        'capacity units only apply to database.engine: serverless: remove them, or set engine: serverless',
      );
    }
    const minAcu = a.database.minCapacity ?? 0.5;
    const maxAcu = a.database.maxCapacity ?? 16;
    if (engine === 'serverless' && minAcu > maxAcu)
      issue(['database', 'maxCapacity'], `(${maxAcu}) must be at least database.minCapacity (${minAcu}): raise maxCapacity or lower minCapacity`);
    if (engine === 'serverless' && prod && minAcu === 0) {
      issue(
        ['database', 'minCapacity'],
        'production must not let the database pause (resuming takes about 15 s): set minCapacity to 0.5 or more, or use aws.profile: small',
      );
    }
    if (prod && a.database.readers === 0) {
      issue(['database', 'readers'], 'production keeps a reader in another AZ to fail over to: set database.readers to 1 or more, or use aws.profile: small');
    }
    const retentionDays = a.database.backupRetention.seconds / DAY;
    if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 35) {
      issue(['database', 'backupRetention'], 'must be a whole number of days from "1d" to "35d" (Aurora\'s limits), e.g. "14d"');
    }
    // Cache.
    if (prod && a.cache.replicas === 0) {
      issue(
        ['cache', 'replicas'],
        'production keeps a replica in another AZ for automatic failover: set cache.replicas to 1 or more, or use aws.profile: small',
      );
    }
    // Shared files.
    if (a.sharedFiles.type === 'nfs' && !a.sharedFiles.nfsServer)
      issue(['sharedFiles', 'nfsServer'], 'is required when sharedFiles.type is nfs: give the NFS server host name or IP address');
    if (a.sharedFiles.type === 'efs' && a.sharedFiles.nfsServer)
      issue(['sharedFiles', 'nfsServer'], 'only applies to sharedFiles.type: nfs: remove it, or set type: nfs');
    if (a.sharedFiles.type === 'efs' && a.sharedFiles.nfsSecurityGroupId)
      issue(['sharedFiles', 'nfsSecurityGroupId'], 'only applies to sharedFiles.type: nfs: remove it, or set type: nfs');
    if (a.sharedFiles.type === 'nfs' && a.compute.type === 'fargate') {
      issue(['sharedFiles', 'type'], 'Fargate tasks can mount EFS but not another NFS server: set sharedFiles.type: efs, or compute.type: ec2');
    }
    // Backups and restore.
    checkBackupAndRestore(
      a.backup,
      a.restore,
      { region: a.region, account: a.account, sharedFilesType: a.sharedFiles.type, retiredEfsRetention: a.sharedFiles.backupRetention },
      issue,
    );
    // Mail.
    if (!a.mail.enabled) {
      if (a.mail.domain) issue(['mail', 'domain'], 'only applies when aws.mail.enabled is true: remove it, or set aws.mail.enabled: true');
      if (a.mail.sandboxRecipients.length)
        issue(['mail', 'sandboxRecipients'], 'only applies when aws.mail.enabled is true: remove them, or set aws.mail.enabled: true');
    }
    const mailDomain = a.mail.domain ?? a.domain;
    if (a.mail.enabled && mailDomain && a.mail.mailFromSubdomain && `${a.mail.mailFromSubdomain}.${mailDomain}`.length > 253) {
      issue(
        ['mail', 'mailFromSubdomain'],
        `${a.mail.mailFromSubdomain}.${mailDomain} is longer than the 253 characters a DNS name may have: use a shorter label such as "bounce", or false for SES's own MAIL FROM domain`,
      );
    }
    // Pipeline.
    if (a.pipeline.enabled && !a.pipeline.connectionArn)
      issue(
        ['pipeline', 'connectionArn'],
        'the pipeline reads the repository through a CodeConnections connection: create one (console: Developer Tools > Connections) and set pipeline.connectionArn',
      );
    if (a.pipeline.enabled && !a.pipeline.repository)
      issue(['pipeline', 'repository'], 'is required when the pipeline is enabled: set it to the "owner/name" of the repository holding moodle-ha.yaml');
    // Load balancer and logs.
    const delay = a.deregistrationDelay.seconds;
    if (delay < IMAGE_LIMITS.drainSeconds || delay > 3600) {
      issue(
        ['deregistrationDelay'],
        `must be from the image's drain time (${IMAGE_LIMITS.drainSeconds}s) to 1h, so in-flight requests finish before a task stops: e.g. "30s"`,
      );
    }
    const logDays = a.logRetention.seconds / DAY;
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logDays)) {
      issue(['logRetention'], `CloudWatch keeps logs for one of ${LOG_RETENTION_DAYS.slice(0, 12).join(', ')}… days: use e.g. "30d" or "90d"`);
    }
  })
  .transform((a) => {
    const prod = a.profile === 'production';
    const azs = a.azs ?? (prod ? 3 : 2);
    const engine = a.database.engine ?? (prod ? 'provisioned' : 'serverless');
    return {
      ...a,
      azs,
      compute: { ...a.compute, instanceType: a.compute.instanceType ?? (prod ? 'm6i.large' : 't3.medium') },
      database: {
        ...a.database,
        engine,
        instanceClass: a.database.instanceClass ?? 'db.r6g.large',
        minCapacity: a.database.minCapacity ?? 0.5,
        maxCapacity: a.database.maxCapacity ?? 16,
        readers: a.database.readers ?? (prod ? 1 : 0),
        deletionProtection: a.database.deletionProtection ?? prod,
      },
      mail: { ...a.mail, domain: a.mail.domain ?? a.domain },
      edge: { ...a.edge, campusRateLimit: a.edge.campusRateLimit ?? DEFAULT_CAMPUS_RATE_LIMIT },
      cache: { ...a.cache, nodeType: a.cache.nodeType ?? (prod ? 'cache.t4g.medium' : 'cache.t4g.micro'), replicas: a.cache.replicas ?? (prod ? 1 : 0) },
      /** NAT gateways: one per AZ in production, one in small. */
      natGateways: prod ? azs : 1,
    };
  });

export type AwsSpec = z.output<typeof awsSchema>;
