import { beforeAll, describe, expect, it } from 'vitest';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { CFN_MAX_RESOURCES } from '../../src/config/limits';
import { targetGroupName } from '../../src/config/names';
import { NO_RELEASE, STACK_PARAMETERS } from '../../src/contracts';
import { buildApp, configWith, seedConfig, template, seedApp } from '../support/app';

const config = seedConfig();

describe.each(config.projects.map((p) => [p.name, p] as const))('project stack %s', (name, project) => {
  let t: Template;
  beforeAll(() => {
    t = template(seedApp().projects.get(name)!);
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

  it('given releases of two platforms, when the lifecycle policy runs, then each of the last 20 releases keeps its index and both platform images', () => {
    const repo = Object.values(t.findResources('AWS::ECR::Repository'))[0].Properties;
    const rules = JSON.parse(repo.LifecyclePolicy.LifecyclePolicyText).rules as {
      rulePriority: number;
      selection: Record<string, unknown>;
    }[];
    const byPriority = [...rules].sort((x, y) => x.rulePriority - y.rulePriority).map((r) => r.selection);
    expect(byPriority).toEqual([
      expect.objectContaining({ tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 1 }),
      expect.objectContaining({ tagStatus: 'tagged', tagPrefixList: ['candidate-'], countNumber: 7 }),
      expect.objectContaining({
        tagStatus: 'tagged',
        tagPatternList: ['*-amd64'],
        countType: 'imageCountMoreThan',
        countNumber: 20,
      }),
      expect.objectContaining({
        tagStatus: 'tagged',
        tagPatternList: ['*-arm64'],
        countType: 'imageCountMoreThan',
        countNumber: 20,
      }),
      // Last: an image matched by an earlier rule's tags is never expired by a later one, so this counts indexes.
      expect.objectContaining({ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 20 }),
    ]);
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

  it('given the seed route, when synthesized, then the target group has IP targets, a stable name and port, and health-checks the configured path', () => {
    const hc = project.service.healthCheck;
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Name: targetGroupName(config, project),
      TargetType: 'ip',
      Port: 80,
      HealthCheckPath: project.service.healthCheckPath,
      HealthCheckPort: 'traffic-port',
      HealthCheckIntervalSeconds: hc.intervalSeconds,
      HealthCheckTimeoutSeconds: hc.timeoutSeconds,
      HealthyThresholdCount: hc.healthyThreshold,
      UnhealthyThresholdCount: hc.unhealthyThreshold,
      Matcher: { HttpCode: '200-299' },
      TargetGroupAttributes: Match.arrayWith([
        { Key: 'deregistration_delay.timeout_seconds', Value: String(project.service.stopTimeoutSeconds) },
      ]),
    });
  });

  it('given a new path, health-check path or port, when synthesized, then the same target group is updated in place, never replaced by an empty one', () => {
    const changed = template(
      buildApp(
        configWith((raw) => {
          const p = (raw.projects as Record<string, any>[]).find((x) => x.name === name)!; // eslint-disable-line @typescript-eslint/no-explicit-any
          p.path = `${project.path}v2`;
          p.service = { ...p.service, port: 9090, healthCheckPath: `${project.path}v2/ready` };
        }),
      ).projects.get(name)!,
    );
    const ids = (tt: Template) => Object.keys(tt.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));
    expect(ids(changed)).toEqual(ids(t));
    const [tg] = Object.values(changed.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));
    expect(tg.Properties).toMatchObject({ Name: targetGroupName(config, project), Port: 80 });
  });

  it('given the stack parameters, when nothing was released, then the image tag is "none", a SHA pattern guards it, and the service waits for a release', () => {
    const params = t.toJSON().Parameters;
    expect(params[STACK_PARAMETERS.imageTag]).toMatchObject({ Type: 'String', Default: NO_RELEASE });
    expect(new RegExp(params[STACK_PARAMETERS.imageTag].AllowedPattern).test('a'.repeat(40))).toBe(true);
    expect(new RegExp(params[STACK_PARAMETERS.imageTag].AllowedPattern).test('latest')).toBe(false);
    expect(params[STACK_PARAMETERS.restartNonce]).toMatchObject({ Type: 'String' });
    for (const type of [
      'AWS::ECS::Service',
      'AWS::ApplicationAutoScaling::ScalableTarget',
      'AWS::ApplicationAutoScaling::ScalingPolicy',
    ]) {
      for (const r of Object.values(t.findResources(type))) expect(r.Condition).toBe('Released');
    }
  });

  it('given the task definition, when synthesized, then it is awsvpc, takes the image from ImageTag, sizes from config and logs with retention', () => {
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      NetworkMode: 'awsvpc',
      RequiresCompatibilities: ['EC2'],
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'app',
          Cpu: project.service.cpu,
          Memory: project.service.memory,
          PortMappings: [{ ContainerPort: project.service.port, Protocol: 'tcp' }],
          Image: Match.objectLike({
            'Fn::Join': ['', Match.arrayWith([{ Ref: STACK_PARAMETERS.imageTag }])],
          }),
          Environment: Match.arrayWith([
            { Name: 'BERTH_PROJECT', Value: name },
            { Name: 'PORT', Value: String(project.service.port) },
            { Name: 'BASE_PATH', Value: project.path },
          ]),
          StopTimeout: project.service.stopTimeoutSeconds,
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
        }),
      ],
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/berth/${name}/service`,
      RetentionInDays: 30,
    });
  });

  it('given the ECS service, when synthesized, then it has no DesiredCount, restarts on RestartNonce, runs in private subnets with its own group and rolls back on failure', () => {
    const [svc] = Object.values(t.findResources('AWS::ECS::Service'));
    expect(svc.Properties.DesiredCount).toBeUndefined();
    expect(svc.Properties).toMatchObject({
      ServiceName: name,
      CapacityProviderStrategy: [expect.objectContaining({ Weight: 1 })],
      ForceNewDeployment: {
        EnableForceNewDeployment: true,
        ForceNewDeploymentNonce: { Ref: STACK_PARAMETERS.restartNonce },
      },
      DeploymentConfiguration: expect.objectContaining({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      }),
      EnableExecuteCommand: false,
      LoadBalancers: [expect.objectContaining({ ContainerName: 'app', ContainerPort: project.service.port })],
      HealthCheckGracePeriodSeconds: project.service.healthCheck.gracePeriodSeconds,
    });
    // New tasks read the image and secrets with the execution role: its policy exists before the service update.
    const [td] = Object.values(t.findResources('AWS::ECS::TaskDefinition'));
    const executionRole = td.Properties.ExecutionRoleArn['Fn::GetAtt'][0];
    const executionPolicies = Object.entries(t.findResources('AWS::IAM::Policy'))
      .filter(([, pol]) => JSON.stringify(pol.Properties.Roles).includes(`"${executionRole}"`))
      .map(([id]) => id);
    expect(executionPolicies).toHaveLength(1);
    expect(svc.DependsOn).toEqual(expect.arrayContaining(executionPolicies));
    const vpc = svc.Properties.NetworkConfiguration.AwsvpcConfiguration;
    expect(vpc.AssignPublicIp).toBe('DISABLED');
    expect(vpc.SecurityGroups).toHaveLength(1);
    expect(JSON.stringify(vpc.Subnets)).toMatch(/PrivateSubnet/);
  });

  it("given the task security group, when synthesized, then it admits only the load balancer's group, only on the container port", () => {
    const [sgId] = Object.keys(
      t.findResources('AWS::EC2::SecurityGroup', {
        Properties: { GroupDescription: Match.stringLikeRegexp(`^Tasks of ${name}`) },
      }),
    );
    const sg = t.toJSON().Resources[sgId].Properties;
    const inline = (sg.SecurityGroupIngress ?? []) as Record<string, unknown>[];
    const separate = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter((r) => JSON.stringify(r.Properties.GroupId).includes(sgId))
      .map((r) => r.Properties);
    const rules = [...inline, ...separate];
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      IpProtocol: 'tcp',
      FromPort: project.service.port,
      ToPort: project.service.port,
    });
    expect(rules[0].CidrIp).toBeUndefined();
    expect(JSON.stringify(rules[0].SourceSecurityGroupId)).toMatch(
      /LoadBalancerSecurityGroup|Fn::GetStackOutput|ImportValue/,
    );
  });

  it('given the scaling settings, when released, then the count stays between minCount and maxCount on CPU and requests per target, without a role ARN', () => {
    const [target] = Object.values(t.findResources('AWS::ApplicationAutoScaling::ScalableTarget'));
    expect(target.Properties).toMatchObject({
      MinCapacity: project.service.minCount,
      MaxCapacity: project.service.maxCount,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    expect(target.Properties.RoleARN).toBeUndefined();
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        TargetValue: project.service.scaling.cpuPercent,
      }),
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: {
          PredefinedMetricType: 'ALBRequestCountPerTarget',
          ResourceLabel: Match.anyValue(),
        },
        TargetValue: project.service.scaling.requestsPerTarget,
      }),
    });
  });

  it('given the release log, when created, then it is the SSM parameter /<prefix>/<project>/release starting at "none"', () => {
    t.hasResourceProperties('AWS::SSM::Parameter', {
      Name: `/berth/${name}/release`,
      Type: 'String',
      Value: NO_RELEASE,
    });
  });

  it(`stays far under CloudFormation's ${CFN_MAX_RESOURCES}-resource limit`, () => {
    const count = Object.keys(t.toJSON().Resources).length;
    expect(count).toBeLessThan(CFN_MAX_RESOURCES / 4);
  });
});

describe('project stack with service settings', () => {
  const custom = configWith((raw) => {
    const projects = raw.projects as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    Object.assign(projects[0].service, {
      environment: { LOG_LEVEL: 'debug' },
      secrets: { DB_PASSWORD: 'db-password' },
      permissions: [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::cash-reports/*'] }],
      exec: true,
      memoryReservation: 384,
      healthCheck: { command: 'wget -q -O /dev/null http://127.0.0.1:8080/api/cash/health' },
    });
    projects.push({
      name: 'ledger-worker',
      repository: { project: 'Finance', name: 'ledger-worker', branch: 'main' },
      service: { cpu: 256, memory: 512, minCount: 1, maxCount: 2 },
    });
  });
  let app: ReturnType<typeof buildApp>;
  let cash: Template;
  let worker: Template;
  beforeAll(() => {
    app = buildApp(custom);
    cash = template(app.projects.get('cash-collection')!);
    worker = template(app.projects.get('ledger-worker')!);
  });

  it('given environment and secrets, when the task starts, then plain values are environment variables and secrets come from the app secret by key', () => {
    const [td] = Object.values(cash.findResources('AWS::ECS::TaskDefinition'));
    const container = td.Properties.ContainerDefinitions[0];
    expect(container.Environment).toEqual(expect.arrayContaining([{ Name: 'LOG_LEVEL', Value: 'debug' }]));
    expect(container.Secrets).toHaveLength(1);
    expect(container.Secrets[0].Name).toBe('DB_PASSWORD');
    expect(JSON.stringify(container.Secrets[0].ValueFrom)).toMatch(/:db-password::"\]\]}$/);
    expect(JSON.stringify(container.Environment)).not.toContain('db-password');
    expect(container.MemoryReservation).toBe(384);
    expect(container.HealthCheck.Command).toEqual([
      'CMD-SHELL',
      'wget -q -O /dev/null http://127.0.0.1:8080/api/cash/health',
    ]);
  });

  it('given permissions, when the task role is synthesized, then it holds exactly those statements', () => {
    const policies = Object.values(cash.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[],
    );
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::cash-reports/*',
          Effect: 'Allow',
        }),
      ]),
    );
  });

  it('given exec: true, when synthesized, then the service allows ECS Exec and the task role may open the channel and write the encrypted session log', () => {
    cash.hasResourceProperties('AWS::ECS::Service', { EnableExecuteCommand: true });
    const statements = Object.values(cash.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Sid?: string; Action: unknown }[],
    );
    const sids = statements.map((s) => s.Sid);
    expect(sids).toEqual(
      expect.arrayContaining(['EcsExecChannel', 'EcsExecSessionKey', 'EcsExecSessionLog']),
    );
  });

  it('given a project without a path, when synthesized, then it is a worker: a service with no target group, rule, port or inbound rule', () => {
    worker.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 0);
    worker.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 0);
    worker.resourceCountIs('AWS::ECS::Service', 1);
    const [svc] = Object.values(worker.findResources('AWS::ECS::Service'));
    expect(svc.Properties.LoadBalancers ?? []).toEqual([]);
    const [td] = Object.values(worker.findResources('AWS::ECS::TaskDefinition'));
    const container = td.Properties.ContainerDefinitions[0];
    expect(container.PortMappings ?? []).toEqual([]);
    expect(JSON.stringify(container.Environment)).not.toMatch(/"PORT"|BASE_PATH/);
    worker.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    const policies = Object.values(worker.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'));
    expect(JSON.stringify(policies)).not.toContain('ALBRequestCountPerTarget');
  });
});
