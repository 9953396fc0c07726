import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CANDIDATE_TAG_PREFIX, IMAGE_PLATFORMS } from '../contracts';

export interface ProjectRegistryProps {
  /** Repository name, e.g. `berth/cash-collection`. */
  readonly repositoryName: string;
  /** How many release images (tagged with a commit SHA) to keep. @default 20 */
  readonly keepReleases?: number;
  /** Days a scanned-but-unreleased `candidate-` image is kept. @default 7 */
  readonly candidateDays?: number;
}

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
        // A release is three images: `<commit>-amd64`, `<commit>-arm64` and the index `<commit>` that lists them.
        // Each kind is counted by its own rule, so the last N releases keep all three: an image that a rule's tags
        // match cannot be expired by a lower-priority rule (ECR User Guide, "Lifecycle policy evaluation rules"),
        // and the catch-all rule then counts only the indexes. One count for all would expire a release's
        // platform images before its index, leaving a rollback target that cannot run.
        ...Object.values(IMAGE_PLATFORMS).map((arch) => ({
          description: `Keep the ${arch} images of the most recent releases`,
          tagStatus: ecr.TagStatus.TAGGED,
          tagPatternList: [`*-${arch}`],
          maxImageCount: props.keepReleases ?? 20,
        })),
        {
          description: 'Keep the most recent releases (their image indexes)',
          tagStatus: ecr.TagStatus.ANY,
          maxImageCount: props.keepReleases ?? 20,
        },
      ],
    });
  }
}
