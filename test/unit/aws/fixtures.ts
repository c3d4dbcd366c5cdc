// Shared fixtures of the AWS tests: two spec configurations and a builder that synthesizes each
// once per process (the first synth of a process takes 7 s, a later one 1.3 s). No AWS account,
// credentials or Docker.
import { Template } from 'aws-cdk-lib/assertions';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildMoodleApp, type ImageChoice, type MoodleApp } from '../../../src/aws/build-app.ts';
import { validateSpec } from '../../../src/spec/read.ts';
import { tempDir } from '../../support/temp.ts';

/** A tiny build context: asset staging copies the folder, so never a big tree. */
export function tinyImageDir(): string {
  const dir = tempDir('moodle-ha-test-image-');
  writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
  return dir;
}

export function tinyBundleDir(): string {
  const dir = tempDir('moodle-ha-test-bundle-');
  mkdirSync(join(dir, 'php'));
  writeFileSync(join(dir, 'php', 'extra.ini'), 'max_execution_time = 120\n');
  return dir;
}

export const CONNECTION_ARN = 'arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-0000-1111-2222-333344445555';
export const CERT_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/01234567-89ab-cdef-0123-456789abcdef';

/** Production: 3 AZs, EC2 capacity, provisioned Aurora, CloudFront + WAF, pipeline, schedules. */
export const PRODUCTION = {
  name: 'campus',
  profile: 'ha',
  site: { fullName: 'Campus Moodle', shortName: 'campus', adminEmail: 'ops@example.edu' },
  web: { fpmWorkers: 10, memory: '3Gi' },
  scaling: {
    min: 2,
    max: 6,
    targetRequestsPerNode: 40,
    targetCpuPercent: 60,
    scaleOutCooldown: '30s',
    scaleInCooldown: '2m',
    schedule: [
      { name: 'exam-week', from: '2099-06-01T06:00:00Z', until: '2099-06-12T20:00:00Z', min: 8, max: 12 },
      { name: 'weekday-mornings', cron: { start: '30 6 * * 1-5', end: '0 18 * * 1-5' }, min: 3 },
    ],
  },
  aws: {
    profile: 'production',
    region: 'eu-west-1',
    domain: 'moodle.example.edu',
    hostedZone: { id: 'Z0123456789ABC', name: 'example.edu' },
    alarmEmail: 'ops@example.edu',
    deregistrationDelay: '45s',
    pipeline: { enabled: true, connectionArn: CONNECTION_ARN, repository: 'school/moodle-site' },
  },
} as const;

/** Small: 2 AZs, one NAT, Fargate, Serverless v2, one cache node, no CloudFront, imported certificate. */
export const SMALL = {
  name: 'tiny',
  aws: {
    profile: 'small',
    region: 'eu-west-1',
    domain: 'moodle.example.edu',
    certificateArn: CERT_ARN,
    compute: { type: 'fargate' },
    edge: { enabled: false, rateLimit: 2000 },
  },
} as const;

export interface Built {
  readonly built: MoodleApp;
  readonly main: Template;
  readonly edge?: Template;
  readonly pipeline?: Template;
  readonly edgeMonitoring?: Template;
}

/** How a test's app is built: its image (default: a tiny Dockerfile), the data policy, a config bundle. */
export interface BuildOptions {
  readonly image?: ImageChoice;
  readonly deleteData?: boolean;
  readonly configBundle?: string;
}

/** Apps built in this process, by spec and options: the unit tier runs the AWS files in one process (scripts/unit-groups.ts). */
const builds = new Map<string, Built>();

/** The app of `raw` with `opts`, synthesized once per process: the tests only read it. */
export function build(raw: unknown, opts: BuildOptions = {}): Built {
  const key = JSON.stringify([raw, opts]);
  const known = builds.get(key);
  if (known) return known;
  const made = synthesizeOnce(raw, opts);
  builds.set(key, made);
  return made;
}

function synthesizeOnce(raw: unknown, opts: BuildOptions): Built {
  const withBundle = opts.configBundle ? { ...(raw as object), configBundle: opts.configBundle } : raw;
  const spec = validateSpec(withBundle);
  const built = buildMoodleApp({
    spec,
    image: opts.image ?? { directory: tinyImageDir() },
    nag: false,
    deleteData: opts.deleteData,
    outdir: tempDir('moodle-ha-cdk-'),
  });
  return {
    built,
    main: Template.fromStack(built.main!),
    edge: built.edge ? Template.fromStack(built.edge) : undefined,
    pipeline: built.pipeline ? Template.fromStack(built.pipeline) : undefined,
    edgeMonitoring: built.edgeMonitoring ? Template.fromStack(built.edgeMonitoring) : undefined,
  };
}

/** Resources of one type: logical id → resource. */
export function resources(
  t: Template,
  type: string,
): Record<
  string,
  { Properties: Record<string, any>; DependsOn?: string[]; DeletionPolicy?: string; UpdateReplacePolicy?: string; Metadata?: Record<string, any> }
> {
  return t.findResources(type) as never;
}

export function only<T>(record: Record<string, T>): [string, T] {
  const entries = Object.entries(record);
  if (entries.length !== 1) throw new Error(`expected exactly one, found ${entries.length}: ${entries.map(([k]) => k).join(', ')}`);
  return entries[0]!;
}
