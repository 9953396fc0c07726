import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { type CfnCondition, Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';

/** The target group's own port: a constant, so that a new container port never replaces the target group. */
const TARGET_GROUP_PORT = 80;

/** What a routed (HTTP) project adds: its path on the shared ALB and how the ALB judges its tasks. */
export interface WebServiceProps {
  /** The shared ALB's listener the project's path rule joins. */
  readonly listener: elbv2.IApplicationListener;
  /** The ALB's security group: the only source the tasks admit. */
  readonly loadBalancerSecurityGroup: ec2.ISecurityGroup;
  /** The shared ALB's full name (`app/<name>/<id>`), for the requests-per-target scaling metric. */
  readonly loadBalancerFullName: string;
  /** Path prefix `/api/<segment>`: the rule matches it and everything below it. */
  readonly path: string;
  /** Listener rule priority, unique on the listener. */
  readonly priority: number;
  /** Target group name (at most 32 characters). */
  readonly targetGroupName: string;
  /** The port the container listens on (`PORT`). */
  readonly containerPort: number;
  /** The ALB health check. */
  readonly healthCheck: {
    readonly path: string;
    readonly interval: Duration;
    readonly timeout: Duration;
    readonly healthyThreshold: number;
    readonly unhealthyThreshold: number;
  };
  /** Time a new task is not judged by the ALB health check. */
  readonly healthCheckGracePeriod: Duration;
  /** Target ALB requests per task per minute for scaling. */
  readonly requestsPerTarget: number;
}

export interface ProjectServiceProps {
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.ICluster;
  /** Capacity provider the service places its tasks on. */
  readonly capacityProviderName: string;
  readonly repository: ecr.IRepository;
  /** The released image tag (the stack's `ImageTag` parameter). */
  readonly imageTag: string;
  /** Changed to start new tasks on the same image (the stack's `RestartNonce` parameter). */
  readonly restartNonce: string;
  /** True once a release exists: the service and its scaling exist only then. */
  readonly released: CfnCondition;
  /** The project's app secret (a JSON object); each entry of `secrets` is one of its keys. */
  readonly appSecret: secretsmanager.ISecret;
  /** Project name, given to the container as BERTH_PROJECT. */
  readonly projectName: string;
  /** ECS service name. */
  readonly serviceName: string;
  /** Task definition family. */
  readonly taskFamily: string;
  /** Log group name of the containers. */
  readonly logGroupName: string;
  readonly logRetention: logs.RetentionDays;
  /** CPU units of the task. */
  readonly cpu: number;
  /** Hard memory limit, MiB. */
  readonly memoryMiB: number;
  /** Soft memory limit, MiB. @default - none */
  readonly memoryReservationMiB?: number;
  /** Auto scaling floor. */
  readonly minCount: number;
  /** Auto scaling ceiling. */
  readonly maxCount: number;
  /** Target CPU utilization for scaling. */
  readonly cpuTargetPercent: number;
  /** Time between SIGTERM and SIGKILL when a task stops. */
  readonly stopTimeout: Duration;
  /** Plain environment variables (visible in the task definition). */
  readonly environment: Readonly<Record<string, string>>;
  /** Secret environment variables: variable name -> key in the app secret. */
  readonly secrets: Readonly<Record<string, string>>;
  /** Statements for the task role (the application's own AWS permissions). */
  readonly taskPolicyStatements: readonly iam.PolicyStatement[];
  /** Container health check command (shell), when the app defines one. @default - none */
  readonly containerHealthCheck?: {
    readonly command: string;
    readonly interval: Duration;
    readonly timeout: Duration;
    readonly retries: number;
    readonly startPeriod: Duration;
  };
  /** ECS Exec into running tasks, with sessions logged; undefined turns it off. */
  readonly exec?: { readonly key: kms.IKey; readonly logGroup: logs.ILogGroup };
  /** HTTP routing; undefined for a worker (no target group, no rule, no HTTP health check). */
  readonly web?: WebServiceProps;
}

/**
 * A project's running service. Every task has its own network interface (awsvpc) in the private subnets and the
 * project's own security group, which admits only the load balancer on the container port: projects on the same
 * hosts cannot reach each other's tasks. The task definition takes its image from the stack's `ImageTag`
 * parameter; the ECS service and its auto scaling exist only once a release exists
 * (condition `released`), so the first deploy never starts a task without an image. The service's DesiredCount
 * is never in the template: ECS starts one task when the first release creates the service and auto scaling
 * holds it between minCount and maxCount from then on; no later stack update can lower it (CloudFormation omits
 * an unset DesiredCount from UpdateService: AWS::ECS::Service, DesiredCount).
 */
export class ProjectService extends Construct {
  readonly taskDefinition: ecs.Ec2TaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly service: ecs.Ec2Service;
  readonly securityGroup: ec2.SecurityGroup;
  readonly logGroup: logs.LogGroup;
  readonly scaling: ecs.ScalableTaskCount;
  readonly targetGroup?: elbv2.ApplicationTargetGroup;
  readonly listenerRule?: elbv2.ApplicationListenerRule;

  constructor(scope: Construct, id: string, props: ProjectServiceProps) {
    super(scope, id);
    const web = props.web;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: web
        ? `Tasks of ${props.projectName}: inbound only from the load balancer on port ${web.containerPort}`
        : `Tasks of ${props.projectName} (worker): no inbound`,
      allowAllOutbound: true,
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: props.logGroupName,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.taskDefinition = new ecs.Ec2TaskDefinition(this, 'TaskDefinition', {
      family: props.taskFamily,
      networkMode: ecs.NetworkMode.AWS_VPC,
    });
    const environment: Record<string, string> = {
      ...props.environment,
      BERTH_PROJECT: props.projectName,
      ...(web ? { PORT: String(web.containerPort), BASE_PATH: web.path } : {}),
    };
    const hc = props.containerHealthCheck;
    this.container = this.taskDefinition.addContainer('app', {
      image: ecs.ContainerImage.fromEcrRepository(props.repository, props.imageTag),
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      memoryReservationMiB: props.memoryReservationMiB,
      essential: true,
      portMappings: web ? [{ containerPort: web.containerPort, protocol: ecs.Protocol.TCP }] : [],
      environment,
      secrets: Object.fromEntries(
        Object.entries(props.secrets).map(([name, key]) => [
          name,
          ecs.Secret.fromSecretsManager(props.appSecret, key),
        ]),
      ),
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'app' }),
      readonlyRootFilesystem: false,
      stopTimeout: props.stopTimeout,
      healthCheck: hc
        ? {
            command: ['CMD-SHELL', hc.command],
            interval: hc.interval,
            timeout: hc.timeout,
            retries: hc.retries,
            startPeriod: hc.startPeriod,
          }
        : undefined,
    });
    for (const statement of props.taskPolicyStatements) this.taskDefinition.addToTaskRolePolicy(statement);

    this.service = new ecs.Ec2Service(this, 'Service', {
      cluster: props.cluster,
      serviceName: props.serviceName,
      taskDefinition: this.taskDefinition,
      securityGroups: [this.securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      capacityProviderStrategies: [{ capacityProvider: props.capacityProviderName, weight: 1 }],
      placementStrategies: [
        ecs.PlacementStrategy.spreadAcross(ecs.BuiltInAttributes.AVAILABILITY_ZONE),
        ecs.PlacementStrategy.spreadAcrossInstances(),
      ],
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      enableExecuteCommand: props.exec !== undefined,
      healthCheckGracePeriod: web?.healthCheckGracePeriod,
    });
    const cfnService = this.service.node.defaultChild as ecs.CfnService;
    cfnService.cfnOptions.condition = props.released;
    // CDK writes a DesiredCount; leaving it out is what keeps every later update from resetting the count.
    cfnService.addPropertyDeletionOverride('DesiredCount');
    // A redeploy changes the nonce: new tasks on the same task definition (AWS::ECS::Service ForceNewDeployment).
    cfnService.addPropertyOverride('ForceNewDeployment', {
      EnableForceNewDeployment: true,
      ForceNewDeploymentNonce: props.restartNonce,
    });

    // New tasks pull the image and read the secrets with the execution role: its policy (a new secret, say) is in
    // place before the service update starts them, or they fail to start and the deploy rolls back.
    this.service.node.addDependency(this.taskDefinition.obtainExecutionRole());

    if (props.exec) grantExec(this.taskDefinition.taskRole, props.exec);

    if (web) {
      // One target group for the project's life: path, health-check path and port changes update it in place
      // (see targetGroupName in src/config/names.ts). Its port is only a default: ECS registers each task's IP on
      // the container port, and the health check uses the port a target was registered on (traffic-port).
      this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
        vpc: props.vpc,
        targetGroupName: web.targetGroupName,
        port: TARGET_GROUP_PORT,
        protocol: elbv2.ApplicationProtocol.HTTP,
        targetType: elbv2.TargetType.IP,
        deregistrationDelay: props.stopTimeout,
        healthCheck: {
          path: web.healthCheck.path,
          port: 'traffic-port',
          healthyHttpCodes: '200-299',
          interval: web.healthCheck.interval,
          timeout: web.healthCheck.timeout,
          healthyThresholdCount: web.healthCheck.healthyThreshold,
          unhealthyThresholdCount: web.healthCheck.unhealthyThreshold,
        },
      });
      this.listenerRule = new elbv2.ApplicationListenerRule(this, 'Rule', {
        listener: web.listener,
        priority: web.priority,
        conditions: [elbv2.ListenerCondition.pathPatterns([web.path, `${web.path}/*`])],
        action: elbv2.ListenerAction.forward([this.targetGroup]),
      });
      this.service.attachToApplicationTargetGroup(this.targetGroup);
      this.securityGroup.connections.allowFrom(
        web.loadBalancerSecurityGroup,
        ec2.Port.tcp(web.containerPort),
        `Load balancer to ${props.projectName} tasks`,
      );
    }

    this.scaling = this.service.autoScaleTaskCount({
      minCapacity: props.minCount,
      maxCapacity: props.maxCount,
    });
    this.scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: props.cpuTargetPercent,
      scaleInCooldown: Duration.seconds(120),
      scaleOutCooldown: Duration.seconds(60),
    });
    if (web && this.targetGroup) {
      this.scaling.scaleOnRequestCount('Requests', {
        requestsPerTarget: web.requestsPerTarget,
        targetGroup: this.targetGroup,
        scaleInCooldown: Duration.seconds(120),
        scaleOutCooldown: Duration.seconds(60),
      });
      // CDK derives the metric's resource label by splitting the listener ARN; across stacks that splits a
      // cross-stack reference, which linters cannot type. Build it from the ALB's full name instead.
      scalingPolicies(this.scaling)
        .find((p) => p.node.path.includes('/Requests/'))!
        .addPropertyOverride(
          'TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.ResourceLabel',
          Fn.join('/', [web.loadBalancerFullName, this.targetGroup.targetGroupFullName]),
        );
    }
    // The scaling target and its policies exist with the service, and Application Auto Scaling uses (and
    // creates, when missing) its own service-linked role when no RoleARN is given (RegisterScalableTarget API
    // reference, RoleARN): CDK's explicit role ARN fails in accounts that never used ECS auto scaling.
    const target = this.scaling.node.findAll().find((c) => c instanceof appscaling.CfnScalableTarget) as
      appscaling.CfnScalableTarget | undefined;
    if (!target) throw new Error('scalable target not found');
    target.cfnOptions.condition = props.released;
    target.addPropertyDeletionOverride('RoleARN');
    for (const p of scalingPolicies(this.scaling)) p.cfnOptions.condition = props.released;

    acknowledge(
      this.taskDefinition,
      'AwsSolutions-ECS2',
      'The environment holds configuration only: PORT, BASE_PATH, BERTH_PROJECT and the plain values of service.environment; secrets reach the container through the secrets field.',
    );
    if (props.exec) {
      acknowledge(
        this.taskDefinition.taskRole,
        'AwsSolutions-IAM5',
        'ECS Exec: the ssmmessages channel actions have no resource-level permissions (ECS Developer Guide, "Monitor Amazon ECS containers with ECS Exec", IAM permissions required).',
        ['Resource::*'],
      );
    }
    acknowledge(
      this.taskDefinition.obtainExecutionRole(),
      'AwsSolutions-IAM5',
      'ecr:GetAuthorizationToken has no resource-level permission; image pulls are limited to the project repository.',
      ['Resource::*'],
    );
  }
}

/** The task role's permissions for ECS Exec with session logging (ECS Developer Guide, "ECS Exec"). */
function grantExec(role: iam.IRole, exec: { key: kms.IKey; logGroup: logs.ILogGroup }): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'EcsExecChannel',
      actions: [
        'ssmmessages:CreateControlChannel',
        'ssmmessages:CreateDataChannel',
        'ssmmessages:OpenControlChannel',
        'ssmmessages:OpenDataChannel',
      ],
      resources: ['*'],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'EcsExecSessionKey',
      actions: ['kms:Decrypt'],
      resources: [exec.key.keyArn],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'EcsExecSessionLog',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [exec.logGroup.logGroupArn, `${exec.logGroup.logGroupArn}:log-stream:*`],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'EcsExecLogGroups',
      actions: ['logs:DescribeLogGroups'],
      resources: ['*'],
    }),
  );
}

/** The scaling policies CDK nests under the scalable target. */
function scalingPolicies(scaling: ecs.ScalableTaskCount): appscaling.CfnScalingPolicy[] {
  return scaling.node
    .findAll()
    .filter((c): c is appscaling.CfnScalingPolicy => c instanceof appscaling.CfnScalingPolicy);
}
