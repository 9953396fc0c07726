import * as s3 from 'aws-cdk-lib/aws-s3';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';

export interface ArtifactsBucketProps {
  /** Days before a pipeline artifact expires. @default 30 */
  readonly expireDays?: number;
}

/**
 * A project's pipeline artifacts: KMS-encrypted (AWS managed key), public access blocked, TLS only, versioned,
 * old artifacts expire. Retained on delete (a documented choice: the bucket empties itself through the
 * lifecycle, and deleting it by hand is in the teardown runbook), so no emptying Lambda is needed.
 */
export class ArtifactsBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ArtifactsBucketProps = {}) {
    super(scope, id);
    const days = props.expireDays ?? 30;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS_MANAGED,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      lifecycleRules: [
        {
          expiration: Duration.days(days),
          noncurrentVersionExpiration: Duration.days(7),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.bucket,
      'AwsSolutions-S1',
      "Holds only transient pipeline artifacts written by the project's own roles; CodePipeline and CodeBuild already log every execution.",
    );
  }
}
