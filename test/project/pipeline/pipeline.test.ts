import { beforeAll, describe, expect, it } from 'vitest';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { STAGES } from '../../../src/project/pipeline/pipeline';
import { buildApp, configWith, seedConfig, template } from '../../support/app';

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const codebuildProjects = (t: Template) =>
  Object.fromEntries(
    Object.values(t.findResources('AWS::CodeBuild::Project')).map((r) => [
      r.Properties.Name as string,
      r.Properties as Props,
    ]),
  );

describe.each(seedConfig().projects.map((p) => [p.name, p] as const))(
  'delivery pipeline of %s',
  (name, project) => {
    let t: Template;
    let pipeline: Props;
    beforeAll(() => {
      t = template(buildApp().projects.get(name)!);
      pipeline = Object.values(t.findResources('AWS::CodePipeline::Pipeline'))[0].Properties;
    });

    it('is a V2 pipeline named <prefix>-<project> that queues executions', () => {
      expect(pipeline).toMatchObject({ Name: `berth-${name}`, PipelineType: 'V2', ExecutionMode: 'QUEUED' });
    });

    it('has exactly the 8 stages in order, one job each', () => {
      expect(pipeline.Stages.map((s: Props) => s.Name)).toEqual([...STAGES]);
      expect(STAGES).toHaveLength(8);
      for (const stage of pipeline.Stages.slice(1)) {
        const builds = stage.Actions.filter((a: Props) => a.ActionTypeId.Provider === 'CodeBuild');
        expect(builds, stage.Name).toHaveLength(1);
      }
    });

    it('declares COMMIT_ID, BRANCH and REPOSITORY variables for the webhook to set', () => {
      expect(pipeline.Variables).toEqual([
        expect.objectContaining({ Name: 'COMMIT_ID' }),
        expect.objectContaining({ Name: 'BRANCH', DefaultValue: project.repository.branch }),
        expect.objectContaining({ Name: 'REPOSITORY', DefaultValue: project.repository.name }),
      ]);
    });

    it('starts with a source action that neither polls nor has a trigger of its own', () => {
      const [source] = pipeline.Stages[0].Actions;
      expect(source.ActionTypeId).toMatchObject({ Category: 'Source', Provider: 'S3' });
      expect(source.Configuration.PollForSourceChanges).toBe(false);
      expect(pipeline.Triggers ?? []).toEqual([]);
      t.resourceCountIs('AWS::Events::Rule', 0);
    });

    it('passes the pinned commit to every build stage and the branch to Checkout', () => {
      for (const stage of pipeline.Stages.slice(1)) {
        for (const action of stage.Actions.filter((a: Props) => a.ActionTypeId.Provider === 'CodeBuild')) {
          const vars = JSON.parse(action.Configuration.EnvironmentVariables);
          expect(vars, stage.Name).toContainEqual({
            name: 'COMMIT_ID',
            type: 'PLAINTEXT',
            value: '#{variables.COMMIT_ID}',
          });
        }
      }
      const checkout = JSON.parse(pipeline.Stages[1].Actions[0].Configuration.EnvironmentVariables);
      expect(checkout).toContainEqual({ name: 'BRANCH', type: 'PLAINTEXT', value: '#{variables.BRANCH}' });
    });

    it("stores artifacts in the project's own bucket", () => {
      const bucket = Object.keys(t.findResources('AWS::S3::Bucket'))[0];
      expect(pipeline.ArtifactStore).toMatchObject({ Type: 'S3', Location: { Ref: bucket } });
    });

    it('clones with the PAT injected from Secrets Manager, never as plain text', () => {
      const checkout = codebuildProjects(t)[`berth-${name}-checkout`];
      const env = checkout.Environment.EnvironmentVariables as Props[];
      expect(env).toContainEqual({
        Name: 'AZURE_DEVOPS_PAT',
        Type: 'SECRETS_MANAGER',
        Value: `berth/${name}/azure-devops-pat:pat`,
      });
      expect(env).toContainEqual({
        Name: 'REPOSITORY_URL',
        Type: 'PLAINTEXT',
        Value: `https://dev.azure.com/my-org/${project.repository.project}/_git/${project.repository.name}`,
      });
    });

    it('builds privileged with a local Docker layer cache, tests with the configured command, scans at CRITICAL', () => {
      const p = codebuildProjects(t);
      expect(p[`berth-${name}-build`].Environment.PrivilegedMode).toBe(true);
      expect(p[`berth-${name}-build`].Cache).toEqual({ Type: 'LOCAL', Modes: ['LOCAL_DOCKER_LAYER_CACHE'] });
      expect(p[`berth-${name}-test`].Environment.EnvironmentVariables).toContainEqual({
        Name: 'TEST_COMMAND',
        Type: 'PLAINTEXT',
        Value: project.pipeline.testCommand,
      });
      expect(p[`berth-${name}-scan`].Environment.EnvironmentVariables).toContainEqual({
        Name: 'SCAN_SEVERITY',
        Type: 'PLAINTEXT',
        Value: 'CRITICAL',
      });
      for (const stage of ['checkout', 'test', 'scan', 'push', 'deploy', 'verify']) {
        expect(p[`berth-${name}-${stage}`].Environment.PrivilegedMode, stage).toBe(false);
        // Cheapest compute for everything but the image build.
        expect(p[`berth-${name}-${stage}`].Environment.ComputeType, stage).toBe('BUILD_GENERAL1_SMALL');
      }
      expect(p[`berth-${name}-build`].Environment.ComputeType).toBe('BUILD_GENERAL1_MEDIUM');
    });

    it('deploys through the release pointer with the configured counts', () => {
      const env = codebuildProjects(t)[`berth-${name}-deploy`].Environment.EnvironmentVariables as Props[];
      const value = (n: string) => env.find((e) => e.Name === n)?.Value;
      expect(value('IMAGE_TAG_PARAMETER')).toBe(`/berth/${name}/image-tag`);
      expect(value('SERVICE_NAME')).toBe(name);
      expect(value('CONTAINER_NAME')).toBe('app');
      expect(value('DESIRED_COUNT')).toBe(String(project.service.desiredCount));
      expect(value('MIN_COUNT')).toBe(String(project.service.minCount));
      expect(value('MAX_COUNT')).toBe(String(project.service.maxCount));
    });

    it('verifies from inside the VPC, through the internal ALB, at the health path', () => {
      const verify = codebuildProjects(t)[`berth-${name}-verify`];
      expect(verify.VpcConfig.Subnets).toHaveLength(2);
      expect(verify.VpcConfig.SecurityGroupIds).toHaveLength(1);
      const url = JSON.stringify(
        verify.Environment.EnvironmentVariables.find((e: Props) => e.Name === 'HEALTH_URL').Value,
      );
      expect(url).toContain('http://');
      expect(url).toContain(project.service.healthCheckPath);
    });

    it('runs no manual approval by default', () => {
      expect(pipeline.Stages[6].Actions.map((a: Props) => a.ActionTypeId.Category)).toEqual(['Build']);
    });

    it('logs every stage to one log group with a retention', () => {
      t.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: `/aws/codebuild/berth-${name}`,
        RetentionInDays: 30,
      });
      for (const p of Object.values(codebuildProjects(t))) {
        expect(p.LogsConfig.CloudWatchLogs.Status).toBe('ENABLED');
      }
    });
  },
);

describe('delivery pipeline with approval', () => {
  it('asks for a manual approval first in the Deploy stage, notifying the alarm topic', () => {
    const config = configWith((raw) => {
      ((raw.projects as Props[])[0].pipeline as Props).approval = true;
      ((raw.projects as Props[])[0].pipeline as Props).scanSeverity = 'HIGH';
    });
    const t = template(buildApp(config).projects.get(config.projects[0].name)!);
    const pipeline = Object.values(t.findResources('AWS::CodePipeline::Pipeline'))[0].Properties;
    const deploy = pipeline.Stages.find((s: Props) => s.Name === 'Deploy');
    expect(deploy.Actions.map((a: Props) => [a.ActionTypeId.Category, a.RunOrder])).toEqual([
      ['Approval', 1],
      ['Build', 2],
    ]);
    expect(deploy.Actions[0].Configuration.NotificationArn).toBeDefined();
    t.hasResourceProperties('AWS::CodeBuild::Project', {
      Environment: Match.objectLike({
        EnvironmentVariables: Match.arrayWith([{ Name: 'SCAN_SEVERITY', Type: 'PLAINTEXT', Value: 'HIGH' }]),
      }),
    });
  });
});

describe('delivery pipeline on Graviton hosts', () => {
  it('builds images on an arm64 CodeBuild image when the cluster runs Graviton instances', () => {
    const config = configWith((raw) => {
      (raw.cluster as Props).instanceType = 't4g.medium';
    });
    const t = template(buildApp(config).projects.get(config.projects[0].name)!);
    const build = codebuildProjects(t)[`berth-${config.projects[0].name}-build`];
    expect(build.Environment).toMatchObject({ Type: 'ARM_CONTAINER', PrivilegedMode: true });
    expect(build.Environment.Image).toMatch(/aarch64/);
    const test = codebuildProjects(t)[`berth-${config.projects[0].name}-test`];
    expect(test.Environment.Type).toBe('LINUX_CONTAINER');
  });
});
