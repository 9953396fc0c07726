import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { NO_RELEASE } from '../config/names';

export interface ReleasePointersProps {
  /** SSM parameter names, one per project. */
  readonly parameterNames: readonly string[];
}

/**
 * One SSM parameter per project holding the image tag its pipeline released last, `none` until then. They live
 * in the platform stack because a project stack reads its pointer as a CloudFormation parameter, which must
 * exist before that stack deploys. CloudFormation writes the initial value once and never again (the resource's
 * properties never change), so a later deploy never resets what the pipeline wrote.
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
