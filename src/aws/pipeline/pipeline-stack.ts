// The image pipeline, in its own stack deployed before the main one (the main stack's task
// definitions name its repository): a push that changes the spec or the plugin manifest starts it;
// CodeBuild builds and pushes the image, then runs `moodle-ha deploy` with the new tag.
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { LogBucket } from '../data/buckets.ts';
import { bootstrapRoleArns } from './bootstrap-roles.ts';
import { buildSpec, deploySpec } from './buildspecs.ts';
import { acknowledgeArtifactAccess, acknowledgeCodeBuildProject } from './pipeline-acks.ts';
import { ImageRepository } from './image-repository.ts';

export interface PipelineStackProps extends StackProps {
  readonly connectionArn: string;
  /** "owner/name". */
  readonly repository: string;
  /** @default "main" */
  readonly branch?: string;
  /** Path patterns whose change starts the pipeline. */
  readonly triggerPaths: readonly string[];
  /** Regions `cdk deploy` deploys to (the main region and us-east-1). */
  readonly deployRegions: readonly string[];
  /** @default false */
  readonly deleteData?: boolean;
}

export class PipelineStack extends Stack {
  readonly repository: ImageRepository['repository'];
  readonly pipeline: codepipeline.Pipeline;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    this.repository = new ImageRepository(this, 'Image', { deleteWithStack: props.deleteData }).repository;
    const key = new kms.Key(this, 'BuildKey', { enableKeyRotation: true, description: 'Encrypts the image pipeline builds and artifacts' });
    const logs = new LogBucket(this, 'AccessLogs', { deleteWithStack: props.deleteData });
    const artifacts = new s3.Bucket(this, 'Artifacts', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: logs.bucket,
      serverAccessLogsPrefix: 's3/artifacts/',
      autoDeleteObjects: props.deleteData ?? false,
      removalPolicy: props.deleteData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    const build = new codebuild.PipelineProject(this, 'Build', {
      description: 'Builds and pushes the Moodle runtime image',
      buildSpec: buildSpec(),
      encryptionKey: key,
      environment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, computeType: codebuild.ComputeType.MEDIUM, privileged: true },
      environmentVariables: { REPOSITORY_URI: { value: this.repository.repositoryUri } },
    });
    this.repository.grantPullPush(build);
    const deploy = new codebuild.PipelineProject(this, 'Deploy', {
      description: 'Runs moodle-ha deploy with the new image tag (migrate, then roll)',
      buildSpec: deploySpec(),
      encryptionKey: key,
      environment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, computeType: codebuild.ComputeType.SMALL },
    });
    // `cdk deploy` only assumes the bootstrap roles; CloudFormation itself uses the bootstrap's
    // execution role (docs/aws.md: bootstrap it with a scoped --cloudformation-execution-policies).
    deploy.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'AssumeCdkBootstrapRoles',
        actions: ['sts:AssumeRole'],
        resources: bootstrapRoleArns(props.deployRegions),
      }),
    );

    const source = new codepipeline.Artifact('Source');
    const sourceAction = new cpactions.CodeStarConnectionsSourceAction({
      actionName: 'Source',
      connectionArn: props.connectionArn,
      owner: props.repository.split('/')[0]!,
      repo: props.repository.split('/')[1]!,
      branch: props.branch ?? 'main',
      output: source,
      triggerOnPush: true,
    });
    const buildAction = new cpactions.CodeBuildAction({ actionName: 'Image', project: build, input: source, variablesNamespace: 'Image' });
    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineType: codepipeline.PipelineType.V2,
      artifactBucket: artifacts,
      restartExecutionOnUpdate: false,
      stages: [
        { stageName: 'Source', actions: [sourceAction] },
        { stageName: 'Build', actions: [buildAction] },
        {
          stageName: 'Deploy',
          actions: [
            new cpactions.CodeBuildAction({
              actionName: 'MigrateAndRoll',
              project: deploy,
              input: source,
              environmentVariables: { IMAGE_TAG: { value: buildAction.variable('IMAGE_TAG') } },
            }),
          ],
        },
      ],
      triggers: [
        {
          providerType: codepipeline.ProviderType.CODE_STAR_SOURCE_CONNECTION,
          gitConfiguration: {
            sourceAction,
            pushFilter: [{ branchesIncludes: [props.branch ?? 'main'], filePathsIncludes: [...props.triggerPaths] }],
          },
        },
      ],
    });

    acknowledgeCodeBuildProject(build.role!, 'Build', { registryLogin: true });
    acknowledgeCodeBuildProject(deploy.role!, 'Deploy');
    // The pipeline's role and the source action's role write artifacts; the build actions' roles only start builds.
    acknowledgeArtifactAccess(this.pipeline.role, { writes: true });
    acknowledgeArtifactAccess(this.pipeline.node.findChild('Source').node.findChild('Source').node.findChild('CodePipelineActionRole'), { writes: true });
  }
}
