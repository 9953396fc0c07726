import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import { projectNames } from '../../src/config/names';
import type { ParsedConfig } from '../../src/config/schema';
import { buildApp, configWith, seedConfig, template, seedApp } from '../support/app';

/** The only EventBridge rule of the platform stack that listens to CodePipeline. */
function pipelineRule(t: Template) {
  const rules = Object.values(t.findResources('AWS::Events::Rule')).filter((r) =>
    (r.Properties.EventPattern?.source ?? []).includes('aws.codepipeline'),
  );
  expect(rules).toHaveLength(1);
  return rules[0].Properties;
}

const pipelineNames = (config: ParsedConfig) => config.projects.map((p) => projectNames(config, p).pipeline);

describe('pipeline events rule', () => {
  let t: Template;
  beforeAll(() => {
    t = template(seedApp().platform);
  });

  it("matches execution state changes of exactly Berth's pipelines, nothing else", () => {
    expect(pipelineRule(t).EventPattern).toEqual({
      source: ['aws.codepipeline'],
      'detail-type': ['CodePipeline Pipeline Execution State Change'],
      detail: { pipeline: pipelineNames(seedConfig()) },
    });
  });

  it('does not narrow to FAILED: the same rule drives commit statuses on STARTED and SUCCEEDED', () => {
    expect(pipelineRule(t).EventPattern.detail.state).toBeUndefined();
  });

  it('targets the pipeline-events function, with retries and a dead-letter queue', () => {
    const [target] = pipelineRule(t).Targets;
    expect(target.Arn['Fn::GetAtt'][0]).toMatch(/^PipelineEventsHandler/);
    expect(target.DeadLetterConfig.Arn['Fn::GetAtt'][0]).toMatch(/^PipelineEventsDeadLetters/);
    expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
  });

  it('follows the config: a new project adds its pipeline and only it', () => {
    const config = configWith((raw) => {
      (raw.projects as unknown[]).push({
        name: 'ledger',
        path: '/api/ledger',
        priority: 30,
        repository: { project: 'Finance', name: 'ledger' },
      });
    });
    const pattern = pipelineRule(template(buildApp(config).platform)).EventPattern;
    expect(pattern.detail.pipeline).toEqual(pipelineNames(config));
    expect(pattern.detail.pipeline).toContain('berth-ledger');
  });
});
