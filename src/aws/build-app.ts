// Builds the CDK app from a spec: the us-east-1 edge stack (when CloudFront is on), the image
// pipeline stack (when the pipeline is on), the backup copy vault's stack (when copies go to a vault
// moodle-ha makes), the main stack and, with CloudFront, the us-east-1 stack of its alarm, in that
// deploy order. Used by the app entry (src/aws/app.ts, which the cdk CLI runs) and in-process by
// `moodle-ha synth` and tests.
import { runtimeBuildArgs } from '../image/runtime-context.ts';
import { App, type Environment } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { isAbsolute, resolve } from 'node:path';
import type { Spec } from '../spec/schema.ts';
import { UserError } from '../util/errors.ts';
import type { ImageSource } from './compute/image.ts';
import { webAclFromArn } from './compute/scheduled-capacity.ts';
import { planDeployment, type Deployment } from './plan.ts';
import { BackupCopyStack } from './data/backup-copy-stack.ts';
import { EdgeStack } from './edge/edge-stack.ts';
import { MoodleStack } from './moodle-stack.ts';
import { addNagChecks, resolveAcknowledgements } from './nag.ts';
import { EdgeMonitoringStack } from './observability/edge-monitoring-stack.ts';
import { PipelineStack } from './pipeline/pipeline-stack.ts';

/** The image as the CLI knows it: a build-context folder, or a tag pushed by the pipeline. */
export type ImageChoice = { readonly directory: string; readonly file?: string } | { readonly tag: string };

export interface BuildOptions {
  readonly spec: Spec;
  /** Folder relative paths of the spec resolve against. @default process.cwd() */
  readonly baseDir?: string;
  /** @default - only the pipeline stack (when the pipeline is on), else an error */
  readonly image?: ImageChoice;
  /** Account to deploy to. @default spec.aws.account, then CDK_DEFAULT_ACCOUNT, else account-agnostic */
  readonly account?: string;
  /** Run cdk-nag (AwsSolutions) as a synthesis validation. @default true */
  readonly nag?: boolean;
  /** Lift RETAIN, snapshots and deletion protection (destroy --delete-data). @default false */
  readonly deleteData?: boolean;
  /** Where the cloud assembly is written. @default - the App's default (CDK_OUTDIR or a temp dir) */
  readonly outdir?: string;
  /** Use this app instead of a new one. */
  readonly app?: App;
}

export interface MoodleApp {
  readonly app: App;
  readonly plan: Deployment;
  readonly main?: MoodleStack;
  readonly edge?: EdgeStack;
  readonly pipeline?: PipelineStack;
  /** The us-east-1 CloudFront alarm (with the edge). */
  readonly edgeMonitoring?: EdgeMonitoringStack;
  /** The vault for cross-region copies (aws.backup.copyTo without a vaultArn). */
  readonly backupCopy?: BackupCopyStack;
  /** Acknowledgements that matched no cdk-nag finding (should be none). */
  readonly unusedAcknowledgements: readonly string[];
}

export const EDGE_REGION = 'us-east-1';
const STRONG_REFERENCES = '@aws-cdk/core:defaultCrossStackReferences';
const NO_DEPRECATED_SNAPSHOT_SECRET = '@aws-cdk/aws-rds:preventRenderingDeprecatedCredentials';

export function stackNames(name: string) {
  return {
    main: name,
    edge: `${name}-edge`,
    pipeline: `${name}-pipeline`,
    edgeMonitoring: `${name}-edge-monitoring`,
    backupCopy: `${name}-backup-copy`,
  } as const;
}

export function buildMoodleApp(opts: BuildOptions): MoodleApp {
  const plan = planDeployment(opts.spec);
  const a = plan.aws;
  const app = opts.app ?? new App(opts.outdir ? { outdir: opts.outdir } : {});
  // Cross-stack references (edge → main, pipeline → main) protect the producer from deletion.
  if (app.node.tryGetContext(STRONG_REFERENCES) === undefined) app.node.setContext(STRONG_REFERENCES, 'strong');
  // A cluster from a snapshot (a restore) gets only the secret its new password is in, not also an unused one.
  if (app.node.tryGetContext(NO_DEPRECATED_SNAPSHOT_SECRET) === undefined) app.node.setContext(NO_DEPRECATED_SNAPSHOT_SECRET, true);
  const account = opts.account ?? a.account ?? process.env.CDK_DEFAULT_ACCOUNT;
  const env = (region: string): Environment => ({ account, region });
  const names = stackNames(plan.name);
  const tags = { 'moodle-ha:cluster': plan.name, 'moodle-ha:profile': a.profile };

  const pipeline = a.pipeline.enabled
    ? new PipelineStack(app, names.pipeline, {
        env: env(a.region),
        tags,
        description: `moodle-ha ${plan.name}: image pipeline`,
        connectionArn: a.pipeline.connectionArn!,
        repository: a.pipeline.repository!,
        branch: a.pipeline.branch,
        triggerPaths: a.pipeline.triggerPaths,
        deployRegions: [...new Set([a.region, EDGE_REGION])],
        deleteData: opts.deleteData,
      })
    : undefined;

  if (!opts.image) {
    if (!pipeline) {
      throw new UserError(
        'no runtime image to deploy: pass --image-dir DIR (a build context with the runtime Dockerfile), or turn on aws.pipeline and pass --image-tag TAG',
      );
    }
    const unusedAcknowledgements = (opts.nag ?? true) ? addNagChecks(app) : resolveAcknowledgements(app);
    return { app, plan, pipeline, unusedAcknowledgements };
  }
  let image: ImageSource;
  if ('tag' in opts.image) {
    if (!pipeline)
      throw new UserError(`--image-tag ${opts.image.tag} needs the pipeline's ECR repository: set aws.pipeline.enabled: true, or pass --image-dir DIR instead`);
    image = { repository: pipeline.repository, tag: opts.image.tag };
  } else {
    // The same build arguments as the local build (one source: src/image/runtime-context.ts).
    image = { directory: opts.image.directory, file: opts.image.file, buildArgs: runtimeBuildArgs(opts.spec) };
  }

  const edge = a.edge.enabled
    ? new EdgeStack(app, names.edge, {
        env: env(EDGE_REGION),
        tags,
        description: `moodle-ha ${plan.name}: CloudFront certificate and WAF (us-east-1)`,
        domain: plan.domain,
        hostedZone: a.hostedZone,
        rateLimit: a.edge.rateLimit,
        campusRanges: a.edge.campusRanges,
        campusRateLimit: a.edge.campusRateLimit,
        logRetention: (a.logRetention.seconds / 86400) as logs.RetentionDays,
        deleteData: opts.deleteData,
        edgeCertificateArn: a.edgeCertificateArn ?? (a.region === EDGE_REGION ? a.certificateArn : undefined),
      })
    : undefined;
  const baseDir = opts.baseDir ?? process.cwd();
  const main = new MoodleStack(app, names.main, {
    env: env(a.region),
    tags,
    description: `moodle-ha ${plan.name}: highly available Moodle (${a.profile})`,
    plan,
    image,
    deleteData: opts.deleteData,
    pipeline: pipeline?.pipeline,
    edge: edge
      ? {
          certificate: edge.certificate,
          // The IP sets the ACL references: UpdateWebACL (the schedule applier) is authorized against them too.
          webAcl: { ...webAclFromArn(edge.webAclArn, 'CLOUDFRONT', EDGE_REGION), referencedArns: edge.waf.campusIpSets.map((s) => s.attrArn) },
        }
      : undefined,
    configBundleDir: plan.configBundle ? (isAbsolute(plan.configBundle) ? plan.configBundle : resolve(baseDir, plan.configBundle)) : undefined,
  });
  if (edge) main.addStackDependency(edge);
  if (pipeline) main.addStackDependency(pipeline);
  const copyTo = a.backup.copyTo;
  const backupCopy =
    copyTo && !copyTo.vaultArn
      ? new BackupCopyStack(app, names.backupCopy, {
          env: env(copyTo.region),
          tags,
          description: `moodle-ha ${plan.name}: vault for copies of its backups (${copyTo.region})`,
          site: plan.name,
        })
      : undefined;
  if (backupCopy) main.addStackDependency(backupCopy);
  const edgeMonitoring = main.distribution
    ? new EdgeMonitoringStack(app, names.edgeMonitoring, {
        env: env(EDGE_REGION),
        tags,
        description: `moodle-ha ${plan.name}: CloudFront alarm (us-east-1, where CloudFront publishes its metrics)`,
        distributionId: main.distribution.distribution.distributionId,
        alarmEmail: a.alarmEmail,
      })
    : undefined;
  edgeMonitoring?.addStackDependency(main);
  const unusedAcknowledgements = (opts.nag ?? true) ? addNagChecks(app) : resolveAcknowledgements(app);
  return { app, plan, main, edge, pipeline, edgeMonitoring, backupCopy, unusedAcknowledgements };
}
