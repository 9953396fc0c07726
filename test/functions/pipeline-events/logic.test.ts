import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  commitStatusBody,
  commitStatusFor,
  DESCRIPTION_MAX_LENGTH,
} from '../../../src/functions/pipeline-events/commit-status';
import { consoleExecutionUrl } from '../../../src/functions/pipeline-events/console-url';
import { parsePipelineEvent, PIPELINE_EXECUTION_STATES } from '../../../src/functions/pipeline-events/event';
import { factsOf, findFailedAction } from '../../../src/shared/pipeline-execution';
import { PIPELINE_EVENTS_METRICS, PROJECT_DIMENSION } from '../../../src/functions/pipeline-events/metrics';
import {
  failureSubject,
  formatFailureNotification,
  SUBJECT_MAX_LENGTH,
} from '../../../src/functions/pipeline-events/notification';
import {
  parsePatSecret,
  parseRepositoryId,
  PatSecretError,
} from '../../../src/functions/pipeline-events/secrets';
import {
  parsePipelineEventsSettings,
  PIPELINE_EVENTS_ENV,
  pipelineEventsEnvironment,
} from '../../../src/functions/pipeline-events/settings';
import {
  backoffDelay,
  basicAuthorization,
  CONNECT_PAT_SCOPES,
  DEFAULT_RETRY_POLICY,
  isVersionRefusal,
  listScopes,
  parseRetryAfter,
  PIPELINE_PAT_SCOPES,
} from '../../../src/shared/azure-devops';
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

  it.each([
    ['STARTED', 'Rollback to 9fceb02 by pipeline berth-cash-collection started'],
    [
      'SUCCEEDED',
      'Rollback to 9fceb02 by pipeline berth-cash-collection succeeded: this commit is deployed again',
    ],
    ['STOPPED', 'Rollback to 9fceb02 by pipeline berth-cash-collection was stopped'],
  ] as const)(
    'given a rollback and %s, when mapped, then the description says it is a rollback to that commit',
    (state, text) => {
      expect(
        commitStatusFor(state, PIPELINE, undefined, { mode: 'rollback', commit: COMMIT })?.description,
      ).toBe(text);
    },
  );

  it('given a redeploy that succeeded, when mapped, then the description says new tasks run the commit', () => {
    expect(commitStatusFor('SUCCEEDED', PIPELINE, undefined, { mode: 'redeploy', commit: COMMIT })).toEqual({
      state: 'succeeded',
      description:
        'Redeploy of 9fceb02 by pipeline berth-cash-collection succeeded: new tasks run this commit',
    });
  });

  it('given a release, when mapped, then the description is the plain pipeline one', () => {
    expect(
      commitStatusFor('STARTED', PIPELINE, undefined, { mode: 'release', commit: COMMIT })?.description,
    ).toBe('Pipeline berth-cash-collection is building and deploying this commit');
  });

  it('given an 84-character PAT, when encoded, then the header is Basic base64(":" + PAT) on one line', () => {
    const header = basicAuthorization(PAT);
    expect(header).toBe(`Basic ${Buffer.from(`:${PAT}`).toString('base64')}`);
    expect(header).not.toMatch(/\s.*\s/);
  });
});

describe('PAT scopes and version refusals', () => {
  it('given the scope lists, when written out, then each names what its PAT needs', () => {
    expect(listScopes(PIPELINE_PAT_SCOPES)).toBe('Code (Read) and Code (Status)');
    expect(listScopes(CONNECT_PAT_SCOPES)).toBe(
      'Project and Team (Read), Code (Read) and Service Hooks (Read, query & manage)',
    );
  });

  it.each([
    [undefined, 'VssVersionOutOfRangeException', true],
    ['The requested REST API version of 7.1 is out of range for this server.', undefined, true],
    ['TF400813: The user is not authorized to access this resource.', 'UnauthorizedRequestException', false],
    ['Value cannot be null. Parameter name: url', undefined, false],
  ])(
    'given a 400 saying %s (%s), when classified, then a version refusal is %s',
    (message, typeKey, expected) => {
      expect(isVersionRefusal(message, typeKey)).toBe(expected);
    },
  );
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
    facts: { commit: COMMIT, mode: 'release' as const },
    failedAction: { ...scanFailure, url: 'https://codebuild.example/build/1' },
  };
  const where = {
    project: PROJECT,
    branch: 'main',
    repository: { project: 'Finance', name: 'cash-collection' },
  };

  it('given a failed scan, when formatted, then the subject names the project and the stage', () => {
    const { subject } = formatFailureNotification({ ...where, change, lookup });
    expect(subject).toBe('Berth: cash-collection pipeline failed at Scan');
  });

  it('given a failed scan, when formatted, then the message holds project, pipeline, stage, action, commit, branch, cause and the console link', () => {
    const { message } = formatFailureNotification({ ...where, change, lookup });
    expect(message).toContain('Project:    cash-collection');
    expect(message).toContain('Pipeline:   berth-cash-collection');
    expect(message).toContain('Stage:      Scan');
    expect(message).toContain('Action:     ImageScan');
    expect(message).toContain(`Commit:     9fceb02 (${COMMIT})`);
    expect(message).toContain('Branch:     main');
    expect(message).toContain('Repository: Finance/cash-collection');
    expect(message).not.toContain('Mode:');
    expect(message).toContain('3 CRITICAL vulnerabilities found');
    expect(message).toContain('Action details: https://codebuild.example/build/1');
    expect(message).toContain(`\n${CONSOLE_LINK}\n`);
  });

  it('given the lookups failed, when formatted, then the message still names the project, says what is unknown and links the execution', () => {
    const { subject, message } = formatFailureNotification({
      ...where,
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

  it('given a rollback, when formatted, then the subject, the first line and a Mode row say so', () => {
    const { subject, message } = formatFailureNotification({
      ...where,
      change,
      lookup: { ...lookup, facts: { commit: COMMIT, mode: 'rollback' } },
    });
    expect(subject).toBe('Berth: cash-collection rollback failed at Scan');
    expect(message.split('\n')[0]).toBe(
      'Rollback to 9fceb02 by pipeline berth-cash-collection (project cash-collection) failed at stage Scan.',
    );
    expect(message).toContain('Mode:       rollback');
  });

  it('given an execution started by hand, when formatted, then the commit line says no commit was pinned', () => {
    const { message } = formatFailureNotification({ ...where, change, lookup: { facts: {} } });
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
  it('given the webhook variables, when read, then the commit and the release mode come out', () => {
    expect(factsOf(pipelineExecutionLike({ COMMIT_ID: COMMIT, RELEASE_MODE: 'rollback' }))).toMatchObject({
      commit: COMMIT,
      mode: 'rollback',
    });
  });

  it('given COMMIT_ID "none" or an unknown RELEASE_MODE, when read, then neither comes out', () => {
    const facts = factsOf(pipelineExecutionLike({ COMMIT_ID: 'none', RELEASE_MODE: 'sideways' }));
    expect(facts.commit).toBeUndefined();
    expect(facts.mode).toBeUndefined();
  });

  it('given an execution started before this version (BRANCH and REPOSITORY variables), when read, then they still show', () => {
    expect(
      factsOf(pipelineExecutionLike({ COMMIT_ID: COMMIT, BRANCH: 'main', REPOSITORY: 'r' })),
    ).toMatchObject({
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

  it('given a webhook secret, when its repository id is read, then a GUID comes out lower-case and anything else is none', () => {
    expect(
      parseRepositoryId(
        '{"username":"u","password":"p","repositoryId":"0F1E2D3C-4B5A-4697-8877-665544332211"}',
      ),
    ).toBe('0f1e2d3c-4b5a-4697-8877-665544332211');
    expect(parseRepositoryId('{"username":"u","password":"p"}')).toBeUndefined();
    expect(parseRepositoryId('{"repositoryId":"cash"}')).toBeUndefined();
    expect(parseRepositoryId('not json')).toBeUndefined();
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
    [PIPELINE_EVENTS_ENV.pipelines, '{"p":{"project":"x"}}', /PIPELINE_EVENTS_PIPELINES: .*p\.repository/],
    [PIPELINE_EVENTS_ENV.azureDevOpsUrl, 'dev.azure.com/x', /AZURE_DEVOPS_URL/],
    [PIPELINE_EVENTS_ENV.topicArn, 'berth-alarms', /ALARM_TOPIC_ARN/],
    [PIPELINE_EVENTS_ENV.azureDevOpsApiVersion, '5.1', /AZURE_DEVOPS_API_VERSION: one of 6.0, 7.0, 7.1/],
    [
      PIPELINE_EVENTS_ENV.pipelines,
      '{"p":{"project":"x","branch":"main","repository":{"project":"a","name":"b"},"patSecretId":"s"}}',
      /PIPELINE_EVENTS_PIPELINES: p\.webhookSecretId/,
    ],
  ])('given %s = %s, when parsed, then the error names the variable', (name, value, message) => {
    expect(() => parsePipelineEventsSettings({ ...env, [name]: value })).toThrow(message);
  });

  it('given the settings, when turned into environment variables, then the documented names are used', () => {
    expect(Object.keys(env).sort()).toEqual([
      'ALARM_TOPIC_ARN',
      'AZURE_DEVOPS_API_VERSION',
      'AZURE_DEVOPS_URL',
      'PIPELINE_EVENTS_PIPELINES',
    ]);
    expect(env.ALARM_TOPIC_ARN).toBe(TOPIC_ARN);
  });

  it('given no AZURE_DEVOPS_API_VERSION, when parsed, then the version is 7.0', () => {
    const { AZURE_DEVOPS_API_VERSION: _unset, ...rest } = env;
    expect(parsePipelineEventsSettings(rest).azureDevOpsApiVersion).toBe('7.0');
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
