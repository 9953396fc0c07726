import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  basicAuthorization,
  commitStatusBody,
  commitStatusFor,
  commitStatusUrl,
  DEFAULT_RETRY_POLICY,
  DESCRIPTION_MAX_LENGTH,
  parseRetryAfter,
} from '../../../src/functions/pipeline-events/commit-status';
import { consoleExecutionUrl } from '../../../src/functions/pipeline-events/console-url';
import { parsePipelineEvent, PIPELINE_EXECUTION_STATES } from '../../../src/functions/pipeline-events/event';
import { factsOf, findFailedAction } from '../../../src/functions/pipeline-events/execution';
import { PIPELINE_EVENTS_METRICS, PROJECT_DIMENSION } from '../../../src/functions/pipeline-events/metrics';
import {
  failureSubject,
  formatFailureNotification,
  SUBJECT_MAX_LENGTH,
} from '../../../src/functions/pipeline-events/notification';
import { parsePatSecret, PatSecretError } from '../../../src/functions/pipeline-events/pat';
import {
  parsePipelineEventsSettings,
  PIPELINE_EVENTS_ENV,
  pipelineEventsEnvironment,
} from '../../../src/functions/pipeline-events/settings';
import {
  ACCOUNT,
  COMMIT,
  CONSOLE_LINK,
  EXECUTION_ID,
  PAT,
  PIPELINE,
  PROJECT,
  REGION,
  scanFailedActions,
  settingsFor,
  stateChange,
  TOPIC_ARN,
} from './fixtures';

const change = {
  pipeline: PIPELINE,
  executionId: EXECUTION_ID,
  state: 'FAILED' as const,
  region: REGION,
  account: ACCOUNT,
  time: '2025-06-02T09:30:00Z',
};
const scanFailure = { stage: 'Scan', action: 'ImageScan', summary: '3 CRITICAL vulnerabilities found' };

describe('console link', () => {
  it('given a region, pipeline and execution, when linked, then it opens the execution timeline in that region', () => {
    expect(consoleExecutionUrl(REGION, PIPELINE, EXECUTION_ID)).toBe(
      'https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/berth-cash-collection' +
        '/executions/3137f7cb-7cf7-4c31-9f4e-1d5b1a2f3c4d/timeline?region=eu-west-1',
    );
  });
});

describe('execution state to Azure DevOps commit status', () => {
  it.each([
    ['STARTED', 'pending'],
    ['RESUMED', 'pending'],
    ['SUCCEEDED', 'succeeded'],
    ['FAILED', 'failed'],
    ['STOPPED', 'error'],
    ['CANCELED', 'error'],
    ['SUPERSEDED', 'notApplicable'],
  ] as const)('given %s, when mapped, then the status state is %s', (state, expected) => {
    expect(commitStatusFor(state, PIPELINE)?.state).toBe(expected);
  });

  it('given STOPPING, when mapped, then no status is posted (the STOPPED that follows posts one)', () => {
    expect(commitStatusFor('STOPPING', PIPELINE)).toBeUndefined();
  });

  it('given STOPPED or CANCELED, when mapped, then the description says the execution stopped', () => {
    expect(commitStatusFor('STOPPED', PIPELINE)?.description).toMatch(/stopped/);
    expect(commitStatusFor('CANCELED', PIPELINE)?.description).toMatch(/stopped/);
  });

  it('given FAILED with the failed action, when mapped, then the description names the stage, action and cause', () => {
    const status = commitStatusFor('FAILED', PIPELINE, scanFailure);
    expect(status?.description).toBe(
      'Pipeline berth-cash-collection failed at stage Scan (action ImageScan): 3 CRITICAL vulnerabilities found',
    );
  });

  it('given FAILED without a known action, when mapped, then the status is still failed', () => {
    expect(commitStatusFor('FAILED', PIPELINE)).toEqual({
      state: 'failed',
      description: 'Pipeline berth-cash-collection failed',
    });
  });

  it('given any stage name and failure summary, when mapped, then the description is one line of at most 256 characters', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.string({ maxLength: 2000 }), (stage, summary) => {
        const d = commitStatusFor('FAILED', PIPELINE, { stage, action: 'a', summary })?.description ?? '';
        expect(d.length).toBeLessThanOrEqual(DESCRIPTION_MAX_LENGTH);
        expect(d).not.toMatch(/[\r\n]/);
      }),
    );
  });

  it('given a status, when the body is built, then it carries state, description, target URL and the berth context', () => {
    const body = commitStatusBody({ state: 'pending', description: 'd' }, CONSOLE_LINK, PROJECT);
    expect(body).toEqual({
      state: 'pending',
      description: 'd',
      targetUrl: CONSOLE_LINK,
      context: { name: 'cash-collection', genre: 'berth' },
    });
  });

  it('given names with spaces and a trailing slash on the base URL, when the URL is built, then segments are encoded once', () => {
    expect(
      commitStatusUrl(
        'https://ado.example.com/tfs/Coll/',
        { project: 'Farm Sales', name: 'poultry sale' },
        COMMIT,
      ),
    ).toBe(
      `https://ado.example.com/tfs/Coll/Farm%20Sales/_apis/git/repositories/poultry%20sale/commits/${COMMIT}/statuses?api-version=7.1`,
    );
  });

  it('given an 84-character PAT, when encoded, then the header is Basic base64(":" + PAT) on one line', () => {
    const header = basicAuthorization(PAT);
    expect(header).toBe(`Basic ${Buffer.from(`:${PAT}`).toString('base64')}`);
    expect(header).not.toMatch(/\s.*\s/);
  });
});

describe('retry timing', () => {
  it('given successive attempts, when backing off, then delays grow exponentially within the jitter band and the cap', () => {
    const p = DEFAULT_RETRY_POLICY;
    expect(backoffDelay(1, p, () => 0)).toBe(250);
    expect(backoffDelay(1, p, () => 0.999999)).toBe(500);
    expect(backoffDelay(2, p, () => 0)).toBe(500);
    expect(backoffDelay(10, p, () => 0.999999)).toBe(p.maxDelayMs);
  });

  it('given Retry-After in seconds or as a date, when parsed, then it is milliseconds to wait', () => {
    const now = Date.parse('2025-06-02T09:30:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('Mon, 02 Jun 2025 09:30:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('failure notification', () => {
  const lookup = {
    facts: { commit: COMMIT, branch: 'main', repository: 'cash-collection' },
    failedAction: { ...scanFailure, url: 'https://codebuild.example/build/1' },
  };

  it('given a failed scan, when formatted, then the subject names the project and the stage', () => {
    const { subject } = formatFailureNotification({ project: PROJECT, change, lookup });
    expect(subject).toBe('Berth: cash-collection pipeline failed at Scan');
  });

  it('given a failed scan, when formatted, then the message holds project, pipeline, stage, action, commit, branch, cause and the console link', () => {
    const { message } = formatFailureNotification({ project: PROJECT, change, lookup });
    expect(message).toContain('Project:    cash-collection');
    expect(message).toContain('Pipeline:   berth-cash-collection');
    expect(message).toContain('Stage:      Scan');
    expect(message).toContain('Action:     ImageScan');
    expect(message).toContain(`Commit:     9fceb02 (${COMMIT})`);
    expect(message).toContain('Branch:     main');
    expect(message).toContain('3 CRITICAL vulnerabilities found');
    expect(message).toContain('Action details: https://codebuild.example/build/1');
    expect(message).toContain(`\n${CONSOLE_LINK}\n`);
  });

  it('given the lookups failed, when formatted, then the message still names the project, says what is unknown and links the execution', () => {
    const { subject, message } = formatFailureNotification({
      project: PROJECT,
      change,
      lookup: {
        factsError: 'AccessDeniedException: no',
        failedActionError: 'ThrottlingException: slow down',
      },
    });
    expect(subject).toBe('Berth: cash-collection pipeline failed');
    expect(message).toContain('Project:    cash-collection');
    expect(message).toContain('Commit:     unknown');
    expect(message).toContain('- execution: AccessDeniedException: no');
    expect(message).toContain(CONSOLE_LINK);
  });

  it('given an execution started by hand, when formatted, then the commit line says no commit was pinned', () => {
    const { message } = formatFailureNotification({ project: PROJECT, change, lookup: { facts: {} } });
    expect(message).toContain('Commit:     none (the execution was not started by a push)');
  });

  it('given any project and stage names, when the subject is made, then it is printable ASCII of at most 100 characters', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), fc.string({ maxLength: 300 }), (project, stage) => {
        const subject = failureSubject(project, stage);
        expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX_LENGTH);
        expect(subject.length).toBeGreaterThan(0);
        expect(subject).toMatch(/^[\x20-\x7e]+$/);
      }),
    );
  });

  it('given a long stage name, when the subject is made, then it is cut to 100 characters and still names the project', () => {
    const subject = failureSubject(PROJECT, 'Deploy'.repeat(40));
    expect(subject).toHaveLength(100);
    expect(subject.startsWith('Berth: cash-collection pipeline failed at Deploy')).toBe(true);
  });
});

describe('execution lookups', () => {
  it('given the webhook variables, when read, then commit, branch and repository come out', () => {
    expect(
      factsOf(pipelineExecutionLike({ COMMIT_ID: COMMIT, BRANCH: 'main', REPOSITORY: 'r' })),
    ).toMatchObject({
      commit: COMMIT,
      branch: 'main',
      repository: 'r',
    });
  });

  it('given no variables, when read, then there is no commit', () => {
    expect(factsOf(pipelineExecutionLike({})).commit).toBeUndefined();
  });

  it('given action executions, when searched, then the failed one comes out with its summary, error and URL', () => {
    expect(findFailedAction(scanFailedActions().actionExecutionDetails)).toEqual({
      stage: 'Scan',
      action: 'ImageScan',
      summary: 'Build terminated with state: FAILED\n3 CRITICAL vulnerabilities found in the image',
      url: 'https://console.aws.amazon.com/codebuild/home#/builds/x/view/new',
    });
  });

  it('given a stage that failed, was retried and failed again elsewhere, when searched, then the latest failure wins', () => {
    const old = {
      stageName: 'Test',
      actionName: 'Unit',
      status: 'Failed' as const,
      lastUpdateTime: new Date(1000),
    };
    const latest = {
      stageName: 'Deploy',
      actionName: 'Ecs',
      status: 'Failed' as const,
      lastUpdateTime: new Date(9000),
    };
    expect(findFailedAction([old, latest])?.stage).toBe('Deploy');
    expect(findFailedAction([latest, old])?.stage).toBe('Deploy');
  });

  it('given no failed action, when searched, then nothing comes out', () => {
    expect(findFailedAction([{ stageName: 'Source', status: 'Succeeded' }])).toBeUndefined();
  });
});

function pipelineExecutionLike(vars: Record<string, string>) {
  return { variables: Object.entries(vars).map(([name, resolvedValue]) => ({ name, resolvedValue })) };
}

describe('PAT secret value', () => {
  it('given {"pat": "..."}, when parsed, then the trimmed PAT comes out', () => {
    expect(parsePatSecret(JSON.stringify({ pat: ` ${PAT}\n` }))).toBe(PAT);
  });

  it('given the empty placeholder, when parsed, then the PAT is empty', () => {
    expect(parsePatSecret('{"pat": ""}')).toBe('');
  });

  it('given a value that is not JSON, when parsed, then the error does not quote the value', () => {
    expect(() => parsePatSecret(PAT)).toThrow(PatSecretError);
    try {
      parsePatSecret(PAT);
    } catch (err) {
      expect(String((err as Error).message)).not.toContain(PAT.slice(0, 10));
    }
  });
});

describe('pipeline events', () => {
  it('given a CodePipeline execution state change, when parsed, then pipeline, execution, state, region and account come out', () => {
    expect(parsePipelineEvent(stateChange('FAILED'))).toEqual({ ok: true, change });
  });

  it.each(PIPELINE_EXECUTION_STATES)('given state %s, when parsed, then it is accepted', (state) => {
    expect(parsePipelineEvent(stateChange(state)).ok).toBe(true);
  });

  it('given another event type or an unknown state, when parsed, then it is rejected with a reason', () => {
    const other = { ...stateChange('FAILED'), 'detail-type': 'CodePipeline Stage Execution State Change' };
    expect(parsePipelineEvent(other).ok).toBe(false);
    const odd = stateChange('FAILED');
    expect(parsePipelineEvent({ ...odd, detail: { ...odd.detail, state: 'EXPLODED' } })).toMatchObject({
      ok: false,
    });
    expect(parsePipelineEvent(undefined).ok).toBe(false);
  });
});

describe('settings', () => {
  const env = pipelineEventsEnvironment(settingsFor('https://dev.azure.com/my-org'));

  it('given the environment the CDK side sets, when parsed, then the same settings come back', () => {
    expect(parsePipelineEventsSettings(env)).toEqual(settingsFor('https://dev.azure.com/my-org'));
  });

  it('given a base URL with a trailing slash, when parsed, then the slash is dropped', () => {
    const s = parsePipelineEventsSettings({
      ...env,
      [PIPELINE_EVENTS_ENV.azureDevOpsUrl]: 'https://ado.example.com/tfs/Coll/',
    });
    expect(s.azureDevOpsUrl).toBe('https://ado.example.com/tfs/Coll');
  });

  it.each([
    [PIPELINE_EVENTS_ENV.pipelines, undefined, /PIPELINE_EVENTS_PIPELINES is not set/],
    [PIPELINE_EVENTS_ENV.pipelines, '{', /not valid JSON/],
    [PIPELINE_EVENTS_ENV.pipelines, '{"p":{"project":"x"}}', /PIPELINE_EVENTS_PIPELINES: p\.repository/],
    [PIPELINE_EVENTS_ENV.azureDevOpsUrl, 'dev.azure.com/x', /AZURE_DEVOPS_URL/],
    [PIPELINE_EVENTS_ENV.topicArn, 'berth-alarms', /ALARM_TOPIC_ARN/],
  ])('given %s = %s, when parsed, then the error names the variable', (name, value, message) => {
    expect(() => parsePipelineEventsSettings({ ...env, [name]: value })).toThrow(message);
  });

  it('given the settings, when turned into environment variables, then the documented names are used', () => {
    expect(Object.keys(env).sort()).toEqual([
      'ALARM_TOPIC_ARN',
      'AZURE_DEVOPS_URL',
      'PIPELINE_EVENTS_PIPELINES',
    ]);
    expect(env.ALARM_TOPIC_ARN).toBe(TOPIC_ARN);
  });
});

describe('metric names', () => {
  it('given the dashboard imports them, when read, then the names and the dimension are stable', () => {
    expect(PIPELINE_EVENTS_METRICS).toEqual({
      pipelineSucceeded: 'PipelineSucceeded',
      pipelineFailed: 'PipelineFailed',
      commitStatusPosted: 'CommitStatusPosted',
      commitStatusFailed: 'CommitStatusFailed',
      commitStatusSkipped: 'CommitStatusSkipped',
    });
    expect(PROJECT_DIMENSION).toBe('Project');
  });
});
