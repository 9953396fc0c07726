import { beforeAll, describe, expect, it } from 'vitest';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { buildApp, configWith, template, seedApp } from '../support/app';

describe('ECS cluster on EC2 (seed config)', () => {
  let t: Template;
  beforeAll(() => {
    t = template(seedApp().platform);
  });

  it('creates the cluster with Container Insights', () => {
    t.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterName: 'berth',
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });

  it('launches hosts from a launch template on the ECS-optimized Amazon Linux 2023 AMI without a lookup', () => {
    const params = t.toJSON().Parameters as Record<string, { Type: string; Default: string }>;
    const ami = Object.values(params).find((p) =>
      p.Default?.includes('/ecs/optimized-ami/amazon-linux-2023/'),
    );
    expect(ami?.Type).toBe('AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>');
    expect(ami?.Default).toContain('/recommended/image_id');
    t.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ InstanceType: 'c5.large' }),
    });
  });

  it('requires IMDSv2, encrypts the root volume, and has no SSH key and no public IP', () => {
    const lt = Object.values(t.findResources('AWS::EC2::LaunchTemplate'))[0].Properties.LaunchTemplateData;
    expect(lt.MetadataOptions.HttpTokens).toBe('required');
    // One hop keeps containers away from the instance role's credentials (and awsvpc tasks are blocked anyway).
    expect(lt.MetadataOptions.HttpPutResponseHopLimit).toBe(1);
    expect(lt.BlockDeviceMappings[0].Ebs).toMatchObject({
      Encrypted: true,
      VolumeType: 'gp3',
      VolumeSize: 30,
    });
    expect(lt.KeyName).toBeUndefined();
    expect(lt.NetworkInterfaces?.[0]?.AssociatePublicIpAddress ?? false).toBe(false);
    expect(lt.IamInstanceProfile).toBeDefined();
  });

  it('given the seed, when synthesized, then the ASG spreads over both private subnets with the configured size and no scale-in protection', () => {
    const asg = Object.values(t.findResources('AWS::AutoScaling::AutoScalingGroup'))[0].Properties;
    expect(asg).toMatchObject({ MinSize: '2', MaxSize: '4' });
    expect(asg.NewInstancesProtectedFromScaleIn ?? false).toBe(false);
    expect(asg.VPCZoneIdentifier).toHaveLength(2);
    expect(JSON.stringify(asg.VPCZoneIdentifier)).toMatch(/PrivateSubnet1.*PrivateSubnet2/);
  });

  it('given a launch template change, when CloudFormation updates the ASG, then it replaces hosts one at a time keeping min in service', () => {
    const [asg] = Object.values(t.findResources('AWS::AutoScaling::AutoScalingGroup'));
    expect(asg.UpdatePolicy.AutoScalingRollingUpdate).toMatchObject({
      MaxBatchSize: 1,
      MinInstancesInService: 2,
      PauseTime: 'PT3M',
    });
    expect(asg.UpdatePolicy.AutoScalingRollingUpdate.SuspendProcesses).toEqual(
      expect.arrayContaining(['HealthCheck', 'ReplaceUnhealthy', 'AZRebalance']),
    );
  });

  it('given the seed, when synthesized, then the capacity provider scales and drains but does not protect hosts from termination', () => {
    t.hasResourceProperties('AWS::ECS::CapacityProvider', {
      AutoScalingGroupProvider: Match.objectLike({
        ManagedScaling: Match.objectLike({ Status: 'ENABLED', TargetCapacity: 100 }),
        ManagedTerminationProtection: 'DISABLED',
        ManagedDraining: 'ENABLED',
      }),
    });
    t.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      DefaultCapacityProviderStrategy: [{ CapacityProvider: Match.anyValue(), Weight: 1 }],
    });
  });

  it('given the hosts user data, when the ECS agent starts, then privileged containers and task access to IMDS are off', () => {
    const lt = Object.values(t.findResources('AWS::EC2::LaunchTemplate'))[0].Properties.LaunchTemplateData;
    const userData = JSON.stringify(lt.UserData);
    for (const line of [
      'ECS_DISABLE_PRIVILEGED=true',
      'ECS_AWSVPC_BLOCK_IMDS=true',
      'ECS_ENABLE_TASK_IAM_ROLE=true',
    ]) {
      expect(userData).toContain(`echo ${line} >> /etc/ecs/ecs.config`);
    }
  });

  it('given the hosts security group, when synthesized, then it admits nothing (tasks have their own interfaces)', () => {
    const groups = t.findResources('AWS::EC2::SecurityGroup', {
      Properties: { GroupDescription: Match.stringLikeRegexp('^ECS container hosts') },
    });
    const [group] = Object.values(groups);
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    const [groupId] = Object.keys(groups);
    const ingress = t.findResources('AWS::EC2::SecurityGroupIngress', {
      Properties: { GroupId: { 'Fn::GetAtt': [groupId, 'GroupId'] } },
    });
    expect(ingress).toEqual({});
  });

  it('given the hosts role, when the stack deploys, then ENI trunking is turned on for that role before any host launches', () => {
    const [[trunkingId, resource]] = Object.entries(t.findResources('Custom::AWS')).filter(([, r]) =>
      JSON.stringify(r.Properties.Create).includes('awsvpcTrunking'),
    );
    const create = JSON.stringify(resource.Properties.Create);
    expect(create).toContain('putAccountSetting');
    expect(create).toMatch(/InstanceRole[0-9A-F]{8}/);
    const [asg] = Object.values(t.findResources('AWS::AutoScaling::AutoScalingGroup'));
    expect(asg.DependsOn).toContain(trunkingId);
  });

  it('given ECS Exec, when sessions run, then they are encrypted with the exec key and logged to a log group encrypted with it and deleted with it', () => {
    t.hasResourceProperties('AWS::ECS::Cluster', {
      Configuration: {
        ExecuteCommandConfiguration: Match.objectLike({
          KmsKeyId: Match.anyValue(),
          Logging: 'OVERRIDE',
          LogConfiguration: Match.objectLike({ CloudWatchEncryptionEnabled: true }),
        }),
      },
    });
    t.hasResource('AWS::Logs::LogGroup', {
      Properties: {
        LogGroupName: '/berth/ecs-exec',
        KmsKeyId: Match.anyValue(),
        RetentionInDays: Match.anyValue(),
      },
      DeletionPolicy: 'Delete',
    });
  });

  it('gives the instance role only the ECS agent and SSM: no other managed policy, no admin', () => {
    const roles = t.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: Match.objectLike({
          Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })],
        }),
      },
    });
    const [role] = Object.values(roles);
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toMatch(/AmazonSSMManagedInstanceCore/);
    expect(role.Properties.ManagedPolicyArns).toHaveLength(1);
    const policy = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(policy).not.toMatch(/"Action":"\*"|"iam:\*"|AdministratorAccess/);
  });
});

describe('ECS cluster sizing from config', () => {
  it('follows instance type, capacity and Graviton hardware from berth.yaml', () => {
    const t = template(
      buildApp(
        configWith((raw) => {
          raw.cluster = {
            instanceType: 't4g.large',
            minCapacity: 1,
            maxCapacity: 8,
            targetCapacityPercent: 80,
          };
        }),
      ).platform,
    );
    t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '1', MaxSize: '8' });
    t.hasResourceProperties('AWS::ECS::CapacityProvider', {
      AutoScalingGroupProvider: Match.objectLike({
        ManagedScaling: Match.objectLike({ TargetCapacity: 80 }),
      }),
    });
    const params = JSON.stringify(t.toJSON().Parameters);
    expect(params).toContain('/ecs/optimized-ami/amazon-linux-2023/arm64/');
  });
});
