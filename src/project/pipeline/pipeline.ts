import * as path from 'node:path';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PIPELINE_VARIABLES } from '../../config/names';
import { acknowledge } from '../../nag';
import { PAT_JSON_KEY } from '../secrets';
import * as specs from './buildspecs';

export interface DeliveryPipelineProps {
  /** Pipeline name, `<prefix>-<project>`. */
  readonly pipelineName: string;
  /** Project name, for descriptions. */
  readonly projectName: string;
  /** HTTPS clone URL of the Azure DevOps repository. */
  readonly repositoryUrl: string;
  /** Branch pushes come from; the default of the BRANCH variable. */
  readonly branch: string;
  /** Repository name; the default of the REPOSITORY variable. */
  readonly repositoryName: string;
  /** Name of the project's PAT secret (a literal: CodeBuild parses `<name>:<json-key>`). */
  readonly patSecretName: string;
  readonly artifactsBucket: s3.IBucket;
  readonly repository: ecr.IRepository;
  readonly service: ecs.IBaseService;
  readonly clusterName: string;
  readonly serviceName: string;
  readonly containerName: string;
  /** Roles the Deploy stage passes to ECS when it registers a task definition. */
  readonly taskRoles: readonly iam.IRole[];
  /** SSM parameter the Deploy stage writes the released tag to. */
  readonly imageTagParameterName: string;
  readonly desiredCount: number;
  readonly minCount: number;
  readonly maxCount: number;
  /** Test command run in the Test stage. @default 'npm test' */
  readonly testCommand?: string;
  /** Lowest scan severity that fails the release. @default 'CRITICAL' */
  readonly scanSeverity?: string;
  /** CPU architecture of the container hosts; the Build stage builds images for it. @default 'x86_64' */
  readonly imageArchitecture?: 'x86_64' | 'arm64';
  /** Run a manual approval before Deploy. @default false */
  readonly approval?: boolean;
  /** Topic approval requests go to. @default - none */
  readonly approvalTopic?: sns.ITopic;
  /** VPC the Verify stage runs in. */
  readonly vpc: ec2.IVpc;
  /** Security group of the Verify stage (admitted by the ALB). */
  readonly verifySecurityGroup: ec2.ISecurityGroup;
  /** URL of the health path through the internal ALB. */
  readonly healthUrl: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** The 8 stages, in order; names are what operators see in the console. */
export const STAGES = ['Source', 'Checkout', 'Test', 'Build', 'Scan', 'Push', 'Deploy', 'Verify'] as const;

/**
 * One project's delivery pipeline (CodePipeline V2, QUEUED executions): a no-trigger Source, then Checkout of
 * the pushed commit from Azure DevOps, Test, Build, Scan, Push, Deploy (optionally approved) and Verify, each a
 * CodeBuild project with its own least-privilege role. Executions queue rather than supersede: two pushes a
 * minute apart both release, in order, and no deploy is cut off half way.
 */
export class DeliveryPipeline extends Construct {
  readonly pipeline: codepipeline.Pipeline;
  readonly projects: Record<(typeof STAGES)[number], codebuild.PipelineProject | undefined>;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: DeliveryPipelineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/codebuild/${props.pipelineName}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Every stage: the standard Ubuntu image on the smallest compute, 15 minutes, logs in the pipeline's group;
    // a stage's own options add to these.
    const project = (
      stage: (typeof STAGES)[number],
      buildSpec: object,
      { environment, timeout, ...options }: Partial<codebuild.PipelineProjectProps> = {},
    ) => {
      const p = new codebuild.PipelineProject(this, stage, {
        ...options,
        projectName: `${props.pipelineName}-${stage.toLowerCase()}`,
        description: `${props.projectName}: ${stage} stage`,
        buildSpec: codebuild.BuildSpec.fromObject(buildSpec as Record<string, unknown>),
        environment: {
          buildImage: codebuild.LinuxBuildImage.STANDARD_7_0,
          computeType: codebuild.ComputeType.SMALL,
          ...environment,
        },
        logging: { cloudWatch: { logGroup: this.logGroup, prefix: stage.toLowerCase() } },
        timeout: timeout ?? Duration.minutes(15),
      });
      const id = stack.getLogicalId(p.node.defaultChild as CfnElement);
      acknowledge(
        p,
        'AwsSolutions-IAM5',
        "CodeBuild's own grants for this one project: its default log group streams and its report groups.",
        [
          `Resource::arn:aws:logs:${stack.region}:<AWS::AccountId>:log-group:/aws/codebuild/<${id}>:*`,
          `Resource::arn:aws:codebuild:${stack.region}:<AWS::AccountId>:report-group/<${id}>-*`,
        ],
      );
      acknowledge(
        p,
        'AwsSolutions-CB4',
        "Build artifacts go to the project's artifacts bucket, encrypted with the AWS managed S3 KMS key (CodeBuild's default); a customer key per project would add cost and no isolation.",
      );
      return p;
    };

    const repositoryUri = props.repository.repositoryUri;
    const checkout = project('Checkout', specs.checkoutBuildSpec({ projectName: props.projectName }), {
      environment: {
        environmentVariables: {
          [specs.ENV.repositoryUrl]: { value: props.repositoryUrl },
          [specs.ENV.pat]: {
            type: codebuild.BuildEnvironmentVariableType.SECRETS_MANAGER,
            value: `${props.patSecretName}:${PAT_JSON_KEY}`,
          },
        },
      },
      timeout: Duration.minutes(10),
    });
    const test = project('Test', specs.testBuildSpec(), {
      environment: {
        environmentVariables: { [specs.ENV.testCommand]: { value: props.testCommand ?? 'npm test' } },
      },
      timeout: Duration.minutes(30),
    });
    const arm = props.imageArchitecture === 'arm64';
    const build = project('Build', specs.buildBuildSpec(), {
      environment: {
        // The image must match the container hosts' CPU: build on Graviton for Graviton hosts.
        buildImage: arm
          ? codebuild.LinuxArmBuildImage.AMAZON_LINUX_2_STANDARD_3_0
          : codebuild.LinuxBuildImage.STANDARD_7_0,
        computeType: arm ? codebuild.ComputeType.LARGE : codebuild.ComputeType.MEDIUM,
        privileged: true,
        environmentVariables: {
          [specs.ENV.imageRepoUri]: { value: repositoryUri },
          [specs.ENV.imageRepoName]: { value: props.repository.repositoryName },
          // The last release is the registry cache of the next build (inline BuildKit cache).
          [specs.ENV.imageTagParameter]: { value: props.imageTagParameterName },
        },
      },
      cache: codebuild.Cache.local(codebuild.LocalCacheMode.DOCKER_LAYER),
      timeout: Duration.minutes(30),
    });
    const scan = project('Scan', specs.scanBuildSpec(), {
      environment: {
        environmentVariables: {
          [specs.ENV.imageRepoName]: { value: props.repository.repositoryName },
          [specs.ENV.scanSeverity]: { value: props.scanSeverity ?? 'CRITICAL' },
        },
      },
    });
    const push = project('Push', specs.pushBuildSpec(), {
      environment: {
        environmentVariables: { [specs.ENV.imageRepoName]: { value: props.repository.repositoryName } },
      },
      timeout: Duration.minutes(10),
    });
    const deploy = project('Deploy', specs.deployBuildSpec(), {
      environment: {
        environmentVariables: {
          [specs.ENV.clusterName]: { value: props.clusterName },
          [specs.ENV.serviceName]: { value: props.serviceName },
          [specs.ENV.containerName]: { value: props.containerName },
          [specs.ENV.imageRepoUri]: { value: repositoryUri },
          [specs.ENV.imageTagParameter]: { value: props.imageTagParameterName },
          [specs.ENV.desiredCount]: { value: String(props.desiredCount) },
          [specs.ENV.minCount]: { value: String(props.minCount) },
          [specs.ENV.maxCount]: { value: String(props.maxCount) },
        },
      },
      timeout: Duration.minutes(30),
    });
    const verify = project('Verify', specs.verifyBuildSpec(), {
      environment: {
        environmentVariables: { [specs.ENV.healthUrl]: { value: props.healthUrl } },
      },
      vpc: props.vpc,
      subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [props.verifySecurityGroup],
      timeout: Duration.minutes(10),
    });
    this.projects = {
      Source: undefined,
      Checkout: checkout,
      Test: test,
      Build: build,
      Scan: scan,
      Push: push,
      Deploy: deploy,
      Verify: verify,
    };

    this.grantStagePermissions(props, { build, scan, push, deploy });

    const trigger = new Asset(this, 'Trigger', { path: path.join(__dirname, 'source') });
    const triggerArtifact = new codepipeline.Artifact('Trigger');
    const sourceArtifact = new codepipeline.Artifact('Source');
    const commit = new codepipeline.Variable({
      variableName: PIPELINE_VARIABLES.commit,
      defaultValue: 'none',
      description: 'The commit to release (40-hex SHA); set by the webhook',
    });
    const branch = new codepipeline.Variable({
      variableName: PIPELINE_VARIABLES.branch,
      defaultValue: props.branch,
      description: 'The branch the commit was pushed to',
    });
    const repository = new codepipeline.Variable({
      variableName: PIPELINE_VARIABLES.repository,
      defaultValue: props.repositoryName,
      description: 'The Azure DevOps repository the commit comes from',
    });
    const commitEnv = { [specs.ENV.commit]: { value: commit.reference() } };
    const cb = (
      actionName: string,
      p: codebuild.IProject,
      extra: Record<string, codebuild.BuildEnvironmentVariable> = {},
      outputs?: codepipeline.Artifact[],
      runOrder?: number,
    ) =>
      new actions.CodeBuildAction({
        actionName,
        project: p,
        input: actionName === 'Checkout' ? triggerArtifact : sourceArtifact,
        outputs,
        environmentVariables: { ...commitEnv, ...extra },
        runOrder,
      });

    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName: props.pipelineName,
      pipelineType: codepipeline.PipelineType.V2,
      executionMode: codepipeline.ExecutionMode.QUEUED,
      artifactBucket: props.artifactsBucket,
      crossAccountKeys: false,
      restartExecutionOnUpdate: false,
      usePipelineRoleForActions: true,
      variables: [commit, branch, repository],
      stages: [
        {
          stageName: 'Source',
          actions: [
            new actions.S3SourceAction({
              actionName: 'Trigger',
              bucket: trigger.bucket,
              bucketKey: trigger.s3ObjectKey,
              trigger: actions.S3Trigger.NONE,
              output: triggerArtifact,
            }),
          ],
        },
        {
          stageName: 'Checkout',
          actions: [
            cb('Checkout', checkout, { [specs.ENV.branch]: { value: branch.reference() } }, [sourceArtifact]),
          ],
        },
        { stageName: 'Test', actions: [cb('Test', test)] },
        { stageName: 'Build', actions: [cb('Build', build)] },
        { stageName: 'Scan', actions: [cb('Scan', scan)] },
        { stageName: 'Push', actions: [cb('Push', push)] },
        {
          stageName: 'Deploy',
          actions: [
            ...(props.approval
              ? [
                  new actions.ManualApprovalAction({
                    actionName: 'Approve',
                    runOrder: 1,
                    notificationTopic: props.approvalTopic,
                    additionalInformation: `Release ${props.projectName} at commit #{variables.${PIPELINE_VARIABLES.commit}}`,
                  }),
                ]
              : []),
            cb('Deploy', deploy, {}, undefined, props.approval ? 2 : 1),
          ],
        },
        { stageName: 'Verify', actions: [cb('Verify', verify)] },
      ],
    });

    acknowledge(
      this,
      'AwsSolutions-IAM5',
      "Wildcards are CDK's grants scoped to this project: its artifacts bucket objects, its CodeBuild report groups and log streams, and actions without resource-level permissions (ecr:GetAuthorizationToken, ecs:RegisterTaskDefinition/DescribeTaskDefinition, ec2 network interfaces for the VPC build, application-autoscaling).",
      [
        'Resource::*',
        'Action::s3:GetObject*',
        'Action::s3:GetBucket*',
        'Action::s3:List*',
        'Action::s3:DeleteObject*',
        'Action::s3:Abort*',
        'Action::kms:GenerateDataKey*',
        'Action::kms:ReEncrypt*',
        `Resource::<ArtifactsBucket88671897.Arn>/*`,
        `Resource::arn:<AWS::Partition>:codebuild:${stack.region}:<AWS::AccountId>:report-group/${props.pipelineName}-*`,
        `Resource::arn:<AWS::Partition>:logs:${stack.region}:<AWS::AccountId>:log-group:/aws/codebuild/${props.pipelineName}-*`,
      ],
    );
    acknowledge(
      verify,
      'AwsSolutions-IAM5',
      'A CodeBuild project in a VPC manages its own network interfaces; CDK scopes the permission to this account and region and to the configured subnets.',
      ['Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*'],
    );
    acknowledge(
      build,
      'AwsSolutions-CB3',
      "The Build stage runs docker build, which needs privileged mode; it runs only the project's own Dockerfile on the pinned commit.",
    );
  }

  private grantStagePermissions(
    props: DeliveryPipelineProps,
    p: {
      build: codebuild.PipelineProject;
      scan: codebuild.PipelineProject;
      push: codebuild.PipelineProject;
      deploy: codebuild.PipelineProject;
    },
  ): void {
    const stack = Stack.of(this);
    const repo = props.repository;
    const pointerArn = stack.formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: props.imageTagParameterName.replace(/^\//, ''),
    });
    // Build pushes candidate images; Scan reads findings; Push retags: all only on the project's repository.
    repo.grantPullPush(p.build);
    p.build.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [pointerArn] }),
    );
    p.build.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ecr:DescribeImages'], resources: [repo.repositoryArn] }),
    );
    p.scan.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecr:DescribeImages', 'ecr:DescribeImageScanFindings'],
        resources: [repo.repositoryArn],
      }),
    );
    p.push.addToRolePolicy(
      new iam.PolicyStatement({
        // BatchDeleteImage removes the candidate tag once the release tag exists, so the candidate lifecycle
        // rule can never expire a released image.
        actions: ['ecr:DescribeImages', 'ecr:BatchGetImage', 'ecr:PutImage', 'ecr:BatchDeleteImage'],
        resources: [repo.repositoryArn],
      }),
    );

    const deploy = p.deploy;
    deploy.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'UpdateOwnService',
        actions: ['ecs:DescribeServices', 'ecs:UpdateService'],
        resources: [props.service.serviceArn],
      }),
    );
    deploy.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'TaskDefinitionsHaveNoResourceLevelPermissions',
        actions: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'],
        resources: ['*'],
      }),
    );
    deploy.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PassOwnTaskRoles',
        actions: ['iam:PassRole'],
        resources: props.taskRoles.map((r) => r.roleArn),
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
    deploy.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ServiceScalingBounds',
        actions: ['application-autoscaling:RegisterScalableTarget'],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'application-autoscaling:service-namespace': 'ecs',
            'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
          },
        },
      }),
    );
    deploy.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'WriteReleasePointer',
        actions: ['ssm:PutParameter', 'ssm:GetParameter'],
        resources: [pointerArn],
      }),
    );
  }
}
