// Where the runtime image comes from: a build-context folder built as a CDK asset at deploy time
// (pushed to the CDK bootstrap repository), or a tag in the pipeline's ECR repository.
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';

export type ImageSource =
  | { readonly directory: string; readonly file?: string; readonly buildArgs?: Record<string, string> }
  | { readonly repository: ecr.IRepository; readonly tag: string };

export function containerImage(scope: Construct, source: ImageSource): ecs.ContainerImage {
  if ('directory' in source) {
    const asset = new ecrAssets.DockerImageAsset(scope, 'RuntimeImage', {
      directory: source.directory,
      file: source.file,
      buildArgs: source.buildArgs,
      platform: ecrAssets.Platform.LINUX_AMD64,
    });
    return ecs.ContainerImage.fromDockerImageAsset(asset);
  }
  return ecs.ContainerImage.fromEcrRepository(source.repository, source.tag);
}
