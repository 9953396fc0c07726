import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import { NO_RELEASE, projectNames } from '../../src/config/names';
import { buildApp, configWith, seedConfig, template } from '../support/app';

/**
 * Evaluates the few intrinsics the service's counts use, with the image-tag parameter set to a value, as
 * CloudFormation would at deploy time.
 */
function evaluate(t: Template, value: unknown, imageTag: string): unknown {
  const json = t.toJSON();
  const paramId = Object.entries(json.Parameters as Record<string, { Default?: string }>).find(([, p]) =>
    p.Default?.endsWith('/image-tag'),
  )![0];
  const conditions = json.Conditions as Record<string, unknown>;
  const ev = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(ev);
    if (v && typeof v === 'object') {
      const [k, arg] = Object.entries(v)[0] as [string, unknown];
      if (k === 'Ref' && arg === paramId) return imageTag;
      if (k === 'Fn::If') {
        const [cond, a, b] = arg as [string, unknown, unknown];
        return ev(conditions[cond]) ? ev(a) : ev(b);
      }
      if (k === 'Fn::Not') return !ev((arg as unknown[])[0]);
      if (k === 'Fn::Equals') {
        const [a, b] = (arg as unknown[]).map(ev);
        return a === b;
      }
      return v;
    }
    return v;
  };
  return ev(value);
}

describe('deploy safety', () => {
  const config = seedConfig();
  const project = config.projects[0];
  const names = projectNames(config, project);
  let t: Template;
  let platform: Template;
  beforeAll(() => {
    const app = buildApp(config);
    t = template(app.projects.get(project.name)!);
    platform = template(app.platform);
  });

  it('reads the task image tag from the release pointer in SSM, so cdk deploy uses the released image', () => {
    const params = t.toJSON().Parameters as Record<string, { Type: string; Default: string }>;
    const [id, param] = Object.entries(params).find(([, p]) => p.Default === names.imageTagParameter)!;
    expect(param.Type).toBe('AWS::SSM::Parameter::Value<String>');
    const image = JSON.stringify(
      Object.values(t.findResources('AWS::ECS::TaskDefinition'))[0].Properties.ContainerDefinitions[0].Image,
    );
    expect(image).toContain(`{"Ref":"${id}"}`);
    expect(image).not.toMatch(/:latest|"latest"/);
  });

  it('creates the release pointer in the platform stack with "none", never in the project stack', () => {
    platform.hasResourceProperties('AWS::SSM::Parameter', {
      Name: names.imageTagParameter,
      Value: NO_RELEASE,
    });
    t.resourceCountIs('AWS::SSM::Parameter', 0);
  });

  it('freezes every property of the release pointers: any change would make CloudFormation reset them to "none"', () => {
    // If this test fails, do not just update it: a changed property rewrites every pointer on the next deploy,
    // and the next project deploy then scales its service to 0. Migrate the pointers deliberately instead.
    const pointers = Object.values(platform.findResources('AWS::SSM::Parameter'));
    // Tags alone are updated without rewriting the value.
    const frozen = pointers.map(({ Properties: { Tags: _tags, ...rest } }) => rest);
    expect(frozen).toEqual(
      config.projects.map((p) => ({
        Name: projectNames(config, p).imageTagParameter,
        Type: 'String',
        Value: 'none',
        Tier: 'Standard',
        Description:
          'Image tag (commit SHA) released last by the Berth pipeline; written by its Deploy stage',
      })),
    );
  });

  it('on the first deploy (no release yet) runs 0 tasks and scales 0..0, so no stack waits for unpullable images', () => {
    const service = Object.values(t.findResources('AWS::ECS::Service'))[0].Properties;
    const target = Object.values(t.findResources('AWS::ApplicationAutoScaling::ScalableTarget'))[0]
      .Properties;
    expect(evaluate(t, service.DesiredCount, NO_RELEASE)).toBe(0);
    expect(evaluate(t, target.MinCapacity, NO_RELEASE)).toBe(0);
    expect(evaluate(t, target.MaxCapacity, NO_RELEASE)).toBe(0);
  });

  it('after a release scales between the configured bounds and leaves the task count to auto scaling', () => {
    const sha = 'a'.repeat(40);
    const service = Object.values(t.findResources('AWS::ECS::Service'))[0].Properties;
    const target = Object.values(t.findResources('AWS::ApplicationAutoScaling::ScalableTarget'))[0]
      .Properties;
    // No DesiredCount in the update: CloudFormation keeps the running count instead of resetting it.
    expect(evaluate(t, service.DesiredCount, sha)).toEqual({ Ref: 'AWS::NoValue' });
    expect(evaluate(t, target.MinCapacity, sha)).toBe(project.service.minCount);
    expect(evaluate(t, target.MaxCapacity, sha)).toBe(project.service.maxCount);
  });

  it("adding a third project adds one stack and leaves the other projects' templates byte-identical", () => {
    const before = buildApp(config).app.synth();
    const bigger = configWith((raw) => {
      (raw.projects as unknown[]).push({
        name: 'egg-count',
        path: '/api/eggs',
        priority: 30,
        repository: { project: 'Farm', name: 'egg-count', branch: 'main' },
      });
    });
    const after = buildApp(bigger).app.synth();
    const names = (a: typeof before) => a.stacks.map((s) => s.stackName).sort();
    expect(names(after)).toEqual([...names(before), 'berth-egg-count'].sort());
    for (const p of config.projects) {
      const stackName = projectNames(config, p).stack;
      expect(JSON.stringify(after.getStackByName(stackName).template)).toBe(
        JSON.stringify(before.getStackByName(stackName).template),
      );
    }
  });
});
