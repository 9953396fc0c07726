import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * ARNs of resources the shared stacks know only by the names the config derives (references flow one way, so
 * they never import a project stack's resources).
 */

/** A secret by name: Secrets Manager appends `-` and six random characters to the name in its ARN. */
export function secretArnByName(scope: IConstruct, secretName: string): string {
  return Stack.of(scope).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${secretName}-??????`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** A CodePipeline pipeline by name. */
export function pipelineArnByName(scope: IConstruct, pipelineName: string): string {
  return Stack.of(scope).formatArn({ service: 'codepipeline', resource: pipelineName });
}
