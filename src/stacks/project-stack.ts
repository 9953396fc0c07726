import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import {
  CfnCondition,
  CfnOutput,
  CfnParameter,
  Duration,
  Fn,
  Stack,
  Tags,
  type StackProps,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import {
  IMAGE_PLATFORMS,
  INITIAL_RESTART_NONCE,
  NO_RELEASE,
  PROJECT_TAG,
  STACK_PARAMETERS,
  type ImageArchitecture,
} from '../contracts';
import { cloneUrl, platformNames, projectNames, targetGroupName } from '../config/names';
import { TEST_COMPUTE, TEST_IMAGES, type ParsedConfig, type ParsedProject } from '../config/schema';
import { ProjectAlarms } from '../monitoring/project-alarms';
import { platformGeneration } from '../monitoring/generation';
import { projectThresholds } from '../monitoring/thresholds';
import { ArtifactsBucket } from '../project/artifacts';
import { DeliveryPipeline } from '../project/pipeline/pipeline';
import { ProjectRegistry } from '../project/registry';
import { ReleaseFunctions } from '../project/release-functions';
import { ReleaseRole } from '../project/release-role';
import { ProjectSecrets } from '../project/secrets';
import { ProjectService } from '../project/service';
import { retentionDays } from './retention';
import { UNTAGGABLE } from './untaggable';

/** What a project needs from the shared stacks; references flow only this way. */
export interface SharedResources {
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.ICluster;
  readonly capacityProviderName: string;
  readonly listener: elbv2.IApplicationListener;
  readonly loadBalancerSecurityGroup: ec2.ISecurityGroup;
  readonly loadBalancerFullName: string;
  /** DNS name of the internal ALB, for the Verify stage. */
  readonly loadBalancerDnsName: string;
  /** Security group of the Verify stage, admitted by the ALB. */
  readonly verifySecurityGroup: ec2.ISecurityGroup;
  /** The platform's alarm topic. */
  readonly alarmTopic: sns.ITopic;
  /** ECS Exec session encryption key and log group. */
  readonly execKey: kms.IKey;
  readonly execLogGroup: logs.ILogGroup;
}

export interface ProjectStackProps extends StackProps {
  readonly config: ParsedConfig;
  readonly project: ParsedProject;
  readonly shared: SharedResources;
}

/** The Test stage's CodeBuild image: a curated image by short name, or a public image by reference. */
export function testBuildImage(image: string): codebuild.IBuildImage {
  return Object.hasOwn(TEST_IMAGES, image)
    ? codebuild.LinuxBuildImage.fromCodeBuildImageId(TEST_IMAGES[image as keyof typeof TEST_IMAGES])
    : codebuild.LinuxBuildImage.fromDockerRegistry(image);
}

/**
 * Deploys everything one project owns; adding or removing a project touches no other project's stack.
 *
 * Two parameters belong to the release path and to nobody else: `ImageTag` (the released commit, `none` before the
 * first release) and `RestartNonce`. The Deploy stage changes them with `UpdateStack` on the previous template;
 * `cdk deploy` keeps their previous values (it passes UsePreviousValue for every existing parameter), and a
 * failed update rolls back to the previous values, so no CloudFormation operation ever runs an image older than
 * the last release (docs/decisions/0001-release-path.md).
 */
export class ProjectStack extends Stack {
  readonly registry: ProjectRegistry;
  readonly secrets: ProjectSecrets;
  readonly artifacts: ArtifactsBucket;
  readonly service: ProjectService;
  readonly releaseRole: ReleaseRole;
  readonly releaseFunctions: ReleaseFunctions;
  readonly pipeline: DeliveryPipeline;
  readonly alarms: ProjectAlarms;
  readonly imageTag: CfnParameter;
  readonly restartNonce: CfnParameter;
  readonly released: CfnCondition;

  constructor(scope: Construct, id: string, props: ProjectStackProps) {
    super(scope, id, props);
    const { config, project, shared } = props;
    const names = projectNames(config, project);
    const platform = platformNames(config);
    const s = project.service;
    const retention = retentionDays(config.logRetentionDays);
    Tags.of(this).add(PROJECT_TAG, project.name, { excludeResourceTypes: UNTAGGABLE });

    this.imageTag = new CfnParameter(this, STACK_PARAMETERS.imageTag, {
      type: 'String',
      default: NO_RELEASE,
      allowedPattern: `^(${NO_RELEASE}|[0-9a-f]{40})$`,
      description: `The released commit (image tag), written by the pipeline's Deploy stage; "${NO_RELEASE}" before the first release. Do not set by hand: use npx --no-install berth rollback.`,
    });
    this.restartNonce = new CfnParameter(this, STACK_PARAMETERS.restartNonce, {
      type: 'String',
      default: INITIAL_RESTART_NONCE,
      description:
        'Changed by a redeploy (npx --no-install berth redeploy) to start new tasks on the same image.',
    });
    this.released = new CfnCondition(this, 'Released', {
      expression: Fn.conditionNot(Fn.conditionEquals(this.imageTag.valueAsString, NO_RELEASE)),
    });

    this.registry = new ProjectRegistry(this, 'Registry', { repositoryName: names.ecrRepository });
    this.secrets = new ProjectSecrets(this, 'Secrets', {
      patSecretName: names.patSecret,
      webhookSecretName: names.webhookSecret,
      appSecretName: names.appSecret,
      webhookUsername: names.qualified,
    });
    this.artifacts = new ArtifactsBucket(this, 'Artifacts');

    // The release log: each release writes its commit as a new version. Its properties never change, so
    // CloudFormation writes it only on create and never overwrites what the pipeline wrote.
    new ssm.StringParameter(this, 'ReleaseLog', {
      parameterName: names.releaseParameter,
      stringValue: NO_RELEASE,
      description: RELEASE_LOG_DESCRIPTION,
      tier: ssm.ParameterTier.STANDARD,
    });

    const web = project.path !== undefined && project.priority !== undefined && s.port !== undefined;
    const hc = s.healthCheck;
    this.service = new ProjectService(this, 'Service', {
      vpc: shared.vpc,
      cluster: shared.cluster,
      capacityProviderName: shared.capacityProviderName,
      repository: this.registry.repository,
      imageTag: this.imageTag.valueAsString,
      restartNonce: this.restartNonce.valueAsString,
      released: this.released,
      appSecret: this.secrets.app,
      projectName: project.name,
      serviceName: names.service,
      taskFamily: names.taskFamily,
      logGroupName: names.logGroup,
      logRetention: retention,
      cpu: s.cpu,
      memoryMiB: s.memory,
      memoryReservationMiB: s.memoryReservation,
      minCount: s.minCount,
      maxCount: s.maxCount,
      cpuTargetPercent: s.scaling.cpuPercent,
      stopTimeout: Duration.seconds(s.stopTimeoutSeconds),
      environment: s.environment,
      secrets: s.secrets,
      taskPolicyStatements: s.permissions.map(
        (p, i) =>
          new iam.PolicyStatement({
            sid: `Config${i}`,
            actions: [...p.actions],
            resources: [...p.resources],
            conditions: p.conditions,
          }),
      ),
      containerHealthCheck: hc.command
        ? {
            command: hc.command,
            interval: Duration.seconds(hc.intervalSeconds),
            timeout: Duration.seconds(hc.timeoutSeconds),
            retries: hc.unhealthyThreshold,
            startPeriod: Duration.seconds(Math.min(hc.gracePeriodSeconds, 300)),
          }
        : undefined,
      exec: s.exec ? { key: shared.execKey, logGroup: shared.execLogGroup } : undefined,
      web: web
        ? {
            listener: shared.listener,
            loadBalancerSecurityGroup: shared.loadBalancerSecurityGroup,
            loadBalancerFullName: shared.loadBalancerFullName,
            path: project.path!,
            priority: project.priority!,
            targetGroupName: targetGroupName(config, project),
            containerPort: s.port!,
            healthCheck: {
              path: s.healthCheckPath!,
              interval: Duration.seconds(hc.intervalSeconds),
              timeout: Duration.seconds(hc.timeoutSeconds),
              healthyThreshold: hc.healthyThreshold,
              unhealthyThreshold: hc.unhealthyThreshold,
            },
            healthCheckGracePeriod: Duration.seconds(hc.gracePeriodSeconds),
            requestsPerTarget: s.scaling.requestsPerTarget!,
          }
        : undefined,
    });

    this.releaseRole = new ReleaseRole(this, 'ReleaseRole', {
      projectName: project.name,
      taskFamily: names.taskFamily,
      clusterName: platform.clusterName,
      serviceName: names.service,
      stackName: names.stack,
      referencedStackNames: [platform.networkStack, platform.platformStack],
      taskRoles: [this.service.taskDefinition.taskRole, this.service.taskDefinition.obtainExecutionRole()],
      alarmNamePrefix: `${names.qualified}-`,
    });

    const architectures = project.build.platforms.map((p) => IMAGE_PLATFORMS[p]) as ImageArchitecture[];
    this.releaseFunctions = new ReleaseFunctions(this, 'Release', {
      projectName: project.name,
      functionName: (stage) => names.releaseFunction(stage),
      repository: this.registry.repository,
      architectures,
      scanSeverity: project.pipeline.scanSeverity,
      stackName: names.stack,
      releaseRole: this.releaseRole.role,
      releaseLogParameterName: names.releaseParameter,
      clusterName: platform.clusterName,
      serviceName: names.service,
      healthUrl: web ? `http://${shared.loadBalancerDnsName}${s.healthCheckPath}` : undefined,
      vpc: shared.vpc,
      verifySecurityGroup: shared.verifySecurityGroup,
      logRetention: retention,
    });

    this.pipeline = new DeliveryPipeline(this, 'Delivery', {
      pipelineName: names.pipeline,
      projectName: project.name,
      codeBuildProjectName: (stage) => names.codeBuildProject(stage),
      stageLogGroupName: (stage) => names.stageLogGroup(stage),
      repositoryUrl: cloneUrl(config, project),
      branch: project.repository.branch,
      allowInsecureHttp: config.azureDevOps.allowInsecureHttp,
      caBundleParameterName: config.azureDevOps.caCertificateParameter,
      patSecretName: names.patSecret,
      artifactsBucket: this.artifacts.bucket,
      repository: this.registry.repository,
      architectures,
      dockerfile: project.build.dockerfile,
      buildContext: project.build.context,
      buildArgs: project.build.args,
      releaseLogParameterName: names.releaseParameter,
      testCommand: project.pipeline.testCommand,
      testImage: testBuildImage(project.pipeline.testImage),
      testComputeType: TEST_COMPUTE[project.pipeline.testCompute] as codebuild.ComputeType,
      approval: project.pipeline.approval,
      approvalTopic: shared.alarmTopic,
      functions: {
        scan: this.releaseFunctions.scan.function,
        push: this.releaseFunctions.push.function,
        deploy: this.releaseFunctions.deploy.function,
        verify: this.releaseFunctions.verify.function,
      },
      logRetention: retention,
    });

    this.alarms = new ProjectAlarms(this, 'Alarms', {
      prefix: config.prefix,
      projectName: project.name,
      topic: shared.alarmTopic,
      targetGroup: this.service.targetGroup,
      loadBalancerFullName: shared.loadBalancerFullName,
      service: this.service.service,
      serviceName: names.service,
      clusterName: platform.clusterName,
      thresholds: projectThresholds(project),
      cpuScalingTargetPercent: s.scaling.cpuPercent,
      generation: platformGeneration(config),
    });

    new CfnOutput(this, 'PipelineName', { value: names.pipeline });
    new CfnOutput(this, 'RepositoryUri', { value: this.registry.repository.repositoryUri });
    new CfnOutput(this, 'PatSecretName', { value: names.patSecret });
    new CfnOutput(this, 'WebhookSecretName', { value: names.webhookSecret });
    new CfnOutput(this, 'ServiceName', { value: names.service });
    new CfnOutput(this, 'ReleaseRoleArn', { value: this.releaseRole.role.roleArn });
    if (this.service.targetGroup) {
      new CfnOutput(this, 'TargetGroupArn', { value: this.service.targetGroup.targetGroupArn });
    }
  }
}

/** Frozen: changing it would make CloudFormation write `none` over the release log (a test pins it). */
export const RELEASE_LOG_DESCRIPTION =
  'Berth release log: each release by the pipeline writes its commit here as a new version';
