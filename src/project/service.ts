import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Aws, CfnCondition, CfnParameter, Duration, Fn, RemovalPolicy, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { NO_RELEASE } from '../config/names';
import { acknowledge } from '../nag';

export interface ProjectServiceProps {
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.ICluster;
  /** Capacity provider the service places its tasks on. */
  readonly capacityProviderName: string;
  /** The shared ALB listener the project's rule joins. */
  readonly listener: elbv2.IApplicationListener;
  /** The shared ALB's full name (`app/<name>/<id>`), for the requests-per-target scaling metric. */
  readonly loadBalancerFullName: string;
  readonly repository: ecr.IRepository;
  /** The application's own secret, passed to its containers as `APP_SECRETS`. */
  readonly appSecret: secretsmanager.ISecret;
  /** ECS service name. */
  readonly serviceName: string;
  /** Target group name (at most 32 characters). */
  readonly targetGroupName: string;
  /** Path prefix, `/api/<segment>`: the rule matches it and everything below it. */
  readonly path: string;
  /** Listener rule priority, unique on the listener. */
  readonly priority: number;
  /** SSM parameter holding the released image tag; `none` before the first release. */
  readonly imageTagParameterName: string;
  /** Log group name of the containers. */
  readonly logGroupName: string;
  /** Container port. @default 8080 */
  readonly containerPort?: number;
  /** CPU units. @default 256 */
  readonly cpu?: number;
  /** Hard memory limit, MiB. @default 512 */
  readonly memoryMiB?: number;
  /** Auto scaling floor once released. @default 2 */
  readonly minCount?: number;
  /** Auto scaling ceiling once released. @default 6 */
  readonly maxCount?: number;
  /** ALB health check path. @default `${path}/health` */
  readonly healthCheckPath?: string;
  /** Target CPU utilization for scaling. @default 60 */
  readonly targetCpuPercent?: number;
  /** Target ALB requests per task per minute for scaling. @default 1000 */
  readonly requestsPerTarget?: number;
  /** Container log retention. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Health-check and drain timing, chosen so a rolling deploy of one task takes well under a minute:
 * a new task is healthy after 2 checks 10 s apart (~20 s), an unhealthy one is out after 3 (~30 s), and a
 * replaced task drains for 30 s (enough for API requests; the ALB default of 300 s would make every rolling
 * step wait five minutes).
 */
export const TARGET_TIMING = {
  healthCheckIntervalSeconds: 10,
  healthCheckTimeoutSeconds: 5,
  healthyThresholdCount: 2,
  unhealthyThresholdCount: 3,
  deregistrationDelaySeconds: 30,
  healthCheckGracePeriodSeconds: 60,
} as const;

/**
 * A project's running service behind the shared ALB: target group and path rule, an EC2 task definition (bridge
 * networking, dynamic host ports) whose image tag comes from the release pointer in SSM, and an ECS service on
 * the capacity provider, spread across AZs, with circuit-breaker rollback, ECS Exec and auto scaling on CPU and
 * requests per target.
 *
 * Deploy safety: the image tag is a CloudFormation parameter of type `AWS::SSM::Parameter::Value<String>` that
 * reads the pointer the pipeline writes after each release, so every `cdk deploy` uses the released image and
 * never rolls back. Until the first release the pointer is `none`, and the service runs 0 tasks (scaling 0..0),
 * so the first deploy never waits for tasks that cannot pull an image. The first release sets the configured
 * desired count; from then on the template leaves the count to auto scaling between minCount and maxCount.
 */
export class ProjectService extends Construct {
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly listenerRule: elbv2.ApplicationListenerRule;
  readonly taskDefinition: ecs.Ec2TaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly service: ecs.Ec2Service;
  readonly logGroup: logs.LogGroup;
  readonly imageTag: CfnParameter;
  readonly released: CfnCondition;
  readonly scaling: ecs.ScalableTaskCount;

  constructor(scope: Construct, id: string, props: ProjectServiceProps) {
    super(scope, id);
    const port = props.containerPort ?? 8080;
    const healthCheckPath = props.healthCheckPath ?? `${props.path}/health`;

    this.imageTag = new CfnParameter(this, 'ImageTag', {
      type: 'AWS::SSM::Parameter::Value<String>',
      default: props.imageTagParameterName,
      description: `SSM parameter with the released image tag (written by the pipeline; "${NO_RELEASE}" before the first release)`,
    });
    this.released = new CfnCondition(this, 'Released', {
      expression: Fn.conditionNot(Fn.conditionEquals(this.imageTag.valueAsString, NO_RELEASE)),
    });
    const whenReleased = (n: number) => Token.asNumber(Fn.conditionIf(this.released.logicalId, n, 0));

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc: props.vpc,
      targetGroupName: props.targetGroupName,
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.INSTANCE,
      deregistrationDelay: Duration.seconds(TARGET_TIMING.deregistrationDelaySeconds),
      healthCheck: {
        path: healthCheckPath,
        port: 'traffic-port',
        healthyHttpCodes: '200-299',
        interval: Duration.seconds(TARGET_TIMING.healthCheckIntervalSeconds),
        timeout: Duration.seconds(TARGET_TIMING.healthCheckTimeoutSeconds),
        healthyThresholdCount: TARGET_TIMING.healthyThresholdCount,
        unhealthyThresholdCount: TARGET_TIMING.unhealthyThresholdCount,
      },
    });

    this.listenerRule = new elbv2.ApplicationListenerRule(this, 'Rule', {
      listener: props.listener,
      priority: props.priority,
      conditions: [elbv2.ListenerCondition.pathPatterns([props.path, `${props.path}/*`])],
      action: elbv2.ListenerAction.forward([this.targetGroup]),
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: props.logGroupName,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.taskDefinition = new ecs.Ec2TaskDefinition(this, 'TaskDefinition', {
      networkMode: ecs.NetworkMode.BRIDGE,
    });
    this.container = this.taskDefinition.addContainer('app', {
      image: ecs.ContainerImage.fromEcrRepository(props.repository, this.imageTag.valueAsString),
      cpu: props.cpu ?? 256,
      memoryLimitMiB: props.memoryMiB ?? 512,
      essential: true,
      portMappings: [{ containerPort: port, hostPort: 0, protocol: ecs.Protocol.TCP }],
      environment: { PORT: String(port), BASE_PATH: props.path },
      secrets: { APP_SECRETS: ecs.Secret.fromSecretsManager(props.appSecret) },
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'app' }),
      readonlyRootFilesystem: false,
      stopTimeout: Duration.seconds(TARGET_TIMING.deregistrationDelaySeconds),
    });

    this.service = new ecs.Ec2Service(this, 'Service', {
      cluster: props.cluster,
      serviceName: props.serviceName,
      taskDefinition: this.taskDefinition,
      capacityProviderStrategies: [{ capacityProvider: props.capacityProviderName, weight: 1 }],
      placementStrategies: [
        ecs.PlacementStrategy.spreadAcross(ecs.BuiltInAttributes.AVAILABILITY_ZONE),
        ecs.PlacementStrategy.spreadAcrossInstances(),
      ],
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      enableExecuteCommand: true,
      healthCheckGracePeriod: Duration.seconds(TARGET_TIMING.healthCheckGracePeriodSeconds),
    });
    this.service.attachToApplicationTargetGroup(this.targetGroup);
    // Once released, the task count belongs to the pipeline's first release and then to auto scaling: leaving
    // DesiredCount out of the template keeps a later cdk deploy from resetting a scaled-out service.
    (this.service.node.defaultChild as ecs.CfnService).addPropertyOverride(
      'DesiredCount',
      Fn.conditionIf(this.released.logicalId, Aws.NO_VALUE, 0),
    );

    this.scaling = this.service.autoScaleTaskCount({
      minCapacity: whenReleased(props.minCount ?? 2),
      maxCapacity: whenReleased(props.maxCount ?? 6),
    });
    this.scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: props.targetCpuPercent ?? 60,
      scaleInCooldown: Duration.seconds(120),
      scaleOutCooldown: Duration.seconds(60),
    });
    this.scaling.scaleOnRequestCount('Requests', {
      requestsPerTarget: props.requestsPerTarget ?? 1000,
      targetGroup: this.targetGroup,
      scaleInCooldown: Duration.seconds(120),
      scaleOutCooldown: Duration.seconds(60),
    });
    // CDK derives the metric's resource label by splitting the listener ARN; across stacks that splits a
    // cross-stack reference, which linters cannot type. Build it from the ALB's full name instead.
    requestPolicy(this.scaling).addPropertyOverride(
      'TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.ResourceLabel',
      Fn.join('/', [props.loadBalancerFullName, this.targetGroup.targetGroupFullName]),
    );

    acknowledge(
      this.taskDefinition,
      'AwsSolutions-ECS2',
      'The environment holds only PORT and BASE_PATH; secrets reach the container through the secrets field.',
    );
    acknowledge(
      this.taskDefinition,
      'AwsSolutions-IAM5',
      'ecr:GetAuthorizationToken (execution role) and the ssmmessages channels of ECS Exec (task role) do not support resource-level permissions.',
      ['Resource::*'],
    );
  }
}

/** The request-count policy's L1 resource (CDK nests it under the scalable target). */
function requestPolicy(scaling: ecs.ScalableTaskCount): appscaling.CfnScalingPolicy {
  const policy = scaling.node
    .findAll()
    .find(
      (c): c is appscaling.CfnScalingPolicy =>
        c instanceof appscaling.CfnScalingPolicy && c.node.path.includes('/Requests/'),
    );
  if (!policy) throw new Error('request-count scaling policy not found');
  return policy;
}
