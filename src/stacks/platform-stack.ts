import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { EcsCluster } from '../cluster/cluster';
import { HttpApiGateway } from '../edge/http-api';
import { InternalLoadBalancer } from '../edge/load-balancer';
import {
  azureDevOpsBaseUrl,
  platformNames,
  projectNames,
  targetGroupName,
  type ProjectNames,
} from '../config/names';
import { WebhookEndpoint } from '../edge/webhook';
import { AlarmTopic } from '../monitoring/alarm-topic';
import { alertChannelSettings, alertsFunctionName } from '../shared/alert-channels';
import { ChatAlerts } from '../monitoring/alerts';
import { projectAlarmNamesOf } from '../monitoring/alarm-names';
import type { MonitoredProject } from '../monitoring/dashboard';
import { platformGeneration } from '../monitoring/generation';
import { PipelineEvents } from '../monitoring/pipeline-events';
import { PlatformMonitoring } from '../monitoring/platform-monitoring';
import { projectThresholds } from '../monitoring/thresholds';
import { natGatewayIds } from '../network/network';
import { ServiceLinkedRoles } from '../cluster/service-linked-roles';
import { isWeb, type ParsedConfig, type ParsedProject } from '../config/schema';
import type { SharedResources } from './project-stack';
import { retentionDays } from './retention';

export interface PlatformStackProps extends StackProps {
  readonly config: ParsedConfig;
  readonly vpc: ec2.IVpc;
}

/**
 * The shared platform every project runs on: the ECS cluster, the internal ALB and the HTTP API in front of it.
 * It knows projects only by the names the config derives, never by importing a project stack.
 */
export class PlatformStack extends Stack {
  readonly cluster: EcsCluster;
  readonly loadBalancer: InternalLoadBalancer;
  readonly api: HttpApiGateway;
  readonly verifySecurityGroup: ec2.SecurityGroup;
  readonly alarms: AlarmTopic;
  /** Only with chat channels (alerts.chat). */
  readonly chatAlerts?: ChatAlerts;
  readonly serviceLinkedRoles: ServiceLinkedRoles;
  readonly webhook: WebhookEndpoint;
  readonly pipelineEvents: PipelineEvents;
  readonly monitoring: PlatformMonitoring;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, props);
    const { config, vpc } = props;
    const names = platformNames(config);
    const retention = retentionDays(config.logRetentionDays);

    // Every service-linked role first: a fresh account has none of them (README, "Deploy into an account").
    this.serviceLinkedRoles = new ServiceLinkedRoles(this, 'ServiceLinkedRoles', { logRetention: retention });

    this.cluster = new EcsCluster(this, 'Cluster', {
      vpc,
      clusterName: names.clusterName,
      instanceType: config.cluster.instanceType,
      minCapacity: config.cluster.minCapacity,
      maxCapacity: config.cluster.maxCapacity,
      targetCapacityPercent: config.cluster.targetCapacityPercent,
      rootVolumeGiB: config.cluster.rootVolumeGiB,
      execLogGroupName: names.execLogGroup,
      logRetention: retention,
    });
    this.cluster.node.addDependency(this.serviceLinkedRoles);

    this.loadBalancer = new InternalLoadBalancer(this, 'LoadBalancer', { vpc });
    this.loadBalancer.node.addDependency(this.serviceLinkedRoles);

    this.api = new HttpApiGateway(this, 'Api', {
      vpc,
      listener: this.loadBalancer.listener,
      apiName: config.prefix,
      rateLimit: config.api.throttle.rateLimit,
      burstLimit: config.api.throttle.burstLimit,
      domain: config.api.domain,
      accessLogRetention: retention,
    });

    this.api.node.addDependency(this.serviceLinkedRoles);

    // Only the VPC link reaches the ALB; each project stack lets the ALB reach its own tasks on their port.
    this.loadBalancer.securityGroup.connections.allowFrom(
      this.api.vpcLinkSecurityGroup,
      ec2.Port.tcp(80),
      'HTTP from the API Gateway VPC link',
    );

    // The ALB admits exactly one security group: the VPC link's. The pipelines' Verify builds, which probe the
    // ALB from inside the VPC, join that same group rather than opening the ALB to a second one; they also need
    // HTTPS out to reach CodeBuild, CloudWatch Logs and S3 through the NAT gateways.
    this.verifySecurityGroup = this.api.vpcLinkSecurityGroup;
    this.verifySecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to AWS APIs for pipeline Verify builds',
    );

    this.alarms = new AlarmTopic(this, 'Alarms', {
      topicName: names.alarmTopicName,
      emails: config.alerts.emails,
      alarmNamePrefix: `${config.prefix}-`,
    });
    const chatFunctionName = alertsFunctionName(config);
    this.chatAlerts =
      chatFunctionName !== undefined
        ? new ChatAlerts(this, 'ChatAlerts', {
            topic: this.alarms.topic,
            channels: alertChannelSettings(config),
            functionName: chatFunctionName,
            logRetention: retention,
          })
        : undefined;

    const projects = config.projects.map((p) => ({ project: p, names: projectNames(config, p) }));

    this.webhook = new WebhookEndpoint(this, 'Webhook', {
      api: this.api.api,
      stage: this.api.stage,
      functionName: names.webhookFunctionName,
      stateTableName: names.webhookStateTable,
      rateLimit: config.api.webhookThrottle.rateLimit,
      burstLimit: config.api.webhookThrottle.burstLimit,
      logRetention: retention,
      projects: Object.fromEntries(
        projects.map(({ project, names: n }) => [
          project.name,
          {
            pipelineName: n.pipeline,
            secretId: n.webhookSecret,
            repository: {
              project: project.repository.project,
              name: project.repository.name,
              ...(project.repository.id ? { id: project.repository.id } : {}),
            },
            branch: project.repository.branch,
          },
        ]),
      ),
    });

    this.pipelineEvents = new PipelineEvents(this, 'PipelineEvents', {
      functionName: names.pipelineEventsFunctionName,
      azureDevOpsUrl: azureDevOpsBaseUrl(config),
      azureDevOpsApiVersion: config.azureDevOps.apiVersion,
      topic: this.alarms.topic,
      logRetention: retention,
      pipelines: Object.fromEntries(
        projects.map(({ project, names: n }) => [
          n.pipeline,
          {
            project: project.name,
            branch: project.repository.branch,
            repository: { project: project.repository.project, name: project.repository.name },
            patSecretId: n.patSecret,
            webhookSecretId: n.webhookSecret,
          },
        ]),
      ),
    });

    this.monitoring = new PlatformMonitoring(this, 'Monitoring', {
      prefix: config.prefix,
      topic: this.alarms.topic,
      apiStage: this.api.stage,
      apiAccessLogGroup: this.api.accessLogGroup,
      webhookFunction: this.webhook.handler.function,
      loadBalancer: this.loadBalancer.loadBalancer,
      cluster: this.cluster.cluster,
      autoScalingGroup: this.cluster.autoScalingGroup,
      minCapacity: config.cluster.minCapacity,
      maxCapacity: config.cluster.maxCapacity,
      natGatewayIds: natGatewayIds(vpc),
      projects: projects.map(({ project, names: n }) => monitoredProject(config, project, n)),
      generation: platformGeneration(config),
      alertsFunction: this.chatAlerts?.handler.function,
      pipelineEventsFunction: this.pipelineEvents.handler.function,
    });

    new CfnOutput(this, names.apiUrlOutput, {
      value: this.api.url,
      description:
        'Base URL of the HTTP API: /api/<project>/... for services, /webhook/<project> for Azure DevOps',
    });
    if (config.api.domain && this.api.domainName) {
      new CfnOutput(this, 'ApiDomainName', {
        value: this.api.domainName.name,
        description: 'Custom domain of the HTTP API (TLS_1_2); the execute-api endpoint is disabled',
      });
      new CfnOutput(this, 'ApiDomainTarget', {
        value: this.api.domainName.regionalDomainName,
        description: `Point a CNAME (or alias) for ${config.api.domain.name} at this name`,
      });
    }
  }

  /** What project stacks take from the platform. */
  sharedResources(vpc: ec2.IVpc): SharedResources {
    return {
      vpc,
      cluster: this.cluster.cluster,
      capacityProviderName: this.cluster.capacityProvider.capacityProviderName,
      listener: this.loadBalancer.listener,
      loadBalancerSecurityGroup: this.loadBalancer.securityGroup,
      loadBalancerFullName: this.loadBalancer.loadBalancer.loadBalancerFullName,
      verifySecurityGroup: this.verifySecurityGroup,
      loadBalancerDnsName: this.loadBalancer.loadBalancer.loadBalancerDnsName,
      alarmTopic: this.alarms.topic,
      execKey: this.cluster.execKey,
      execLogGroup: this.cluster.execLogGroup,
    };
  }
}

/**
 * A project as the platform's monitoring shows it: the names (service, pipeline, alarms, target group) and alarm
 * thresholds its project stack derives from the same config, so the dashboard refers to them without importing it.
 */
function monitoredProject(
  config: Pick<ParsedConfig, 'prefix'>,
  project: ParsedProject,
  n: ProjectNames,
): MonitoredProject {
  return {
    name: project.name,
    serviceName: n.service,
    pipelineName: n.pipeline,
    alarmNames: projectAlarmNamesOf(config, project),
    thresholds: projectThresholds(project),
    route: isWeb(project)
      ? { path: project.path, targetGroupName: targetGroupName(config, project) }
      : undefined,
  };
}
