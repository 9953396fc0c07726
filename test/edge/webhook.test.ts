import { beforeAll, describe, expect, it } from 'vitest';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { WEBHOOK_PROJECTS_ENV, WEBHOOK_STATE_TABLE_ENV } from '../../src/contracts';
import { WEBHOOK_CATCH_ALL_ROUTE_KEY, webhookRouteKey } from '../../src/edge/webhook';
import { buildApp, configWith, seedConfig, template } from '../support/app';

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('webhook routes and function', () => {
  const config = seedConfig();
  let t: Template;
  let fn: Props;
  let fnId: string;
  let stage: Props;
  beforeAll(() => {
    t = template(buildApp(config).platform);
    const fns = t.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'berth-webhook' } });
    [fnId] = Object.keys(fns);
    fn = fns[fnId].Properties;
    stage = Object.values(t.findResources('AWS::ApiGatewayV2::Stage'))[0];
  });

  it('given two projects, when synthesized, then each has its own POST /webhook/<project> route to the function, plus one catch-all', () => {
    const keys = Object.values(t.findResources('AWS::ApiGatewayV2::Route'))
      .map((r) => r.Properties.RouteKey as string)
      .filter((k) => k.startsWith('POST /webhook/'))
      .sort();
    expect(keys).toEqual(
      [...config.projects.map((p) => webhookRouteKey(p.name)), WEBHOOK_CATCH_ALL_ROUTE_KEY].sort(),
    );
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

  it("given a flood at one project's webhook, when API Gateway throttles, then each route has its own budget below the stage's and unknown names share a tiny one", () => {
    const settings = stage.Properties.RouteSettings as Record<
      string,
      { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }
    >;
    for (const p of config.projects) {
      expect(settings[webhookRouteKey(p.name)]).toEqual({
        ThrottlingRateLimit: config.api.webhookThrottle.rateLimit,
        ThrottlingBurstLimit: config.api.webhookThrottle.burstLimit,
      });
    }
    expect(config.api.webhookThrottle.rateLimit).toBeLessThan(
      stage.Properties.DefaultRouteSettings.ThrottlingRateLimit,
    );
    expect(settings[WEBHOOK_CATCH_ALL_ROUTE_KEY]).toEqual({
      ThrottlingRateLimit: 1,
      ThrottlingBurstLimit: 5,
    });
  });

  it('given route settings that name routes, when the stage is created, then every webhook route exists first', () => {
    const routeIds = Object.entries(t.findResources('AWS::ApiGatewayV2::Route'))
      .filter(([, r]) => (r.Properties.RouteKey as string).startsWith('POST /webhook/'))
      .map(([id]) => id);
    expect(routeIds).toHaveLength(config.projects.length + 1);
    expect(stage.DependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it('given a custom webhook throttle in berth.yaml, when synthesized, then every project route uses it', () => {
    const custom = template(
      buildApp(
        configWith((raw) => {
          (raw.api as Props).webhookThrottle = { rateLimit: 3, burstLimit: 7 };
        }),
      ).platform,
    );
    const settings = Object.values(custom.findResources('AWS::ApiGatewayV2::Stage'))[0].Properties
      .RouteSettings;
    expect(settings[webhookRouteKey('cash-collection')]).toEqual({
      ThrottlingRateLimit: 3,
      ThrottlingBurstLimit: 7,
    });
  });

  it('runs Node.js 22 on arm64 with a thin handler', () => {
    expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler' });
  });

  it('given every project, when the function starts, then it knows each pipeline, webhook secret, repository and branch, and its state table', () => {
    const projects = JSON.parse(fn.Environment.Variables[WEBHOOK_PROJECTS_ENV]);
    expect(Object.keys(projects).sort()).toEqual(config.projects.map((p) => p.name).sort());
    for (const p of config.projects) {
      expect(projects[p.name]).toEqual({
        pipelineName: `berth-${p.name}`,
        secretId: `berth/${p.name}/webhook`,
        repository: { project: p.repository.project, name: p.repository.name },
        branch: p.repository.branch,
      });
    }
    const [tableId] = Object.keys(t.findResources('AWS::DynamoDB::GlobalTable'));
    expect(fn.Environment.Variables[WEBHOOK_STATE_TABLE_ENV]).toEqual({ Ref: tableId });
  });

  it('given the push-order table, when synthesized, then it is keyed by a string, on demand, encrypted and point-in-time recoverable', () => {
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'berth-webhook-state',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: Match.objectLike({ SSEEnabled: true }),
      Replicas: [
        Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      ],
    });
  });

  it("given its role, when listed, then it may start only Berth's pipelines, read only the webhook secrets and update only its table", () => {
    const role = fn.Role['Fn::GetAtt'][0];
    const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
      p.Properties.Roles.some((r: Props) => r.Ref === role),
    );
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Props[]);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.sort()).toEqual(
      [
        'codepipeline:StartPipelineExecution',
        'dynamodb:UpdateItem',
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
    const [tableId] = Object.keys(t.findResources('AWS::DynamoDB::GlobalTable'));
    expect(resourcesOf('dynamodb:UpdateItem')).toBe(JSON.stringify([{ 'Fn::GetAtt': [tableId, 'Arn'] }]));
    expect(t.toJSON().Resources[role].Properties.ManagedPolicyArns ?? []).toEqual([]);
  });
});
