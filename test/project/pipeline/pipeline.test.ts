import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import { NO_COMMIT, PIPELINE_VARIABLES, releaseUserParameters, STAGES } from '../../../src/contracts';
import { STAGE_MODES } from '../../../src/project/pipeline/pipeline';
import { buildApp, configWith, seedConfig, template, seedApp } from '../../support/app';

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
      t = template(seedApp().projects.get(name)!);
      pipeline = Object.values(t.findResources('AWS::CodePipeline::Pipeline'))[0].Properties;
    });

    it('is a V2 pipeline named <prefix>-<project> that queues executions', () => {
      expect(pipeline).toMatchObject({ Name: `berth-${name}`, PipelineType: 'V2', ExecutionMode: 'QUEUED' });
    });

    it('given the 8 stages, when synthesized, then they are in order: shell stages on CodeBuild, release stages as Lambda invokes', () => {
      expect(pipeline.Stages.map((s: Props) => s.Name)).toEqual([...STAGES]);
      const providers = Object.fromEntries(
        pipeline.Stages.map((s: Props) => [s.Name, s.Actions.map((a: Props) => a.ActionTypeId.Provider)]),
      );
      expect(providers).toEqual({
        Source: ['S3'],
        Checkout: ['CodeBuild'],
        Test: ['CodeBuild'],
        Build: ['CodeBuild', 'CodeBuild'],
        Scan: ['Lambda'],
        Push: ['Lambda'],
        Deploy: ['Lambda'],
        Verify: ['Lambda'],
      });
    });

    it('given the pipeline variables, when the webhook or the CLI starts an execution, then COMMIT_ID and RELEASE_MODE are all there is', () => {
      expect(pipeline.Variables).toEqual([
        expect.objectContaining({ Name: PIPELINE_VARIABLES.commit, DefaultValue: NO_COMMIT }),
        expect.objectContaining({ Name: PIPELINE_VARIABLES.mode, DefaultValue: 'release' }),
      ]);
    });

    it('starts with a source action that neither polls nor has a trigger of its own', () => {
      const [source] = pipeline.Stages[0].Actions;
      expect(source.ActionTypeId).toMatchObject({ Category: 'Source', Provider: 'S3' });
      expect(source.Configuration.PollForSourceChanges).toBe(false);
      expect(pipeline.Triggers ?? []).toEqual([]);
    });

    it('given a rollback or redeploy, when a stage does not apply to the mode, then its entry condition skips it', () => {
      for (const stage of pipeline.Stages as Props[]) {
        const modes = STAGE_MODES[stage.Name as keyof typeof STAGE_MODES];
        if (modes.length === 3) {
          expect(stage.BeforeEntry, stage.Name).toBeUndefined();
          continue;
        }
        const [condition] = stage.BeforeEntry.Conditions;
        expect(condition.Result, stage.Name).toBe('SKIP');
        const [rule] = condition.Rules;
        expect(rule.RuleTypeId).toMatchObject({ Category: 'Rule', Provider: 'VariableCheck' });
        const { Variable, Operator, Value } = rule.Configuration;
        expect(Variable).toBe(`#{variables.${PIPELINE_VARIABLES.mode}}`);
        // The rule succeeds (the stage runs) exactly for the stage's modes.
        const runs = (mode: string) => (Operator === 'EQ' ? mode === Value : new RegExp(Value).test(mode));
        for (const mode of ['release', 'rollback', 'redeploy']) {
          expect(runs(mode), `${stage.Name} in ${mode}`).toBe(modes.includes(mode as never));
        }
      }
      expect(STAGE_MODES.Checkout).toEqual(['release']);
      expect(STAGE_MODES.Scan).toEqual(['release', 'rollback']);
    });

    it('given each CodeBuild action, when it runs, then it receives the pinned commit and nothing else from the execution', () => {
      for (const stage of pipeline.Stages.slice(1)) {
        for (const action of stage.Actions.filter((a: Props) => a.ActionTypeId.Provider === 'CodeBuild')) {
          expect(JSON.parse(action.Configuration.EnvironmentVariables), stage.Name).toEqual([
            { name: 'COMMIT_ID', type: 'PLAINTEXT', value: `#{variables.${PIPELINE_VARIABLES.commit}}` },
          ]);
        }
      }
    });

    it('given each release stage, when invoked, then its function receives commit, mode and execution id', () => {
      for (const name of ['Scan', 'Push', 'Deploy', 'Verify']) {
        const stage = pipeline.Stages.find((s: Props) => s.Name === name);
        const invoke = stage.Actions.find((a: Props) => a.ActionTypeId.Provider === 'Lambda');
        expect(JSON.parse(invoke.Configuration.UserParameters), name).toEqual(releaseUserParameters());
      }
    });

    it('given Checkout, when it clones, then the branch comes from berth.yaml and the PAT from Secrets Manager, never as plain text', () => {
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
      expect(env).toContainEqual({ Name: 'BRANCH', Type: 'PLAINTEXT', Value: project.repository.branch });
    });

    it("stores artifacts in the project's own bucket", () => {
      const bucket = Object.keys(t.findResources('AWS::S3::Bucket'))[0];
      expect(pipeline.ArtifactStore).toMatchObject({ Type: 'S3', Location: { Ref: bucket } });
    });

    it('given both platforms, when building, then one privileged build per architecture runs on a host of that architecture', () => {
      const p = codebuildProjects(t);
      const amd = p[`berth-${name}-build-amd64`];
      const arm = p[`berth-${name}-build-arm64`];
      expect(amd.Environment).toMatchObject({ Type: 'LINUX_CONTAINER', PrivilegedMode: true });
      expect(arm.Environment).toMatchObject({ Type: 'ARM_CONTAINER', PrivilegedMode: true });
      const value = (proj: Props, n: string) =>
        (proj.Environment.EnvironmentVariables as Props[]).find((e) => e.Name === n);
      expect(value(amd, 'IMAGE_ARCHITECTURE')?.Value).toBe('amd64');
      expect(value(arm, 'IMAGE_ARCHITECTURE')?.Value).toBe('arm64');
      expect(value(amd, 'LAST_RELEASE')).toEqual({
        Name: 'LAST_RELEASE',
        Type: 'PARAMETER_STORE',
        Value: `/berth/${name}/release`,
      });
      for (const stage of ['checkout', 'test']) {
        expect(p[`berth-${name}-${stage}`].Environment.PrivilegedMode, stage).toBe(false);
      }
      expect(value(p[`berth-${name}-test`], 'TEST_COMMAND')?.Value).toBe(project.pipeline.testCommand);
    });

    it('given Scan, when it judges findings, then it blocks at the configured severity', () => {
      const [scan] = Object.values(
        t.findResources('AWS::Lambda::Function', { Properties: { FunctionName: `berth-${name}-scan` } }),
      );
      expect(scan.Properties.Environment.Variables).toMatchObject({
        SCAN_SEVERITY: project.pipeline.scanSeverity,
        IMAGE_ARCHITECTURES: 'amd64,arm64',
      });
    });

    it('given Verify, when it checks the service, then it runs inside the VPC and calls the health path through the internal ALB', () => {
      const [verify] = Object.values(
        t.findResources('AWS::Lambda::Function', { Properties: { FunctionName: `berth-${name}-verify` } }),
      );
      expect(verify.Properties.VpcConfig.SubnetIds).toHaveLength(2);
      expect(verify.Properties.VpcConfig.SecurityGroupIds).toHaveLength(1);
      const url = JSON.stringify(verify.Properties.Environment.Variables.HEALTH_URL);
      expect(url).toContain('http://');
      expect(url).toContain(project.service.healthCheckPath);
    });

    it('runs no manual approval by default', () => {
      const deploy = pipeline.Stages.find((s: Props) => s.Name === 'Deploy');
      expect(deploy.Actions.map((a: Props) => a.ActionTypeId.Category)).toEqual(['Invoke']);
    });

    it('given each stage, when it logs, then it writes to its own log group with a retention', () => {
      const groups = Object.values(t.findResources('AWS::Logs::LogGroup')).map((g) => g.Properties);
      for (const stage of ['checkout', 'test', 'build-amd64', 'build-arm64']) {
        expect(groups).toContainEqual(
          expect.objectContaining({ LogGroupName: `/berth/${name}/pipeline/${stage}`, RetentionInDays: 30 }),
        );
      }
      for (const fn of ['scan', 'push', 'deploy', 'verify']) {
        expect(groups).toContainEqual(
          expect.objectContaining({ LogGroupName: `/aws/lambda/berth-${name}-${fn}`, RetentionInDays: 30 }),
        );
      }
      for (const p of Object.values(codebuildProjects(t))) {
        expect(p.LogsConfig.CloudWatchLogs.Status).toBe('ENABLED');
        expect(JSON.stringify(p.LogsConfig.CloudWatchLogs.GroupName)).toMatch(/Logs[0-9A-F]{8}/);
      }
    });
  },
);

describe('delivery pipeline with approval', () => {
  it('given approval: true, when a release reaches Deploy, then a manual approval runs first, notifying the alarm topic', () => {
    const config = configWith((raw) => {
      ((raw.projects as Props[])[0].pipeline as Props).approval = true;
    });
    const t = template(buildApp(config).projects.get(config.projects[0].name)!);
    const pipeline = Object.values(t.findResources('AWS::CodePipeline::Pipeline'))[0].Properties;
    const deploy = pipeline.Stages.find((s: Props) => s.Name === 'Deploy');
    expect(deploy.Actions.map((a: Props) => [a.ActionTypeId.Category, a.RunOrder])).toEqual([
      ['Approval', 1],
      ['Invoke', 2],
    ]);
    expect(deploy.Actions[0].Configuration.NotificationArn).toBeDefined();
  });
});

describe('delivery pipeline for one platform', () => {
  it('given build.platforms [linux/arm64] on Graviton hosts, when synthesized, then only the arm64 build exists', () => {
    const config = configWith((raw) => {
      (raw.cluster as Props).instanceType = 'c7g.large';
      for (const p of raw.projects as Props[]) p.build = { platforms: ['linux/arm64'] };
    });
    const name = config.projects[0].name;
    const t = template(buildApp(config).projects.get(name)!);
    const names = Object.keys(codebuildProjects(t)).sort();
    expect(names).toEqual([`berth-${name}-build-arm64`, `berth-${name}-checkout`, `berth-${name}-test`]);
    const pipeline = Object.values(t.findResources('AWS::CodePipeline::Pipeline'))[0].Properties;
    expect(pipeline.Stages.find((s: Props) => s.Name === 'Build').Actions).toHaveLength(1);
  });
});
