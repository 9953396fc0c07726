import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { NO_RELEASE } from '../config/names';

/** Frozen: changing it would make CloudFormation write `none` over every released tag. */
export const RELEASE_POINTER_DESCRIPTION =
  'Image tag (commit SHA) released last by the Berth pipeline; written by its Deploy stage';

export interface ReleasePointersProps {
  /** SSM parameter names, one per project. */
  readonly parameterNames: readonly string[];
}

/**
 * One SSM parameter per project holding the image tag its pipeline released last, `none` until then. They live
 * in the platform stack because a project stack reads its pointer as a CloudFormation parameter, which must
 * exist before that stack deploys. CloudFormation writes the initial value when it creates the parameter and
 * again only when one of its properties changes (value, description, tier, ...): so these properties are
 * frozen (a test pins them), and a later deploy never resets what the pipeline wrote.
 */
export class ReleasePointers extends Construct {
  readonly parameters: ssm.StringParameter[];

  constructor(scope: Construct, id: string, props: ReleasePointersProps) {
    super(scope, id);
    this.parameters = props.parameterNames.map(
      (name) =>
        new ssm.StringParameter(this, name, {
          parameterName: name,
          stringValue: NO_RELEASE,
          description:
            'Image tag (commit SHA) released last by the Berth pipeline; written by its Deploy stage',
          tier: ssm.ParameterTier.STANDARD,
        }),
    );
  }
}
