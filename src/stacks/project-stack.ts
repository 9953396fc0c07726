import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { cloneUrl, projectNames } from '../config/names';
import { DeliveryPipeline } from '../project/pipeline/pipeline';
import { ProjectAlarms } from '../monitoring/project-alarms';
import { projectThresholds } from '../monitoring/thresholds';
import type { ParsedConfig, ParsedProject } from '../config/schema';
import { ArtifactsBucket } from '../project/artifacts';
import { ProjectRegistry } from '../project/registry';
import { ProjectSecrets } from '../project/secrets';
import { ProjectService } from '../project/service';
import { retentionDays } from './retention';

/** What a project needs from the shared stacks; references flow only this way. */
export interface SharedResources {
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.ICluster;
  readonly capacityProviderName: string;
  readonly listener: elbv2.IApplicationListener;
  readonly loadBalancerFullName: string;
  /** DNS name of the internal ALB, for the Verify stage. */
  readonly loadBalancerDnsName: string;
  /** Security group of the pipelines' Verify stage, admitted by the ALB. */
  readonly verifySecurityGroup: ec2.ISecurityGroup;
  /** The platform's alarm topic. */
  readonly alarmTopic: sns.ITopic;
}

export interface ProjectStackProps extends StackProps {
  readonly config: ParsedConfig;
  readonly project: ParsedProject;
  readonly shared: SharedResources;
}

/** Deploys everything one project owns; adding or removing a project touches no other project's stack. */
export class ProjectStack extends Stack {
  readonly registry: ProjectRegistry;
  readonly secrets: ProjectSecrets;
  readonly artifacts: ArtifactsBucket;
  readonly service: ProjectService;
  readonly pipeline: DeliveryPipeline;
  readonly alarms: ProjectAlarms;

  constructor(scope: Construct, id: string, props: ProjectStackProps) {
    super(scope, id, props);
    const { config, project, shared } = props;
    const names = projectNames(config, project);
    const s = project.service;

    this.registry = new ProjectRegistry(this, 'Registry', { repositoryName: names.ecrRepository });
    this.secrets = new ProjectSecrets(this, 'Secrets', {
      patSecretName: names.patSecret,
      webhookSecretName: names.webhookSecret,
      appSecretName: names.appSecret,
      webhookUsername: names.qualified,
    });
    this.artifacts = new ArtifactsBucket(this, 'Artifacts');

    this.service = new ProjectService(this, 'Service', {
      vpc: shared.vpc,
      cluster: shared.cluster,
      capacityProviderName: shared.capacityProviderName,
      listener: shared.listener,
      loadBalancerFullName: shared.loadBalancerFullName,
      repository: this.registry.repository,
      appSecret: this.secrets.app,
      serviceName: names.service,
      targetGroupName: names.qualified,
      path: project.path,
      priority: project.priority,
      imageTagParameterName: names.imageTagParameter,
      logGroupName: names.logGroup,
      containerPort: s.port,
      cpu: s.cpu,
      memoryMiB: s.memory,
      minCount: s.minCount,
      maxCount: s.maxCount,
      healthCheckPath: s.healthCheckPath,
      logRetention: retentionDays(config.logRetentionDays),
    });

    this.pipeline = new DeliveryPipeline(this, 'Delivery', {
      pipelineName: names.pipeline,
      projectName: project.name,
      repositoryUrl: cloneUrl(config, project),
      branch: project.repository.branch,
      repositoryName: project.repository.name,
      patSecretName: names.patSecret,
      artifactsBucket: this.artifacts.bucket,
      repository: this.registry.repository,
      service: this.service.service,
      clusterName: shared.cluster.clusterName,
      serviceName: names.service,
      containerName: this.service.container.containerName,
      taskRoles: [this.service.taskDefinition.taskRole, this.service.taskDefinition.obtainExecutionRole()],
      imageTagParameterName: names.imageTagParameter,
      desiredCount: s.desiredCount,
      minCount: s.minCount,
      maxCount: s.maxCount,
      imageArchitecture:
        new ec2.InstanceType(config.cluster.instanceType).architecture === ec2.InstanceArchitecture.ARM_64
          ? 'arm64'
          : 'x86_64',
      testCommand: project.pipeline.testCommand,
      scanSeverity: project.pipeline.scanSeverity,
      approval: project.pipeline.approval,
      approvalTopic: shared.alarmTopic,
      vpc: shared.vpc,
      verifySecurityGroup: shared.verifySecurityGroup,
      healthUrl: `http://${shared.loadBalancerDnsName}${s.healthCheckPath}`,
      logRetention: retentionDays(config.logRetentionDays),
    });

    this.alarms = new ProjectAlarms(this, 'Alarms', {
      prefix: config.prefix,
      projectName: project.name,
      topic: shared.alarmTopic,
      targetGroup: this.service.targetGroup,
      loadBalancerFullName: shared.loadBalancerFullName,
      service: this.service.service,
      clusterName: shared.cluster.clusterName,
      thresholds: projectThresholds(project),
    });

    new CfnOutput(this, 'PipelineName', { value: names.pipeline });
    new CfnOutput(this, 'RepositoryUri', { value: this.registry.repository.repositoryUri });
    new CfnOutput(this, 'PatSecretName', { value: names.patSecret });
    new CfnOutput(this, 'WebhookSecretName', { value: names.webhookSecret });
  }
}
