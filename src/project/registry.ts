import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export interface ProjectRegistryProps {
  /** Repository name, e.g. `berth/cash-collection`. */
  readonly repositoryName: string;
  /** How many release images (tagged with a commit SHA) to keep. @default 20 */
  readonly keepReleases?: number;
  /** Days a scanned-but-unreleased `candidate-` image is kept. @default 7 */
  readonly candidateDays?: number;
}

/** Tag prefix of images built and pushed for scanning; only the Push stage gives an image its release tag. */
export const CANDIDATE_TAG_PREFIX = 'candidate-';

/**
 * A project's image repository: scanned on push, immutable tags (a commit's image can never be replaced),
 * KMS-encrypted, with a lifecycle that expires untagged and stale candidate images and keeps the last releases.
 * Retained when the stack is deleted: images are release history.
 */
export class ProjectRegistry extends Construct {
  readonly repository: ecr.Repository;

  constructor(scope: Construct, id: string, props: ProjectRegistryProps) {
    super(scope, id);
    this.repository = new ecr.Repository(this, 'Repository', {
      repositoryName: props.repositoryName,
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      encryption: ecr.RepositoryEncryption.KMS,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          description: 'Expire untagged images after a day',
          tagStatus: ecr.TagStatus.UNTAGGED,
          maxImageAge: Duration.days(1),
        },
        {
          description: 'Expire candidate images (scanned, not released) after a week',
          tagStatus: ecr.TagStatus.TAGGED,
          tagPrefixList: [CANDIDATE_TAG_PREFIX],
          maxImageAge: Duration.days(props.candidateDays ?? 7),
        },
        {
          description: 'Keep the most recent release images',
          tagStatus: ecr.TagStatus.ANY,
          maxImageCount: props.keepReleases ?? 20,
        },
      ],
    });
  }
}
