import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import { buildApp, seedConfig, template } from '../support/app';

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('pipeline-events function (failure notifications and commit statuses)', () => {
  const config = seedConfig();
  let t: Template;
  let fn: Props;
  let statements: Props[];
  beforeAll(() => {
    t = template(buildApp(config).platform);
    fn = Object.values(
      t.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'berth-pipeline-events' } }),
    )[0].Properties;
    const role = fn.Role['Fn::GetAtt'][0];
    statements = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p) => p.Properties.Roles.some((r: Props) => r.Ref === role))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Props[]);
  });

  it('runs Node.js 22 on arm64 with the pipelines, the Azure DevOps URL and the topic in its environment', () => {
    expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Timeout: 30 });
    const pipelines = JSON.parse(fn.Environment.Variables.PIPELINE_EVENTS_PIPELINES);
    expect(Object.keys(pipelines).sort()).toEqual(config.projects.map((p) => `berth-${p.name}`).sort());
    for (const p of config.projects) {
      expect(pipelines[`berth-${p.name}`]).toEqual({
        project: p.name,
        branch: p.repository.branch,
        repository: { project: p.repository.project, name: p.repository.name },
        patSecretId: `berth/${p.name}/azure-devops-pat`,
        webhookSecretId: `berth/${p.name}/webhook`,
      });
    }
    expect(fn.Environment.Variables.AZURE_DEVOPS_URL).toBe('https://dev.azure.com/my-org');
    expect(fn.Environment.Variables.ALARM_TOPIC_ARN).toEqual({ Ref: expect.stringMatching(/^AlarmsTopic/) });
  });

  it("may read only Berth pipelines' executions, the projects' PATs and webhook secrets, and publish only to the alarm topic", () => {
    const byAction = (a: string) =>
      JSON.stringify(statements.filter((s) => [s.Action].flat().includes(a)).map((s) => s.Resource));
    for (const p of config.projects) {
      expect(byAction('codepipeline:GetPipelineExecution')).toContain(`:berth-${p.name}"`);
      expect(byAction('codepipeline:ListActionExecutions')).toContain(`:berth-${p.name}"`);
      expect(byAction('secretsmanager:GetSecretValue')).toContain(
        `:secret:berth/${p.name}/azure-devops-pat-??????`,
      );
    }
    expect(byAction('secretsmanager:GetSecretValue')).not.toMatch(/\/app-|\/alerts\/|"\*"/);
    expect(byAction('sns:Publish')).toMatch(/AlarmsTopic/);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.every((a: string) => !a.endsWith(':*'))).toBe(true);
  });

  it("receives every execution state change of Berth's pipelines only, with retries and a dead-letter queue", () => {
    const rules = Object.values(t.findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(1);
    const rule = rules[0].Properties;
    expect(rule.EventPattern).toEqual({
      source: ['aws.codepipeline'],
      'detail-type': ['CodePipeline Pipeline Execution State Change'],
      detail: { pipeline: config.projects.map((p) => `berth-${p.name}`) },
    });
    expect(rule.Targets[0]).toMatchObject({
      RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 },
      DeadLetterConfig: { Arn: expect.anything() },
    });
    t.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    const queue = rule.Targets[0].DeadLetterConfig.Arn;
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: queue } },
    });
  });
});
