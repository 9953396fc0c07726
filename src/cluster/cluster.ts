import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { denyGrantsExceptForAwsServices } from '../common/kms';
import { architectureOf } from '../config/instance-types';
import { acknowledge } from '../nag';

export interface EcsClusterProps {
  /** The VPC; instances go into its private subnets. */
  readonly vpc: ec2.IVpc;
  /** The ECS cluster's name. */
  readonly clusterName: string;
  /** EC2 instance type of the container hosts; its architecture picks the AMI. */
  readonly instanceType: string;
  /** Fewest instances. */
  readonly minCapacity: number;
  /** Most instances. */
  readonly maxCapacity: number;
  /** Capacity the capacity provider aims to keep in use, in percent. */
  readonly targetCapacityPercent: number;
  /** Root volume size in GiB (the ECS-optimized AMI needs 30). */
  readonly rootVolumeGiB: number;
  /** Name of the encrypted log group ECS Exec sessions are recorded in. */
  readonly execLogGroupName: string;
  /** Retention of the ECS Exec session log and of the helper functions' logs. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * Settings of the ECS agent on every host (`/etc/ecs/ecs.config`):
 * - no privileged containers, whatever a task definition asks (ECS Developer Guide, "Amazon ECS container agent
 *   configuration", ECS_DISABLE_PRIVILEGED): a privileged container is root on a host shared by every project;
 * - awsvpc tasks cannot reach the instance metadata service, so no task can borrow the host's role
 *   (ECS_AWSVPC_BLOCK_IMDS);
 * - IAM roles for tasks on (the default, stated).
 */
export const ECS_AGENT_SETTINGS: Readonly<Record<string, string>> = {
  ECS_DISABLE_PRIVILEGED: 'true',
  ECS_AWSVPC_BLOCK_IMDS: 'true',
  ECS_ENABLE_TASK_IAM_ROLE: 'true',
};

/**
 * An ECS cluster on EC2 for awsvpc tasks: Container Insights on; hosts from a launch template on the
 * ECS-optimized Amazon Linux 2023 AMI of the instance type's architecture (IMDSv2 only, encrypted root volume,
 * no SSH key, no public IP, reached through SSM, no inbound rule at all: every task has its own network
 * interface and security group); ENI trunking turned on for the hosts' role so a host holds many awsvpc tasks;
 * an ASG across both private subnets that replaces its hosts one at a time when the launch template changes
 * (instance type, AMI); a capacity provider with managed scaling and managed draining (ECS moves a host's tasks
 * elsewhere before the host is terminated, by scaling or replacement) as the cluster's default; and ECS Exec
 * sessions encrypted and logged to an encrypted log group.
 *
 * No managed termination protection: it keeps hosts scale-in-protected, which makes `cdk destroy` wait forever
 * on them; managed draining gives the same safety for running tasks.
 */
export class EcsCluster extends Construct {
  readonly cluster: ecs.Cluster;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly capacityProvider: ecs.AsgCapacityProvider;
  readonly instanceSecurityGroup: ec2.SecurityGroup;
  readonly instanceRole: iam.Role;
  /** Encrypts ECS Exec sessions and their log. */
  readonly execKey: kms.Key;
  readonly execLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: EcsClusterProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const instanceType = new ec2.InstanceType(props.instanceType);
    const hardware =
      architectureOf(props.instanceType) === 'arm64' ? ecs.AmiHardwareType.ARM : ecs.AmiHardwareType.STANDARD;

    this.execKey = new kms.Key(this, 'ExecKey', {
      description: 'Berth ECS Exec sessions and their log',
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    denyGrantsExceptForAwsServices(this.execKey);
    // CloudWatch Logs encrypts the session log with the key (CloudWatch Logs User Guide, "Encrypt log data in
    // CloudWatch Logs using AWS KMS"): only for log groups of this account and region.
    this.execKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsForExecSessionLogs',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: props.execLogGroupName,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.execLogGroup = new logs.LogGroup(this, 'ExecLogs', {
      logGroupName: props.execLogGroupName,
      encryptionKey: this.execKey,
      retention: props.logRetention,
      // Deleted with the platform, like its key: a kept group would hold sessions no key can decrypt any more.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      clusterName: props.clusterName,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
      executeCommandConfiguration: {
        kmsKey: this.execKey,
        logging: ecs.ExecuteCommandLogging.OVERRIDE,
        logConfiguration: { cloudWatchLogGroup: this.execLogGroup, cloudWatchEncryptionEnabled: true },
      },
    });

    this.instanceSecurityGroup = new ec2.SecurityGroup(this, 'InstanceSecurityGroup', {
      vpc: props.vpc,
      description: 'ECS container hosts: no inbound; tasks have their own network interfaces and groups',
      allowAllOutbound: true,
    });

    // The ECS agent's own permissions are added by addAsgCapacityProvider; SSM gives shell access without SSH.
    this.instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'ECS container instances: the ECS agent and SSM Session Manager, nothing else',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });

    const userData = ec2.UserData.forLinux();
    userData.addCommands(
      ...Object.entries(ECS_AGENT_SETTINGS).map(([k, v]) => `echo ${k}=${v} >> /etc/ecs/ecs.config`),
    );
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ecs.EcsOptimizedImage.amazonLinux2023(hardware),
      instanceType,
      role: this.instanceRole,
      securityGroup: this.instanceSecurityGroup,
      requireImdsv2: true,
      // One hop: the host (and the ECS agent) reach IMDS; containers do not (ECS_AWSVPC_BLOCK_IMDS too).
      httpPutResponseHopLimit: 1,
      associatePublicIpAddress: false,
      detailedMonitoring: true,
      userData,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(props.rootVolumeGiB, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
    });

    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Asg', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate,
      minCapacity: props.minCapacity,
      maxCapacity: props.maxCapacity,
      newInstancesProtectedFromScaleIn: false,
      healthChecks: autoscaling.HealthChecks.ec2(),
      groupMetrics: [autoscaling.GroupMetrics.all()],
      // A new launch template version (instance type, AMI) replaces the hosts one at a time: a new host first,
      // then an old one terminates; ECS managed draining moves its tasks before it goes (CloudFormation User
      // Guide, "UpdatePolicy attribute", AutoScalingRollingUpdate).
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        maxBatchSize: 1,
        minInstancesInService: Math.max(0, Math.min(props.minCapacity, props.maxCapacity - 1)),
        pauseTime: Duration.minutes(3),
        suspendProcesses: [
          autoscaling.ScalingProcess.HEALTH_CHECK,
          autoscaling.ScalingProcess.REPLACE_UNHEALTHY,
          autoscaling.ScalingProcess.AZ_REBALANCE,
          autoscaling.ScalingProcess.ALARM_NOTIFICATION,
          autoscaling.ScalingProcess.SCHEDULED_ACTIONS,
        ],
      }),
    });

    this.capacityProvider = new ecs.AsgCapacityProvider(this, 'CapacityProvider', {
      autoScalingGroup: this.autoScalingGroup,
      enableManagedScaling: true,
      enableManagedTerminationProtection: false,
      enableManagedDraining: true,
      targetCapacityPercent: props.targetCapacityPercent,
    });
    this.cluster.addAsgCapacityProvider(this.capacityProvider);
    this.cluster.addDefaultCapacityProviderStrategy([
      { capacityProvider: this.capacityProvider.capacityProviderName, weight: 1 },
    ]);

    // ENI trunking for the hosts' role (ECS Developer Guide, "Increasing Amazon ECS Linux container instance
    // network interfaces"): set for that one principal, not as the account default, so nothing else in the
    // account changes. Hosts read it when they register, so they launch after it is set.
    const trunking = new cr.AwsCustomResource(this, 'EniTrunking', {
      onCreate: {
        service: 'ECS',
        action: 'putAccountSetting',
        parameters: { name: 'awsvpcTrunking', value: 'enabled', principalArn: this.instanceRole.roleArn },
        physicalResourceId: cr.PhysicalResourceId.of('awsvpcTrunking'),
      },
      onUpdate: {
        service: 'ECS',
        action: 'putAccountSetting',
        parameters: { name: 'awsvpcTrunking', value: 'enabled', principalArn: this.instanceRole.roleArn },
        physicalResourceId: cr.PhysicalResourceId.of('awsvpcTrunking'),
      },
      onDelete: {
        service: 'ECS',
        action: 'deleteAccountSetting',
        parameters: { name: 'awsvpcTrunking', principalArn: this.instanceRole.roleArn },
        ignoreErrorCodesMatching: '.*',
      },
      installLatestAwsSdk: false,
      logGroup: new logs.LogGroup(this, 'EniTrunkingLogs', {
        retention: props.logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['ecs:PutAccountSetting', 'ecs:DeleteAccountSetting'],
          resources: ['*'],
          conditions: { StringEquals: { 'ecs:account-setting': 'awsvpcTrunking' } },
        }),
      ]),
    });
    this.autoScalingGroup.node.addDependency(trunking);
    acknowledge(
      trunking,
      'AwsSolutions-IAM5',
      'ENI trunking custom resource, its only statement: ecs:PutAccountSetting and DeleteAccountSetting have no resource-level permission; the condition ecs:account-setting limits them to awsvpcTrunking.',
      ['Resource::*'],
    );

    acknowledge(
      this.instanceRole,
      'AwsSolutions-IAM4',
      'AmazonSSMManagedInstanceCore is the AWS-maintained minimum for Session Manager; it replaces SSH and follows SSM API changes.',
      ['Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore'],
    );
    acknowledge(
      this.instanceRole,
      'AwsSolutions-IAM5',
      'The ECS agent actions CDK grants for a capacity provider (Submit*, Poll, ecr:GetAuthorizationToken, logs) do not support resource-level permissions.',
      ['Action::ecs:Submit*', 'Resource::*'],
    );
    acknowledge(
      this.autoScalingGroup,
      'AwsSolutions-AS3',
      'Scaling is driven by the ECS capacity provider and watched by the platform alarms; ASG notifications would duplicate them.',
    );
  }
}
