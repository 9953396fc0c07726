import * as iam from 'aws-cdk-lib/aws-iam';
import { ArnFormat, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge, nagResource } from '../nag';

export interface ReleaseRoleProps {
  /** The project's name (the value of its `berth:project` tag). */
  readonly projectName: string;
  /** The project's task definition family. */
  readonly taskFamily: string;
  readonly clusterName: string;
  readonly serviceName: string;
  /** Name of the project's own stack. */
  readonly stackName: string;
  /** Stacks whose outputs the project stack reads (`Fn::GetStackOutput`): the network and platform stacks. */
  readonly referencedStackNames: readonly string[];
  /** The task and execution roles the task definition names. */
  readonly taskRoles: readonly iam.IRole[];
  /** Prefix of the project's own alarms (`<prefix>-<project>-`): the service's deployment alarms. */
  readonly alarmNamePrefix: string;
}

/**
 * The role CloudFormation uses when the release path updates the project stack: `UpdateStack` with the
 * previous template and a new `ImageTag` (or `RestartNonce`). It can do exactly what such an update (and its
 * rollback) does to this project's resources: register and deregister task definitions of the project's own
 * family (never privileged ones), create, update and delete the project's own ECS service, pass the project's
 * own task roles to ECS, and manage the service's scalable target and target-tracking policies (ECS desired counts
 * only: see ServiceScaling). Nothing of another project, nothing of the platform, no IAM beyond PassRole. A `cdk deploy` passes
 * CDK's own execution role and does not use this one.
 *
 * Only CloudFormation can assume it; only the project's Deploy function may pass it (see ReleaseFunctions).
 */
export class ReleaseRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ReleaseRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const arn = (service: string, resource: string, resourceName?: string, arnFormat?: ArnFormat) =>
      stack.formatArn({ service, resource, resourceName, arnFormat });
    const familyArn = arn('ecs', 'task-definition', `${props.taskFamily}:*`);
    const serviceArn = arn('ecs', 'service', `${props.clusterName}/${props.serviceName}`);

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('cloudformation.amazonaws.com'),
      description: `CloudFormation role of ${props.projectName}'s releases: its own task definitions, service and scaling only`,
    });
    const add = (s: iam.PolicyStatementProps) => this.role.addToPolicy(new iam.PolicyStatement(s));

    add({
      sid: 'RegisterOwnTaskDefinitions',
      actions: ['ecs:RegisterTaskDefinition'],
      resources: [familyArn],
    });
    add({
      sid: 'TagOwnTaskDefinitionsOnRegister',
      actions: ['ecs:TagResource'],
      resources: [familyArn],
      conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
    });
    // A privileged container is root on hosts every project shares: refused here whatever the template says
    // (Service Authorization Reference, Amazon ECS: RegisterTaskDefinition, condition key ecs:privileged), and
    // by the hosts' ECS agent (ECS_DISABLE_PRIVILEGED).
    add({
      sid: 'NeverPrivileged',
      effect: iam.Effect.DENY,
      actions: ['ecs:RegisterTaskDefinition'],
      resources: ['*'],
      conditions: { StringEquals: { 'ecs:privileged': 'true' } },
    });
    add({
      sid: 'TaskDefinitionsHaveNoResourceLevelPermissions',
      actions: ['ecs:DescribeTaskDefinition', 'ecs:DeregisterTaskDefinition'],
      resources: ['*'],
    });
    add({
      sid: 'CreateAndUpdateOwnServiceOnOwnFamily',
      actions: ['ecs:CreateService', 'ecs:UpdateService'],
      resources: [serviceArn],
      conditions: { ArnLikeIfExists: { 'ecs:task-definition': familyArn } },
    });
    add({
      sid: 'OwnService',
      actions: ['ecs:DescribeServices', 'ecs:DeleteService', 'ecs:TagResource'],
      resources: [serviceArn],
    });
    add({
      sid: 'PassOwnTaskRoles',
      actions: ['iam:PassRole'],
      resources: props.taskRoles.map((r) => r.roleArn),
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    });
    // Application Auto Scaling has no condition key naming the scalable resource, and CloudFormation's
    // AWS::ApplicationAutoScaling::ScalableTarget takes no tags that a condition could match (cfn-lint's schema),
    // so these are limited to ECS service desired counts. The role is assumable only by CloudFormation, and only
    // this project's Deploy function may pass it, to replay this project's previous template
    // (docs/decisions/0001-release-path.md, "Residual").
    add({
      sid: 'ServiceScaling',
      actions: [
        'application-autoscaling:RegisterScalableTarget',
        'application-autoscaling:DeregisterScalableTarget',
        'application-autoscaling:PutScalingPolicy',
        'application-autoscaling:DeleteScalingPolicy',
      ],
      resources: [arn('application-autoscaling', 'scalable-target', '*')],
      conditions: {
        StringEquals: {
          'application-autoscaling:service-namespace': 'ecs',
          'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
        },
      },
    });
    add({
      sid: 'ReadScaling',
      actions: [
        'application-autoscaling:DescribeScalableTargets',
        'application-autoscaling:DescribeScalingPolicies',
      ],
      resources: ['*'],
    });
    // Target tracking policies own alarms named after the scalable resource; ECS reads the deployment alarms.
    add({
      sid: 'TargetTrackingAlarms',
      actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarms'],
      resources: [
        arn(
          'cloudwatch',
          'alarm',
          `TargetTracking-service/${props.clusterName}/${props.serviceName}-*`,
          ArnFormat.COLON_RESOURCE_NAME,
        ),
        arn('cloudwatch', 'alarm', `${props.alarmNamePrefix}*`, ArnFormat.COLON_RESOURCE_NAME),
      ],
    });
    // Fn::GetStackOutput resolves with the stack's execution role (CloudFormation Template Reference,
    // Fn::GetStackOutput, RoleArn), and the CDK bootstrap version parameter is read at each update.
    add({
      sid: 'ResolveTemplateReferences',
      actions: ['cloudformation:DescribeStacks'],
      resources: props.referencedStackNames.map((n) => arn('cloudformation', 'stack', `${n}/*`)),
    });
    add({
      sid: 'ReadBootstrapVersion',
      actions: ['ssm:GetParameters', 'ssm:GetParameter'],
      resources: [arn('ssm', 'parameter', 'cdk-bootstrap/*')],
    });
    add({
      sid: 'ReadNetworkForServices',
      actions: [
        'ec2:DescribeSubnets',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeVpcs',
        'elasticloadbalancing:DescribeTargetGroups',
      ],
      resources: ['*'],
    });

    const ack = (statement: string, resource: string, reason: string) =>
      acknowledge(this.role, 'AwsSolutions-IAM5', `Release role, statement ${statement}: ${reason}`, [
        `Resource::${nagResource(this, resource)}`,
      ]);
    ack(
      'RegisterOwnTaskDefinitions',
      familyArn,
      "every revision of the project's own family (revisions need :*).",
    );
    ack(
      'TaskDefinitionsHaveNoResourceLevelPermissions',
      '*',
      'Describe/DeregisterTaskDefinition, the read-only ec2/elasticloadbalancing describes and the Application Auto Scaling describes have no resource-level permissions (Service Authorization Reference); the privileged deny must cover every task definition.',
    );
    ack(
      'ServiceScaling',
      arn('application-autoscaling', 'scalable-target', '*'),
      'scalable targets have random ids and no condition key names the scaled resource; limited to ECS service desired counts by condition.',
    );
    ack(
      'TargetTrackingAlarms',
      arn(
        'cloudwatch',
        'alarm',
        `TargetTracking-service/${props.clusterName}/${props.serviceName}-*`,
        ArnFormat.COLON_RESOURCE_NAME,
      ),
      'Application Auto Scaling names the target-tracking alarms of this service after it.',
    );
    ack(
      'TargetTrackingAlarms',
      arn('cloudwatch', 'alarm', `${props.alarmNamePrefix}*`, ArnFormat.COLON_RESOURCE_NAME),
      "the project's own alarms, which ECS reads as deployment alarms.",
    );
    for (const n of props.referencedStackNames) {
      ack(
        'ResolveTemplateReferences',
        arn('cloudformation', 'stack', `${n}/*`),
        'a stack ARN ends in its random id; read-only, for Fn::GetStackOutput.',
      );
    }
    ack(
      'ReadBootstrapVersion',
      arn('ssm', 'parameter', 'cdk-bootstrap/*'),
      'the CDK bootstrap version parameter lives under cdk-bootstrap/<qualifier>/; read-only.',
    );
  }
}
