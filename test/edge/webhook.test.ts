import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { App } from 'aws-cdk-lib';
import { buildApp, seedConfig, template } from '../support/app';

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('webhook route and function', () => {
  const config = seedConfig();
  let t: Template;
  let app: App;
  let fn: Props;
  let fnId: string;
  beforeAll(() => {
    const built = buildApp(config);
    app = built.app;
    t = template(built.platform);
    const fns = t.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'berth-webhook' } });
    [fnId] = Object.keys(fns);
    fn = fns[fnId].Properties;
  });

  it('routes POST /webhook/{service} to the function as a Lambda proxy with payload format 2.0', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /webhook/{service}',
      Target: Match.anyValue(),
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
    t.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
      Principal: 'apigateway.amazonaws.com',
    });
  });

  it('creates the route before the stage whose route settings name it', () => {
    const [routeId] = Object.keys(
      t.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: 'POST /webhook/{service}' } }),
    );
    const stage = Object.values(t.findResources('AWS::ApiGatewayV2::Stage'))[0];
    expect(stage.DependsOn).toContain(routeId);
  });

  it('throttles the webhook route below the stage', () => {
    const stage = Object.values(t.findResources('AWS::ApiGatewayV2::Stage'))[0].Properties;
    const route = stage.RouteSettings['POST /webhook/{service}'];
    expect(route).toEqual({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 });
    expect(route.ThrottlingRateLimit).toBeLessThan(stage.DefaultRouteSettings.ThrottlingRateLimit);
  });

  it('runs Node.js 22 on arm64 from a minified esbuild bundle with no CDK inside', () => {
    expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler' });
    const asset = fn.Code.S3Key.replace(/\.zip$/, '');
    const bundle = readFileSync(path.join(app.synth().directory, `asset.${asset}`, 'index.js'), 'utf8');
    // Minified: long lines, no indentation left.
    expect(bundle.length / bundle.split('\n').length).toBeGreaterThan(1000);
    expect(bundle).not.toContain('aws-cdk-lib');
    expect(bundle).toContain('StartPipelineExecution');
  });

  it('tells the function every project: pipeline, webhook secret, repository and branch', () => {
    const projects = JSON.parse(fn.Environment.Variables.WEBHOOK_PROJECTS);
    expect(Object.keys(projects).sort()).toEqual(config.projects.map((p) => p.name).sort());
    for (const p of config.projects) {
      expect(projects[p.name]).toEqual({
        pipelineName: `berth-${p.name}`,
        secretId: `berth/${p.name}/webhook`,
        repository: { project: p.repository.project, name: p.repository.name },
        branch: p.repository.branch,
      });
    }
  });

  it("may start only Berth's pipelines and read only the webhook secrets", () => {
    const role = fn.Role['Fn::GetAtt'][0];
    const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
      p.Properties.Roles.some((r: Props) => r.Ref === role),
    );
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Props[]);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.sort()).toEqual(
      [
        'codepipeline:StartPipelineExecution',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:GetSecretValue',
      ].sort(),
    );
    const resourcesOf = (action: string) =>
      JSON.stringify(statements.filter((s) => [s.Action].flat().includes(action)).map((s) => s.Resource));
    const start = resourcesOf('codepipeline:StartPipelineExecution');
    const secrets = resourcesOf('secretsmanager:GetSecretValue');
    for (const p of config.projects) {
      expect(start).toContain(`:berth-${p.name}"`);
      expect(secrets).toContain(`:secret:berth/${p.name}/webhook-??????`);
    }
    expect(start).not.toMatch(/"\*"|:\*"/);
    expect(secrets).not.toMatch(/"\*"|azure-devops-pat|\/app-/);
    const managed = Object.values(t.findResources('AWS::IAM::Role')).find(
      (r) => r === t.toJSON().Resources[role],
    );
    expect(managed?.Properties.ManagedPolicyArns ?? []).toEqual([]);
  });
});
