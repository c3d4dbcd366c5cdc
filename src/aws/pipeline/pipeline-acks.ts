// The cdk-nag IAM5 findings of the grants CodeBuild and CodePipeline make by default, acknowledged
// one finding at a time on the role that has it, each naming the resource the wildcard is limited
// to. Nothing here covers a bare "*" resource except ecr:GetAuthorizationToken on the image build.
import type { IConstruct } from 'constructs';
import { acknowledgeFinding } from '../nag.ts';

/** Logical-id prefixes of the pipeline stack's own resources, as they appear in findings. */
const ARTIFACTS = 'Artifacts';
const KEY = 'BuildKey';

function ack(scope: IConstruct, finding: RegExp, reason: string): void {
  acknowledgeFinding(scope, { rule: 'IAM5', finding, reason });
}

/**
 * Read (and, for the pipeline's roles, write) access to the artifact bucket and its KMS key:
 * CDK grants these wildcard actions on that bucket and that key only.
 */
export function acknowledgeArtifactAccess(scope: IConstruct, opts: { readonly writes: boolean }): void {
  const key = `the pipeline's own KMS key (${KEY}), which encrypts the artifacts`;
  ack(scope, /^Action::kms:ReEncrypt\*$/, `kms:ReEncrypt* only on ${key}.`);
  ack(scope, /^Action::kms:GenerateDataKey\*$/, `kms:GenerateDataKey* only on ${key}.`);
  const bucket = `the pipeline's artifact bucket (${ARTIFACTS}) and its objects only`;
  ack(scope, /^Action::s3:GetObject\*$/, `s3:GetObject* (object and version reads) on ${bucket}.`);
  ack(scope, /^Action::s3:GetBucket\*$/, `s3:GetBucket* (location, versioning) on ${bucket}.`);
  ack(scope, /^Action::s3:List\*$/, `s3:List* on ${bucket}.`);
  if (opts.writes) {
    ack(scope, /^Action::s3:DeleteObject\*$/, `s3:DeleteObject* on ${bucket}: CodePipeline replaces artifacts it wrote.`);
    ack(scope, /^Action::s3:Abort\*$/, `s3:Abort* (multipart uploads) on ${bucket}.`);
  }
  ack(
    scope,
    new RegExp(`^Resource::<${ARTIFACTS}[0-9A-F]{8}\\.Arn>/\\*$`),
    `Objects of the pipeline's artifact bucket (${ARTIFACTS}/*): each execution writes new artifact keys.`,
  );
}

/**
 * A CodeBuild project's own log group and report groups, named after the project (logical id
 * `projectId`), plus its artifact access; `registryLogin` for the project that pushes to ECR.
 */
export function acknowledgeCodeBuildProject(role: IConstruct, projectId: string, opts: { readonly registryLogin?: boolean } = {}): void {
  const project = `<${projectId}[0-9A-F]{8}>`;
  ack(
    role,
    new RegExp(`^Resource::arn:<AWS::Partition>:logs:[a-z0-9-]+:<AWS::AccountId>:log-group:/aws/codebuild/${project}:\\*$`),
    `Log streams of the ${projectId} project's own log group /aws/codebuild/<project> (stream names are per build).`,
  );
  ack(
    role,
    new RegExp(`^Resource::arn:<AWS::Partition>:codebuild:[a-z0-9-]+:<AWS::AccountId>:report-group/${project}-\\*$`),
    `Report groups CodeBuild names after the ${projectId} project (<project>-<report>), nothing else.`,
  );
  if (opts.registryLogin) {
    ack(
      role,
      /^Resource::\*$/,
      'ecr:GetAuthorizationToken (docker login to ECR) takes no resource; pushes are limited to the image repository by the next statement.',
    );
  }
  acknowledgeArtifactAccess(role, { writes: false });
}
