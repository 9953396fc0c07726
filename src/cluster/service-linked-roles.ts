import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';

/**
 * The service-linked roles Berth's resources need, keyed by the service principal that owns each role. In an
 * account that never used a service, its role does not exist: CloudFormation then fails on the first resource
 * that needs it (aws-cdk#4108: an ECS scalable target names AWSServiceRoleForApplicationAutoScaling_ECSService).
 */
export const SERVICE_LINKED_ROLES = {
  'ecs.amazonaws.com': 'AWSServiceRoleForECS',
  'ecs.application-autoscaling.amazonaws.com': 'AWSServiceRoleForApplicationAutoScaling_ECSService',
  'elasticloadbalancing.amazonaws.com': 'AWSServiceRoleForElasticLoadBalancing',
  'autoscaling.amazonaws.com': 'AWSServiceRoleForAutoScaling',
  'ops.apigateway.amazonaws.com': 'AWSServiceRoleForAPIGateway',
} as const;

export interface ServiceLinkedRolesProps {
  /** Retention of the custom resource function's logs. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * Creates each service-linked role Berth needs, idempotently: `iam:CreateServiceLinkedRole` on create and update,
 * and IAM's "has been taken in this account" answer (error code InvalidInput) counts as done. The roles are never
 * deleted: other workloads of the account may use them (IAM User Guide, "Using service-linked roles").
 * Resources that need a role depend on this construct, so the first `cdk deploy --all` of a fresh account needs
 * no IAM step by hand.
 */
export class ServiceLinkedRoles extends Construct {
  constructor(scope: Construct, id: string, props: ServiceLinkedRolesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const [service, roleName] of Object.entries(SERVICE_LINKED_ROLES)) {
      const call: cr.AwsSdkCall = {
        service: 'IAM',
        action: 'createServiceLinkedRole',
        parameters: { AWSServiceName: service },
        physicalResourceId: cr.PhysicalResourceId.of(roleName),
        // The role exists already (created by the service, by hand, or by another stack): nothing to do.
        ignoreErrorCodesMatching: 'InvalidInput',
      };
      new cr.AwsCustomResource(this, roleName, {
        onCreate: call,
        onUpdate: call,
        installLatestAwsSdk: false,
        logGroup,
        policy: cr.AwsCustomResourcePolicy.fromStatements([
          new iam.PolicyStatement({
            actions: ['iam:CreateServiceLinkedRole'],
            resources: [
              stack.formatArn({
                service: 'iam',
                region: '',
                resource: 'role',
                resourceName: `aws-service-role/${service}/${roleName}`,
              }),
            ],
            conditions: { StringEquals: { 'iam:AWSServiceName': service } },
          }),
        ]),
      });
    }
    acknowledgeCustomResourceProvider(stack);
  }
}

/**
 * The one function CDK's AwsCustomResource shares across a stack (construct id `AWS` + its UUID): its runtime
 * follows aws-cdk-lib's releases, and its role uses AWSLambdaBasicExecutionRole for its own logs.
 */
export function acknowledgeCustomResourceProvider(stack: Stack): void {
  const provider = stack.node.tryFindChild(
    `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`,
  );
  if (!provider) return;
  acknowledge(
    provider,
    'AwsSolutions-IAM4',
    "CDK's AwsCustomResource provider function role: AWSLambdaBasicExecutionRole lets it write its own logs and nothing else.",
    ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
  );
  acknowledge(
    provider,
    'AwsSolutions-L1',
    "CDK's AwsCustomResource provider function: its runtime follows aws-cdk-lib's releases.",
  );
}
