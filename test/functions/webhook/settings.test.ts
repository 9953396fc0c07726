import { describe, expect, it } from 'vitest';
import {
  loadSettings,
  loadWebhookEnvironment,
  WEBHOOK_PROJECTS_ENV,
  WEBHOOK_STATE_TABLE_ENV,
} from '../../../src/functions/webhook/settings';
import { PROJECTS } from './helpers';

describe('loadSettings', () => {
  it('reads every project keyed by service', () => {
    const result = loadSettings(JSON.stringify(PROJECTS));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect([...result.projects.keys()]).toEqual(['cash-collection', 'poultry-sale', 'egg-sale']);
    expect(result.projects.get('cash-collection')).toEqual(PROJECTS['cash-collection']);
  });

  it('shortens a refs/heads/ branch, lower-cases a repository id and drops unknown keys', () => {
    const result = loadSettings(
      JSON.stringify({
        svc: {
          pipelineName: 'p',
          secretId: 's',
          repository: { project: 'P', name: 'R', id: '278D5CD2-584D-4B63-824A-2BA458937249' },
          branch: 'refs/heads/release/1.x',
          future: true,
        },
      }),
    );
    expect(result.ok && result.projects.get('svc')).toEqual({
      pipelineName: 'p',
      secretId: 's',
      repository: { project: 'P', name: 'R', id: '278d5cd2-584d-4b63-824a-2ba458937249' },
      branch: 'release/1.x',
    });
  });

  it.each([
    ['unset', undefined, 'not set'],
    ['blank', '  ', 'not set'],
    ['not JSON', '{', 'not valid JSON'],
    ['an array', '[]', 'invalid'],
    [
      'missing the pipeline name',
      '{"a":{"secretId":"s","repository":{"project":"p","name":"n"},"branch":"main"}}',
      'a.pipelineName',
    ],
    [
      'an empty branch',
      '{"a":{"pipelineName":"p","secretId":"s","repository":{"project":"p","name":"n"},"branch":""}}',
      'a.branch',
    ],
    [
      'a branch of only refs/heads/',
      '{"a":{"pipelineName":"p","secretId":"s","repository":{"project":"p","name":"n"},"branch":"refs/heads/"}}',
      'a.branch',
    ],
    [
      'a repository id that is not a GUID',
      '{"a":{"pipelineName":"p","secretId":"s","repository":{"project":"p","name":"n","id":"x"},"branch":"m"}}',
      'a.repository.id',
    ],
    [
      'a pipeline name CodePipeline refuses',
      '{"a":{"pipelineName":"a b","secretId":"s","repository":{"project":"p","name":"n"},"branch":"m"}}',
      'a.pipelineName',
    ],
  ])('returns an error naming the problem when the value is %s', (_what, raw, expected) => {
    const result = loadSettings(raw);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toContain(expected);
    expect(!result.ok && result.error).toContain(WEBHOOK_PROJECTS_ENV);
  });
});

describe('loadWebhookEnvironment', () => {
  const projects = JSON.stringify(PROJECTS);

  it('given both variables, when loaded, then the projects and the push-order table come back', () => {
    const result = loadWebhookEnvironment({
      [WEBHOOK_PROJECTS_ENV]: projects,
      [WEBHOOK_STATE_TABLE_ENV]: 'berth-webhook-state',
    });
    expect(result.ok && result.stateTable).toBe('berth-webhook-state');
    expect(result.ok && result.projects.size).toBe(3);
  });

  it.each([
    ['unset', undefined, 'WEBHOOK_STATE_TABLE is not set'],
    ['not a table name', 'a b', 'WEBHOOK_STATE_TABLE is not a DynamoDB table name'],
  ])('given WEBHOOK_STATE_TABLE %s, when loaded, then the error names it', (_what, table, error) => {
    expect(
      loadWebhookEnvironment({ [WEBHOOK_PROJECTS_ENV]: projects, [WEBHOOK_STATE_TABLE_ENV]: table }),
    ).toEqual({ ok: false, error });
  });
});
