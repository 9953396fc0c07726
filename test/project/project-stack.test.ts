import { beforeAll, describe, expect, it } from 'vitest';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { CFN_MAX_RESOURCES } from '../../src/config/limits';
import { buildApp, seedConfig, template } from '../support/app';

const config = seedConfig();

describe.each(config.projects.map((p) => [p.name, p] as const))('project stack %s', (name, project) => {
  let t: Template;
  beforeAll(() => {
    t = template(buildApp().projects.get(name)!);
  });

  it('has an ECR repository that scans on push, has immutable tags, is KMS-encrypted and is retained', () => {
    t.hasResource('AWS::ECR::Repository', {
      Properties: {
        RepositoryName: `berth/${name}`,
        ImageScanningConfiguration: { ScanOnPush: true },
        ImageTagMutability: 'IMMUTABLE',
        EncryptionConfiguration: { EncryptionType: 'KMS' },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('expires untagged and candidate images and keeps the last 20 releases', () => {
    const repo = Object.values(t.findResources('AWS::ECR::Repository'))[0].Properties;
    const rules = JSON.parse(repo.LifecyclePolicy.LifecyclePolicyText).rules;
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          selection: expect.objectContaining({
            tagStatus: 'untagged',
            countType: 'sinceImagePushed',
            countNumber: 1,
          }),
        }),
        expect.objectContaining({
          selection: expect.objectContaining({
            tagStatus: 'tagged',
            tagPrefixList: ['candidate-'],
            countNumber: 7,
          }),
        }),
        expect.objectContaining({
          selection: expect.objectContaining({
            tagStatus: 'any',
            countType: 'imageCountMoreThan',
            countNumber: 20,
          }),
        }),
      ]),
    );
    expect(rules.at(-1).selection.tagStatus).toBe('any');
  });

  it('creates the PAT secret empty-but-valid, the webhook credentials generated, the app secret empty; all retained', () => {
    t.hasResource('AWS::SecretsManager::Secret', {
      Properties: { Name: `berth/${name}/azure-devops-pat`, SecretString: '{"pat":""}' },
      DeletionPolicy: 'Retain',
    });
    t.hasResource('AWS::SecretsManager::Secret', {
      Properties: {
        Name: `berth/${name}/webhook`,
        GenerateSecretString: Match.objectLike({
          SecretStringTemplate: JSON.stringify({ username: `berth-${name}` }),
          GenerateStringKey: 'password',
          PasswordLength: 40,
        }),
      },
      DeletionPolicy: 'Retain',
    });
    t.hasResource('AWS::SecretsManager::Secret', {
      Properties: { Name: `berth/${name}/app`, SecretString: '{}' },
      DeletionPolicy: 'Retain',
    });
  });

  it('has an encrypted, private, TLS-only, versioned artifacts bucket with expiry, retained', () => {
    t.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }),
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({ ExpirationInDays: 30, NoncurrentVersionExpiration: { NoncurrentDays: 7 } }),
          ],
        },
      }),
      DeletionPolicy: 'Retain',
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('routes /api/<segment> and /api/<segment>/* to its target group at the configured priority', () => {
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Priority: project.priority,
      Conditions: [
        { Field: 'path-pattern', PathPatternConfig: { Values: [project.path, `${project.path}/*`] } },
      ],
      Actions: [Match.objectLike({ Type: 'forward' })],
    });
  });

  it('health-checks the configured path with fast timing and drains for 30 s', () => {
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Name: `berth-${name}`,
      TargetType: 'instance',
      HealthCheckPath: project.service.healthCheckPath,
      HealthCheckPort: 'traffic-port',
      HealthCheckIntervalSeconds: 10,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 3,
      Matcher: { HttpCode: '200-299' },
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }]),
    });
  });

  it('defines an EC2 task with bridge networking, a dynamic host port, cpu/memory from config and logs with retention', () => {
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      NetworkMode: 'bridge',
      RequiresCompatibilities: ['EC2'],
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'app',
          Cpu: project.service.cpu,
          Memory: project.service.memory,
          PortMappings: [{ ContainerPort: project.service.port, HostPort: 0, Protocol: 'tcp' }],
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
          Secrets: [Match.objectLike({ Name: 'APP_SECRETS' })],
        }),
      ],
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/berth/${name}/service`,
      RetentionInDays: 30,
    });
  });

  it('runs the service on the capacity provider, spread over AZs, with circuit-breaker rollback, 100/200 and ECS Exec', () => {
    t.hasResourceProperties('AWS::ECS::Service', {
      ServiceName: name,
      CapacityProviderStrategy: [Match.objectLike({ Weight: 1 })],
      PlacementStrategies: [
        { Type: 'spread', Field: 'attribute:ecs.availability-zone' },
        { Type: 'spread', Field: 'instanceId' },
      ],
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      }),
      EnableExecuteCommand: true,
      LoadBalancers: [Match.objectLike({ ContainerName: 'app', ContainerPort: project.service.port })],
    });
  });

  it('scales between minCount and maxCount on CPU and on ALB requests per target', () => {
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: { 'Fn::If': [Match.anyValue(), project.service.minCount, 0] },
      MaxCapacity: { 'Fn::If': [Match.anyValue(), project.service.maxCount, 0] },
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        TargetValue: 60,
      }),
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: {
          PredefinedMetricType: 'ALBRequestCountPerTarget',
          ResourceLabel: Match.anyValue(),
        },
      }),
    });
  });

  it(`stays far under CloudFormation's ${CFN_MAX_RESOURCES}-resource limit`, () => {
    const count = Object.keys(t.toJSON().Resources).length;
    expect(count).toBeLessThan(CFN_MAX_RESOURCES / 4);
  });
});
