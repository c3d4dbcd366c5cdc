// The ECR repository of the runtime image: scan on push, immutable tags, lifecycle rules that
// keep recent releases and drop untagged layers, RETAIN (running tasks pull from it).
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';

export interface ImageRepositoryProps {
  /** Tagged images kept. @default 30 */
  readonly keepImages?: number;
  /** @default false (RETAIN) */
  readonly deleteWithStack?: boolean;
}

export class ImageRepository extends Construct {
  readonly repository: ecr.Repository;

  constructor(scope: Construct, id: string, props: ImageRepositoryProps = {}) {
    super(scope, id);
    this.repository = new ecr.Repository(this, 'Repository', {
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      encryption: ecr.RepositoryEncryption.AES_256,
      removalPolicy: props.deleteWithStack ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      emptyOnDelete: props.deleteWithStack ?? false,
      lifecycleRules: [
        { description: 'Drop untagged images after a week', tagStatus: ecr.TagStatus.UNTAGGED, maxImageAge: Duration.days(7), rulePriority: 1 },
        { description: 'Keep the newest tagged images', tagStatus: ecr.TagStatus.ANY, maxImageCount: props.keepImages ?? 30, rulePriority: 2 },
      ],
    });
  }
}
