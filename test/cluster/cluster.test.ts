import { beforeAll, describe, expect, it } from 'vitest';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { buildApp, configWith, template } from '../support/app';

describe('ECS cluster on EC2 (seed config)', () => {
  let t: Template;
  beforeAll(() => {
    t = template(buildApp().platform);
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
      LaunchTemplateData: Match.objectLike({ InstanceType: 't3.medium' }),
    });
  });

  it('requires IMDSv2, encrypts the root volume, and has no SSH key and no public IP', () => {
    const lt = Object.values(t.findResources('AWS::EC2::LaunchTemplate'))[0].Properties.LaunchTemplateData;
    expect(lt.MetadataOptions.HttpTokens).toBe('required');
    // One hop keeps containers on the bridge network away from the instance role's credentials.
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

  it('spreads the ASG over both private subnets with the configured size and scale-in protection', () => {
    const asg = Object.values(t.findResources('AWS::AutoScaling::AutoScalingGroup'))[0].Properties;
    expect(asg).toMatchObject({ MinSize: '2', MaxSize: '4', NewInstancesProtectedFromScaleIn: true });
    expect(asg.VPCZoneIdentifier).toHaveLength(2);
    expect(JSON.stringify(asg.VPCZoneIdentifier)).toMatch(/PrivateSubnet1.*PrivateSubnet2/);
  });

  it('uses a capacity provider with managed scaling and termination protection as the default strategy', () => {
    t.hasResourceProperties('AWS::ECS::CapacityProvider', {
      AutoScalingGroupProvider: Match.objectLike({
        ManagedScaling: Match.objectLike({ Status: 'ENABLED', TargetCapacity: 100 }),
        ManagedTerminationProtection: 'ENABLED',
      }),
    });
    t.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      DefaultCapacityProviderStrategy: [{ CapacityProvider: Match.anyValue(), Weight: 1 }],
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
