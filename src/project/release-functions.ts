import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Duration, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BerthFunction } from '../common/berth-function';
import { METRICS_NAMESPACE, RELEASE_ENV, type ImageArchitecture, type Severity } from '../contracts';
import { acknowledge, nagResource } from '../nag';

export interface ReleaseFunctionsProps {
  readonly projectName: string;
  /** Function names by stage: `<prefix>-<project>-scan` and so on. */
  readonly functionName: (stage: 'scan' | 'push' | 'deploy' | 'verify') => string;
  readonly repository: ecr.IRepository;
  /** Architectures the project's images are built for. */
  readonly architectures: readonly ImageArchitecture[];
  /** Lowest finding severity that blocks a release. */
  readonly scanSeverity: Severity;
  /** Name of the project stack, the stack these functions are in (the only stack Deploy may update). */
  readonly stackName: string;
  /** The role CloudFormation uses for releases; Deploy may pass only this one, only to CloudFormation. */
  readonly releaseRole: iam.IRole;
  /** Name of the SSM parameter logging the releases. */
  readonly releaseLogParameterName: string;
  readonly clusterName: string;
  readonly serviceName: string;
  /** URL of the health path through the internal ALB; undefined for a worker. */
  readonly healthUrl?: string;
  /** Verify runs in this VPC with this security group (the one the ALB admits). */
  readonly vpc: ec2.IVpc;
  readonly verifySecurityGroup: ec2.ISecurityGroup;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The typed release stages of one project: Scan, Push, Deploy and Verify as Lambda functions that CodePipeline
 * invokes (Lambda invoke actions), each with its own role, limited to this project's resources, and its own
 * log group. They start in about a second instead of waiting for a build container; long waits (ECR's scan,
 * CloudFormation's update) poll in the function and hand over with a continuation token when needed.
 */
export class ReleaseFunctions extends Construct {
  readonly scan: BerthFunction;
  readonly push: BerthFunction;
  readonly deploy: BerthFunction;
  readonly verify: BerthFunction;

  constructor(scope: Construct, id: string, props: ReleaseFunctionsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const repo = props.repository;
    const common = {
      [RELEASE_ENV.project]: props.projectName,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    };
    const make = (
      stage: 'scan' | 'push' | 'deploy' | 'verify',
      description: string,
      environment: Record<string, string>,
      extra: { timeout?: Duration; vpc?: boolean } = {},
    ) => {
      const fn = new BerthFunction(this, stage.charAt(0).toUpperCase() + stage.slice(1), {
        handlerDir: `release-${stage}`,
        functionName: props.functionName(stage),
        description: `Berth ${props.projectName}: ${description}`,
        environment: { ...common, POWERTOOLS_SERVICE_NAME: props.functionName(stage), ...environment },
        // Each invocation works until about 30 s before its timeout, then hands over with a continuation token
        // (CodePipeline re-invokes the function with it); the stage's own deadline bounds the whole wait.
        timeout: extra.timeout ?? Duration.minutes(5),
        memorySize: 256,
        logRetention: props.logRetention,
        ...(extra.vpc ? { vpc: { vpc: props.vpc, securityGroups: [props.verifySecurityGroup] } } : {}),
      });
      // CodePipeline invokes asynchronously; a crash is retried once (every step is idempotent) and then the
      // action times out, which the pipeline reports.
      fn.function.configureAsyncInvoke({ retryAttempts: 1, maxEventAge: Duration.hours(1) });
      // CodePipeline's Lambda invoke action grants the function codepipeline:PutJobSuccessResult and
      // PutJobFailureResult, which have no resource-level permission (Service Authorization Reference, AWS
      // CodePipeline); the job id they need is a GUID only the invoked function sees.
      acknowledge(
        fn.role,
        'AwsSolutions-IAM5',
        `${stage} function role, CodePipeline's statement for codepipeline:PutJobSuccessResult/PutJobFailureResult: no resource-level permission exists.`,
        ['Resource::*'],
      );
      return fn;
    };
    const architectures = props.architectures.join(',');

    this.scan = make('scan', 'Scan stage (ECR findings gate)', {
      [RELEASE_ENV.repositoryName]: repo.repositoryName,
      [RELEASE_ENV.architectures]: architectures,
      [RELEASE_ENV.scanSeverity]: props.scanSeverity,
    });
    this.scan.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadOwnImagesAndScans',
        actions: ['ecr:BatchGetImage', 'ecr:DescribeImageScanFindings', 'ecr:StartImageScan'],
        resources: [repo.repositoryArn],
      }),
    );
    // Enhanced scanning reads findings through Amazon Inspector (ECR User Guide, "IAM permissions required for
    // enhanced scanning"); these actions and the registry's scanning configuration have no resource scope.
    this.scan.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadScanningConfigurationAndInspectorFindings',
        actions: [
          'ecr:GetRegistryScanningConfiguration',
          'inspector2:ListFindings',
          'inspector2:ListCoverage',
        ],
        resources: ['*'],
      }),
    );

    acknowledge(
      this.scan.role,
      'AwsSolutions-IAM5',
      'Scan function role, statement ReadScanningConfigurationAndInspectorFindings: ecr:GetRegistryScanningConfiguration, inspector2:ListFindings and inspector2:ListCoverage have no resource-level permissions; they are what ECR enhanced scanning requires (ECR User Guide, "IAM permissions required for enhanced scanning"). Read-only.',
      ['Resource::*'],
    );

    this.push = make(
      'push',
      'Push stage (release tags)',
      {
        [RELEASE_ENV.repositoryName]: repo.repositoryName,
        [RELEASE_ENV.architectures]: architectures,
      },
      { timeout: Duration.minutes(1) },
    );
    this.push.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RetagOwnImages',
        actions: ['ecr:BatchGetImage', 'ecr:PutImage', 'ecr:BatchDeleteImage'],
        resources: [repo.repositoryArn],
      }),
    );

    const serviceArn = stack.formatArn({
      service: 'ecs',
      resource: 'service',
      resourceName: `${props.clusterName}/${props.serviceName}`,
    });
    const releaseLogArn = stack.formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: props.releaseLogParameterName.replace(/^\//, ''),
    });
    // The functions live in the stack they release: its own id (AWS::StackId) is the one ARN they may touch.
    if (props.stackName !== stack.stackName) {
      throw new Error(
        `ReleaseFunctions must be in the stack it releases (${props.stackName}), not ${stack.stackName}`,
      );
    }
    const stackArn = stack.stackId;

    this.deploy = make('deploy', 'Deploy stage (CloudFormation update of the image tag)', {
      [RELEASE_ENV.stackName]: props.stackName,
      [RELEASE_ENV.releaseRoleArn]: props.releaseRole.roleArn,
      [RELEASE_ENV.releaseLogParameter]: props.releaseLogParameterName,
      [RELEASE_ENV.clusterName]: props.clusterName,
      [RELEASE_ENV.serviceName]: props.serviceName,
    });
    const d = this.deploy.role;
    // Only this project's stack, and only with the release role: an UpdateStack without a role would run with
    // the role the stack was last deployed with, CDK's administrator execution role.
    d.addToPolicy(
      new iam.PolicyStatement({
        sid: 'UpdateOwnStackWithReleaseRole',
        actions: ['cloudformation:UpdateStack'],
        resources: [stackArn],
        conditions: { StringEquals: { 'cloudformation:RoleArn': props.releaseRole.roleArn } },
      }),
    );
    d.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WatchOwnStack',
        actions: ['cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents'],
        resources: [stackArn],
      }),
    );
    d.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PassReleaseRoleToCloudFormation',
        actions: ['iam:PassRole'],
        resources: [props.releaseRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
      }),
    );
    d.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteReleaseLog',
        actions: ['ssm:GetParameter', 'ssm:PutParameter'],
        resources: [releaseLogArn],
      }),
    );
    d.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadBootstrapVersion',
        actions: ['ssm:GetParameters', 'ssm:GetParameter'],
        resources: [
          stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: 'cdk-bootstrap/*' }),
        ],
      }),
    );
    d.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WatchOwnService',
        actions: ['ecs:DescribeServices'],
        resources: [serviceArn],
      }),
    );
    acknowledge(
      d,
      'AwsSolutions-IAM5',
      'Deploy function role, statement ReadBootstrapVersion: the CDK bootstrap version parameter lives under cdk-bootstrap/<qualifier>/ (read-only).',
      [
        `Resource::${nagResource(this, stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: 'cdk-bootstrap/*' }))}`,
      ],
    );

    this.verify = make(
      'verify',
      'Verify stage (service settled and healthy)',
      {
        [RELEASE_ENV.clusterName]: props.clusterName,
        [RELEASE_ENV.serviceName]: props.serviceName,
        ...(props.healthUrl ? { [RELEASE_ENV.healthUrl]: props.healthUrl } : {}),
      },
      { vpc: true },
    );
    this.verify.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WatchOwnService',
        actions: ['ecs:DescribeServices'],
        resources: [serviceArn],
      }),
    );
    acknowledge(
      this.verify.role,
      'AwsSolutions-IAM4',
      'Verify runs in the VPC: AWSLambdaVPCAccessExecutionRole is the AWS-maintained minimum for a function to manage its network interfaces.',
      ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole'],
    );
  }

  /** Every function, for the pipeline's invoke actions. */
  get all(): BerthFunction[] {
    return [this.scan, this.push, this.deploy, this.verify];
  }
}
