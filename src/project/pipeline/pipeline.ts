import * as path from 'node:path';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  BUILD_ENV,
  NO_COMMIT,
  PAT_JSON_KEY,
  PIPELINE_VARIABLES,
  releaseUserParameters,
  STAGES,
  type ImageArchitecture,
  type ReleaseMode,
} from '../../contracts';
import { acknowledge, nagResource } from '../../nag';
import { buildBuildSpec, checkoutBuildSpec, testBuildSpec } from './scripts';

export { STAGES };

/** The release functions the pipeline invokes. */
export interface ReleaseStageFunctions {
  readonly scan: lambda.IFunction;
  readonly push: lambda.IFunction;
  readonly deploy: lambda.IFunction;
  readonly verify: lambda.IFunction;
}

export interface DeliveryPipelineProps {
  /** Pipeline name, `<prefix>-<project>`. */
  readonly pipelineName: string;
  /** Project name, for descriptions. */
  readonly projectName: string;
  /** CodeBuild project name of a shell stage. */
  readonly codeBuildProjectName: (stage: string) => string;
  /** Log group name of a stage; each stage writes only its own. */
  readonly stageLogGroupName: (stage: string) => string;
  /** HTTPS clone URL of the Azure DevOps repository. */
  readonly repositoryUrl: string;
  /** The configured branch: Checkout releases only commits reachable from it. */
  readonly branch: string;
  /** Allow an http:// repository URL (Azure DevOps Server without TLS). */
  readonly allowInsecureHttp: boolean;
  /** SSM parameter with PEM certificates of a private CA to trust for the repository URL. @default - none */
  readonly caBundleParameterName?: string;
  /** Name of the project's PAT secret (a literal: CodeBuild parses `<name>:<json-key>`). */
  readonly patSecretName: string;
  readonly artifactsBucket: s3.IBucket;
  readonly repository: ecr.IRepository;
  /** Architectures to build images for, one CodeBuild build each, on a host of that architecture. */
  readonly architectures: readonly ImageArchitecture[];
  /** The Dockerfile and build context, relative to the repository root. */
  readonly dockerfile: string;
  readonly buildContext: string;
  /** Build arguments (not secrets). */
  readonly buildArgs: Readonly<Record<string, string>>;
  /** SSM parameter logging releases; Build reads the last released commit from it (layer cache). */
  readonly releaseLogParameterName: string;
  /** Test stage: command, image and compute. */
  readonly testCommand: string;
  readonly testImage: codebuild.IBuildImage;
  readonly testComputeType: codebuild.ComputeType;
  /** Run a manual approval before Deploy. */
  readonly approval: boolean;
  /** Topic approval requests go to. */
  readonly approvalTopic: sns.ITopic;
  /** Scan, Push, Deploy and Verify. */
  readonly functions: ReleaseStageFunctions;
  readonly logRetention: logs.RetentionDays;
}

/**
 * Which modes run a stage: the others skip it (a stage entry condition with a VariableCheck rule on
 * RELEASE_MODE; CodePipeline User Guide, "Configure conditions for a stage": entry conditions may SKIP with
 * the VariableCheck rule). A rollback or redeploy never checks out, tests or builds.
 */
export const STAGE_MODES: Readonly<Record<(typeof STAGES)[number], readonly ReleaseMode[]>> = {
  Source: ['release', 'rollback', 'redeploy'],
  Checkout: ['release'],
  Test: ['release'],
  Build: ['release'],
  Scan: ['release', 'rollback'],
  Push: ['release'],
  Deploy: ['release', 'rollback', 'redeploy'],
  Verify: ['release', 'rollback', 'redeploy'],
};

/** The CodeBuild platform of each image architecture. */
const BUILD_HOSTS: Readonly<
  Record<ImageArchitecture, { image: codebuild.IBuildImage; compute: codebuild.ComputeType }>
> = {
  amd64: { image: codebuild.LinuxBuildImage.STANDARD_7_0, compute: codebuild.ComputeType.MEDIUM },
  arm64: {
    image: codebuild.LinuxArmBuildImage.AMAZON_LINUX_2_STANDARD_3_0,
    compute: codebuild.ComputeType.LARGE,
  },
};

/**
 * One project's delivery pipeline (CodePipeline V2, QUEUED executions, variables COMMIT_ID and RELEASE_MODE):
 * a Source stage CodePipeline requires (a fixed object, no trigger), Checkout of the commit from the configured
 * branch, Test, Build (one build per image architecture, in parallel) on CodeBuild; then Scan, Push, Deploy
 * (optionally approved) and Verify as Lambda invoke actions. Every stage has its own role and its own log group.
 * Executions queue rather than supersede: two pushes a minute apart both release, in order, and no release is
 * cut off half way.
 */
export class DeliveryPipeline extends Construct {
  readonly pipeline: codepipeline.Pipeline;
  readonly checkout: codebuild.PipelineProject;
  readonly test: codebuild.PipelineProject;
  readonly builds: ReadonlyMap<ImageArchitecture, codebuild.PipelineProject>;
  readonly logGroups: ReadonlyMap<string, logs.LogGroup>;

  constructor(scope: Construct, id: string, props: DeliveryPipelineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroups = new Map<string, logs.LogGroup>();

    const project = (
      stage: string,
      buildSpec: object,
      environment: codebuild.BuildEnvironment,
      timeout: Duration,
      extra: Partial<codebuild.PipelineProjectProps> = {},
    ) => {
      const logGroup = new logs.LogGroup(this, `${stage}Logs`, {
        logGroupName: props.stageLogGroupName(stage.toLowerCase()),
        retention: props.logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      logGroups.set(stage.toLowerCase(), logGroup);
      const p = new codebuild.PipelineProject(this, stage, {
        ...extra,
        projectName: props.codeBuildProjectName(stage.toLowerCase()),
        description: `${props.projectName}: ${stage} stage`,
        buildSpec: codebuild.BuildSpec.fromObject(buildSpec as Record<string, unknown>),
        environment,
        logging: { cloudWatch: { logGroup } },
        timeout,
      });
      const name = p.projectName;
      const colon = ArnFormat.COLON_RESOURCE_NAME;
      acknowledge(
        p,
        'AwsSolutions-IAM5',
        `${stage} stage role, CodeBuild's statement for its own default log group streams (CodeBuild names them after the project).`,
        [
          `Resource::${nagResource(this, stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: `/aws/codebuild/${name}:*`, arnFormat: colon }))}`,
        ],
      );
      acknowledge(
        p,
        'AwsSolutions-IAM5',
        `${stage} stage role, CodeBuild's statement for its own report groups (named <project>-<group>).`,
        [
          `Resource::${nagResource(this, stack.formatArn({ service: 'codebuild', resource: 'report-group', resourceName: `${name}-*` }))}`,
        ],
      );
      acknowledge(
        p,
        'AwsSolutions-IAM5',
        `${stage} stage role, CodePipeline's statement on this project's artifacts bucket: the stage reads (and Checkout writes) pipeline artifacts, whose keys CodePipeline generates.`,
        [
          'Action::s3:GetObject*',
          'Action::s3:GetBucket*',
          'Action::s3:List*',
          'Action::s3:DeleteObject*',
          'Action::s3:Abort*',
          `Resource::${nagResource(this, props.artifactsBucket.arnForObjects('*'))}`,
        ],
      );
      acknowledge(
        p,
        'AwsSolutions-CB4',
        `${stage} stage: artifacts go to the project's artifacts bucket, encrypted with the AWS managed S3 KMS key (CodeBuild's default); a customer key per project would add cost and no isolation.`,
      );
      return p;
    };

    this.checkout = project(
      'Checkout',
      checkoutBuildSpec({ projectName: props.projectName }),
      {
        buildImage: codebuild.LinuxBuildImage.STANDARD_7_0,
        computeType: codebuild.ComputeType.SMALL,
        environmentVariables: {
          [BUILD_ENV.repositoryUrl]: { value: props.repositoryUrl },
          [BUILD_ENV.branch]: { value: props.branch },
          [BUILD_ENV.allowInsecureHttp]: { value: String(props.allowInsecureHttp) },
          [BUILD_ENV.pat]: {
            type: codebuild.BuildEnvironmentVariableType.SECRETS_MANAGER,
            value: `${props.patSecretName}:${PAT_JSON_KEY}`,
          },
          ...(props.caBundleParameterName
            ? {
                [BUILD_ENV.caBundle]: {
                  type: codebuild.BuildEnvironmentVariableType.PARAMETER_STORE,
                  value: props.caBundleParameterName,
                },
              }
            : {}),
        },
      },
      Duration.minutes(15),
    );
    this.test = project(
      'Test',
      testBuildSpec(),
      {
        buildImage: props.testImage,
        computeType: props.testComputeType,
        environmentVariables: { [BUILD_ENV.testCommand]: { value: props.testCommand } },
      },
      Duration.minutes(30),
    );
    const releaseLogArn = stack.formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: props.releaseLogParameterName.replace(/^\//, ''),
    });
    const builds = new Map<ImageArchitecture, codebuild.PipelineProject>();
    for (const arch of props.architectures) {
      const host = BUILD_HOSTS[arch];
      const build = project(
        `Build-${arch}`,
        buildBuildSpec(),
        {
          buildImage: host.image,
          computeType: host.compute,
          privileged: true,
          environmentVariables: {
            [BUILD_ENV.imageRepoUri]: { value: props.repository.repositoryUri },
            [BUILD_ENV.imageRepoName]: { value: props.repository.repositoryName },
            [BUILD_ENV.imageArchitecture]: { value: arch },
            [BUILD_ENV.dockerfile]: { value: props.dockerfile },
            [BUILD_ENV.buildContext]: { value: props.buildContext },
            [BUILD_ENV.buildArgs]: { value: JSON.stringify(props.buildArgs) },
            [BUILD_ENV.lastRelease]: {
              type: codebuild.BuildEnvironmentVariableType.PARAMETER_STORE,
              value: props.releaseLogParameterName,
            },
          },
        },
        Duration.minutes(30),
        { cache: codebuild.Cache.local(codebuild.LocalCacheMode.DOCKER_LAYER) },
      );
      props.repository.grantPullPush(build);
      build.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'SkipImagesThatExist',
          actions: ['ecr:DescribeImages'],
          resources: [props.repository.repositoryArn],
        }),
      );
      build.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'ReadLastRelease',
          actions: ['ssm:GetParameters'],
          resources: [releaseLogArn],
        }),
      );
      acknowledge(
        build,
        'AwsSolutions-CB3',
        `Build (${arch}) runs docker build, which needs privileged mode; it builds only the project's own Dockerfile at a commit Checkout verified is on the configured branch.`,
      );
      acknowledge(
        build,
        'AwsSolutions-IAM5',
        `Build (${arch}) role: ecr:GetAuthorizationToken (from grantPullPush) has no resource-level permission.`,
        ['Resource::*'],
      );
      builds.set(arch, build);
    }
    this.builds = builds;
    this.logGroups = logGroups;

    const trigger = new Asset(this, 'Trigger', { path: path.join(__dirname, 'source') });
    const triggerArtifact = new codepipeline.Artifact('Trigger');
    const sourceArtifact = new codepipeline.Artifact('Source');
    const commit = new codepipeline.Variable({
      variableName: PIPELINE_VARIABLES.commit,
      defaultValue: NO_COMMIT,
      description: 'The commit to release (40-hex SHA); set by the webhook or the berth CLI',
    });
    const mode = new codepipeline.Variable({
      variableName: PIPELINE_VARIABLES.mode,
      defaultValue: 'release',
      description: 'release (build the commit), rollback (put a released image back) or redeploy (new tasks)',
    });
    const commitEnv = { [BUILD_ENV.commit]: { value: commit.reference() } };
    const userParameters = releaseUserParameters();
    const invoke = (actionName: string, fn: lambda.IFunction, runOrder?: number) =>
      new actions.LambdaInvokeAction({ actionName, lambda: fn, userParameters, runOrder });

    const stage = (
      stageName: (typeof STAGES)[number],
      stageActions: codepipeline.IAction[],
    ): codepipeline.StageProps => {
      const modes = STAGE_MODES[stageName];
      const skip: codepipeline.Conditions | undefined =
        modes.length === 3
          ? undefined
          : {
              conditions: [
                {
                  result: codepipeline.Result.SKIP,
                  rules: [
                    new codepipeline.Rule({
                      name: `${stageName}Mode`,
                      provider: 'VariableCheck',
                      version: '1',
                      configuration:
                        modes.length === 1
                          ? { Variable: mode.reference(), Operator: 'EQ', Value: modes[0] }
                          : {
                              Variable: mode.reference(),
                              Operator: 'MATCHES',
                              Value: `^(${modes.join('|')})$`,
                            },
                    }),
                  ],
                },
              ],
            };
      return { stageName, actions: stageActions, ...(skip ? { beforeEntry: skip } : {}) };
    };

    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName: props.pipelineName,
      pipelineType: codepipeline.PipelineType.V2,
      executionMode: codepipeline.ExecutionMode.QUEUED,
      artifactBucket: props.artifactsBucket,
      crossAccountKeys: false,
      restartExecutionOnUpdate: false,
      usePipelineRoleForActions: true,
      variables: [commit, mode],
      stages: [
        stage('Source', [
          new actions.S3SourceAction({
            actionName: 'Trigger',
            bucket: trigger.bucket,
            bucketKey: trigger.s3ObjectKey,
            trigger: actions.S3Trigger.NONE,
            output: triggerArtifact,
          }),
        ]),
        stage('Checkout', [
          new actions.CodeBuildAction({
            actionName: 'Checkout',
            project: this.checkout,
            input: triggerArtifact,
            outputs: [sourceArtifact],
            environmentVariables: commitEnv,
          }),
        ]),
        stage('Test', [
          new actions.CodeBuildAction({
            actionName: 'Test',
            project: this.test,
            input: sourceArtifact,
            environmentVariables: commitEnv,
          }),
        ]),
        stage(
          'Build',
          [...builds.entries()].map(
            ([arch, p]) =>
              new actions.CodeBuildAction({
                actionName: `Build-${arch}`,
                project: p,
                input: sourceArtifact,
                environmentVariables: commitEnv,
              }),
          ),
        ),
        stage('Scan', [invoke('Scan', props.functions.scan)]),
        stage('Push', [invoke('Push', props.functions.push)]),
        stage('Deploy', [
          ...(props.approval
            ? [
                new actions.ManualApprovalAction({
                  actionName: 'Approve',
                  runOrder: 1,
                  notificationTopic: props.approvalTopic,
                  additionalInformation: `${props.projectName}: ${mode.reference()} of commit ${commit.reference()}`,
                }),
              ]
            : []),
          invoke('Deploy', props.functions.deploy, props.approval ? 2 : 1),
        ]),
        stage('Verify', [invoke('Verify', props.functions.verify)]),
      ],
    });

    acknowledge(
      this.pipeline.role,
      'AwsSolutions-IAM5',
      "Pipeline role, CDK's statement on this project's artifacts bucket: CodePipeline reads and writes artifacts under keys it generates; the bucket's key encrypts them.",
      [
        'Action::s3:GetObject*',
        'Action::s3:GetBucket*',
        'Action::s3:List*',
        'Action::s3:DeleteObject*',
        'Action::s3:Abort*',
        'Action::kms:GenerateDataKey*',
        'Action::kms:ReEncrypt*',
        `Resource::${nagResource(this, props.artifactsBucket.arnForObjects('*'))}`,
      ],
    );
    acknowledge(
      this.pipeline.role,
      'AwsSolutions-IAM5',
      "Pipeline role, CodePipeline Lambda invoke action's statement on this project's four release functions: any version of each (':*').",
      Object.values(props.functions).map(
        (f: lambda.IFunction) => `Resource::${nagResource(this, f.functionArn)}:*`,
      ),
    );
    acknowledge(
      this.pipeline.role,
      'AwsSolutions-IAM5',
      "Pipeline role, CodePipeline Lambda invoke action's statement for lambda:ListFunctions: no resource-level permission exists.",
      ['Resource::*'],
    );
  }
}
