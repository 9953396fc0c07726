import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import {
  CodePipelineClient,
  GetPipelineExecutionCommand,
  ListActionExecutionsCommand,
} from '@aws-sdk/client-codepipeline';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PipelineEventsMetricName } from '../../../src/contracts';
import {
  createPipelineEventsHandler,
  type PipelineEventsDeps,
} from '../../../src/functions/pipeline-events/handler';
import { powertoolsSecrets } from '../../../src/functions/pipeline-events/secrets';
import type { PipelineEventsSettings } from '../../../src/functions/pipeline-events/settings';
import type { Log } from '../../../src/functions/pipeline-events/telemetry';
import { FakeAzureDevOps } from '../../support/fake-azure-devops';
import {
  ADO_WORLD,
  COMMIT,
  CONSOLE_LINK,
  EXECUTION_ID,
  PAT,
  PAT_SECRET_ID,
  PIPELINE,
  pipelineExecution,
  REPO_ID,
  scanFailedActions,
  secretValues,
  settingsFor,
  stateChange,
  TOPIC_ARN,
  WEBHOOK_SECRET_ID,
} from './fixtures';

let ado: FakeAzureDevOps;
const codePipeline = mockClient(CodePipelineClient);
const secrets = mockClient(SecretsManagerClient);
const sns = mockClient(SNSClient);
/** By GUID: no project segment (a renamed Azure DevOps project does not matter). */
const STATUS_PATH = `/_apis/git/repositories/${REPO_ID}/commits/${COMMIT}/statuses`;
const AUTHORIZATION = `Basic ${Buffer.from(`:${PAT}`).toString('base64')}`;

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly attributes: Record<string, unknown>[];
}

/** Secrets Manager answers from these values (by SecretId), counting reads. */
function useSecrets(values: Record<string, string>): void {
  secrets.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
    const value = values[input.SecretId];
    if (value === undefined) {
      throw Object.assign(new Error("Secrets Manager can't find the specified secret."), {
        name: 'ResourceNotFoundException',
      });
    }
    return { SecretString: value };
  });
}

/** One test's world: recorded logs, metrics and sleeps around a handler wired to the fakes. */
function world(overrides: Partial<PipelineEventsDeps> & { settings?: PipelineEventsSettings } = {}) {
  const logs: LogLine[] = [];
  const counts: [PipelineEventsMetricName, string][] = [];
  const sleeps: number[] = [];
  const at =
    (level: string) =>
    (message: string, ...attributes: Record<string, unknown>[]) =>
      logs.push({ level, message, attributes });
  const logger: Log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  const handle = createPipelineEventsHandler({
    settings: settingsFor(ado.baseUrl),
    codePipeline: new CodePipelineClient({ region: 'eu-west-1' }),
    sns: new SNSClient({ region: 'eu-west-1' }),
    secrets: powertoolsSecrets(
      new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({ region: 'eu-west-1' }) }),
    ),
    logger,
    metrics: { count: (name, project) => counts.push([name, project]) },
    fetch: (input, init) => fetch(input, init),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    now: Date.now,
    retry: { attemptTimeoutMs: 500 },
    ...overrides,
  });
  const logText = () => JSON.stringify(logs);
  const levels = (level: string) => logs.filter((l) => l.level === level).map((l) => l.message);
  return { handle, logs, counts, sleeps, logText, levels };
}

const postedBodies = () => ado.requests.map((r) => r.body as Record<string, unknown>);

beforeAll(async () => {
  ado = await FakeAzureDevOps.start(ADO_WORLD);
});
afterAll(() => ado.close());
beforeEach(() => {
  ado.reset();
  ado.flavor = 'services';
  codePipeline.reset();
  secrets.reset();
  sns.reset();
  codePipeline.on(GetPipelineExecutionCommand).resolves(pipelineExecution());
  codePipeline.on(ListActionExecutionsCommand).resolves(scanFailedActions());
  useSecrets(secretValues());
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});
afterEach(() => vi.useRealTimers());

describe('commit status per execution state', () => {
  it('given an execution started by the webhook, when STARTED arrives, then a pending status is posted on the pinned commit', async () => {
    const w = world();

    const result = await w.handle(stateChange('STARTED'));

    expect(result).toEqual({
      outcome: 'handled',
      notification: 'not-needed',
      commitStatus: { outcome: 'posted', attempts: 1 },
    });
    expect(ado.requests).toHaveLength(1);
    const [req] = ado.requests;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(STATUS_PATH);
    expect(req.query['api-version']).toBe('7.0');
    expect(req.headers.authorization).toBe(AUTHORIZATION);
    expect(req.headers['x-tfs-fedauthredirect']).toBe('Suppress');
    expect(req.body).toEqual({
      state: 'pending',
      description: 'Pipeline berth-cash-collection is building and deploying this commit',
      targetUrl: CONSOLE_LINK,
      context: { name: 'cash-collection', genre: 'berth' },
    });
    expect(
      secrets
        .commandCalls(GetSecretValueCommand)
        .map((c) => c.args[0].input.SecretId)
        .sort(),
    ).toEqual([PAT_SECRET_ID, WEBHOOK_SECRET_ID].sort());
    expect(ado.statuses).toMatchObject([{ repositoryId: REPO_ID, commitId: COMMIT }]);
    expect(codePipeline.commandCalls(ListActionExecutionsCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(w.counts).toEqual([['CommitStatusPosted', 'cash-collection']]);
  });

  it('given a successful execution, when SUCCEEDED arrives, then a succeeded status is posted, nothing is published and PipelineSucceeded is counted', async () => {
    const w = world();

    await w.handle(stateChange('SUCCEEDED'));

    expect(postedBodies()).toMatchObject([{ state: 'succeeded', targetUrl: CONSOLE_LINK }]);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(w.counts).toEqual([
      ['PipelineSucceeded', 'cash-collection'],
      ['CommitStatusPosted', 'cash-collection'],
    ]);
  });

  it('given a failed execution, when FAILED arrives, then a failed status names the failed stage', async () => {
    const w = world();

    await w.handle(stateChange('FAILED'));

    expect(postedBodies()).toHaveLength(1);
    const body = postedBodies()[0];
    expect(body.state).toBe('failed');
    expect(body.description).toMatch(
      /^Pipeline berth-cash-collection failed at stage Scan \(action ImageScan\)/,
    );
    expect(w.counts).toEqual(
      expect.arrayContaining([
        ['PipelineFailed', 'cash-collection'],
        ['CommitStatusPosted', 'cash-collection'],
      ]),
    );
  });

  it.each([
    ['STOPPED', 'error', /stopped/],
    ['CANCELED', 'error', /stopped/],
    ['SUPERSEDED', 'notApplicable', /superseded/],
    ['RESUMED', 'pending', /resumed/],
  ] as const)(
    'given %s arrives, when handled, then the status is %s',
    async (state, expected, description) => {
      const w = world();

      await w.handle(stateChange(state));

      expect(postedBodies()).toEqual([
        expect.objectContaining({ state: expected, description: expect.stringMatching(description) }),
      ]);
      expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    },
  );

  it('given STOPPING arrives, when handled, then nothing is looked up, posted or published', async () => {
    const w = world();

    const result = await w.handle(stateChange('STOPPING'));

    expect(result).toMatchObject({ outcome: 'handled', notification: 'not-needed' });
    expect(ado.requests).toHaveLength(0);
    expect(codePipeline.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });

  it.each(['FAILED', 'STARTED'] as const)(
    'given the run CodePipeline starts when it creates the pipeline, when %s arrives, then nothing is published, posted or counted',
    async (state) => {
      const created = pipelineExecution({ COMMIT_ID: 'none' });
      codePipeline.on(GetPipelineExecutionCommand).resolves({
        pipelineExecution: { ...created.pipelineExecution, trigger: { triggerType: 'CreatePipeline' } },
      });
      const w = world();

      const result = await w.handle(stateChange(state));

      expect(result).toEqual({ outcome: 'ignored', reason: 'pipeline-creation' });
      expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
      expect(ado.requests).toHaveLength(0);
      expect(w.counts).toEqual([]);
    },
  );

  it('given a webhook-started execution, when FAILED arrives, then it is published and counted', async () => {
    const started = pipelineExecution();
    codePipeline.on(GetPipelineExecutionCommand).resolves({
      pipelineExecution: { ...started.pipelineExecution, trigger: { triggerType: 'StartPipelineExecution' } },
    });
    const w = world();

    await w.handle(stateChange('FAILED'));

    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(w.counts).toContainEqual(['PipelineFailed', 'cash-collection']);
  });

  it('given an execution started by hand (no COMMIT_ID), when STARTED arrives, then no status is posted and it is logged', async () => {
    codePipeline.on(GetPipelineExecutionCommand).resolves(pipelineExecution({}));
    const w = world();

    const result = await w.handle(stateChange('STARTED'));

    expect(result).toMatchObject({ commitStatus: { outcome: 'skipped', reason: 'no-commit' } });
    expect(ado.requests).toHaveLength(0);
    expect(w.levels('info')).toContain('No commit status: the execution has no COMMIT_ID (started by hand?)');
  });

  it('given the PAT secret still holds an empty pat, when STARTED arrives, then no HTTP request is made and CommitStatusSkipped is counted', async () => {
    useSecrets(secretValues({ pat: '' }));
    const w = world();

    const result = await w.handle(stateChange('STARTED'));

    expect(result).toMatchObject({ commitStatus: { outcome: 'skipped', reason: 'empty-pat' } });
    expect(ado.requests).toHaveLength(0);
    expect(w.counts).toEqual([['CommitStatusSkipped', 'cash-collection']]);
    expect(w.levels('warn')).toHaveLength(1);
  });

  it('given the PAT secret cannot be read, when STARTED arrives, then no request is made, the failure is counted and the handler resolves', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: PAT_SECRET_ID }).rejects(
      Object.assign(new Error('not authorized to perform secretsmanager:GetSecretValue'), {
        name: 'AccessDeniedException',
      }),
    );
    const w = world();

    const result = await w.handle(stateChange('STARTED'));

    expect(result).toMatchObject({ commitStatus: { outcome: 'failed' } });
    expect(ado.requests).toHaveLength(0);
    expect(w.counts).toEqual([['CommitStatusFailed', 'cash-collection']]);
  });

  it('given two events of one project within 5 minutes, when handled, then each secret is read once (Powertools cache)', async () => {
    const w = world();

    await w.handle(stateChange('STARTED'));
    await w.handle(stateChange('SUCCEEDED'));

    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(ado.requests).toHaveLength(2);
  });

  it('given the cached secrets are older than 5 minutes, when the next event arrives, then they are read again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-06-02T09:30:00Z'));
    const w = world();

    await w.handle(stateChange('STARTED'));
    vi.setSystemTime(new Date('2025-06-02T09:35:01Z'));
    await w.handle(stateChange('SUCCEEDED'));

    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(4);
  });
});

describe('which repository and REST version', () => {
  it('given azureDevOps.apiVersion 7.1, when a status is posted, then the request carries api-version 7.1', async () => {
    const w = world({ settings: settingsFor(ado.baseUrl, '7.1') });

    await w.handle(stateChange('STARTED'));

    expect(ado.requests.map((r) => r.query['api-version'])).toEqual(['7.1']);
    expect(ado.statuses).toHaveLength(1);
  });

  it('given Azure DevOps Server 2020 and apiVersion 6.0, when a status is posted, then it is accepted', async () => {
    ado.flavor = 'server2020';
    const w = world({ settings: settingsFor(ado.baseUrl, '6.0') });

    const result = await w.handle(stateChange('SUCCEEDED'));

    expect(result).toMatchObject({ commitStatus: { outcome: 'posted', attempts: 1 } });
  });

  it('given Azure DevOps Server 2022 and apiVersion 7.1, when a status is posted, then one attempt fails and the reason names the setting to change', async () => {
    ado.flavor = 'server2022';
    const w = world({ settings: settingsFor(ado.baseUrl, '7.1') });

    const result = await w.handle(stateChange('STARTED'));

    expect(result).toMatchObject({ commitStatus: { outcome: 'failed', attempts: 1 } });
    const reason = (result as { commitStatus: { reason: string } }).commitStatus.reason;
    expect(reason).toContain('refused REST api-version 7.1');
    expect(reason).toContain('set azureDevOps.apiVersion in berth.yaml');
    expect(reason).toContain('7.0 for Server 2022');
    expect(w.sleeps).toEqual([]);
  });

  it('given the repository and its Azure DevOps project were renamed, when a status is posted, then it still reaches it by the GUID connect stored', async () => {
    const renamed = settingsFor(ado.baseUrl);
    const w = world({
      settings: {
        ...renamed,
        pipelines: {
          ...renamed.pipelines,
          [PIPELINE]: {
            ...renamed.pipelines[PIPELINE],
            repository: { project: 'Finance', name: 'old-name' },
          },
        },
      },
    });

    const result = await w.handle(stateChange('SUCCEEDED'));

    expect(result).toMatchObject({ commitStatus: { outcome: 'posted' } });
    expect(ado.requests[0].path).toBe(STATUS_PATH);
  });

  it('given connect has not stored the repository id yet, when a status is posted, then it goes by repository name with a warning', async () => {
    useSecrets(secretValues({ repositoryId: null }));
    const w = world();

    const result = await w.handle(stateChange('STARTED'));

    expect(result).toMatchObject({ commitStatus: { outcome: 'posted' } });
    expect(ado.requests[0].path).toBe(
      `/Finance/_apis/git/repositories/cash-collection/commits/${COMMIT}/statuses`,
    );
    expect(w.levels('warn')).toEqual([
      'Posting the commit status by repository name: the webhook secret has no repositoryId yet (run berth connect)',
    ]);
  });

  it('given the webhook secret cannot be read, when a status is posted, then it goes by repository name with a warning naming the error', async () => {
    secrets
      .on(GetSecretValueCommand, { SecretId: WEBHOOK_SECRET_ID })
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const w = world();

    const result = await w.handle(stateChange('STARTED'));

    expect(result).toMatchObject({ commitStatus: { outcome: 'posted' } });
    expect(ado.requests[0].path).toContain('/_apis/git/repositories/cash-collection/');
    expect(w.logs.find((l) => l.level === 'warn')?.attributes[0]).toMatchObject({
      secretId: WEBHOOK_SECRET_ID,
      error: expect.stringContaining('AccessDeniedException'),
    });
  });
});

describe('rollbacks and redeploys', () => {
  it('given a rollback execution, when STARTED arrives, then the status says it is a rollback to that commit', async () => {
    codePipeline
      .on(GetPipelineExecutionCommand)
      .resolves(pipelineExecution({ COMMIT_ID: COMMIT, RELEASE_MODE: 'rollback' }));
    const w = world();

    await w.handle(stateChange('STARTED'));

    expect(postedBodies()[0]).toMatchObject({
      state: 'pending',
      description: 'Rollback to 9fceb02 by pipeline berth-cash-collection started',
    });
  });

  it('given a redeploy that failed, when FAILED arrives, then the status and the notification say it was a redeploy', async () => {
    codePipeline
      .on(GetPipelineExecutionCommand)
      .resolves(pipelineExecution({ COMMIT_ID: COMMIT, RELEASE_MODE: 'redeploy' }));
    const w = world();

    await w.handle(stateChange('FAILED'));

    expect(String(postedBodies()[0].description)).toMatch(
      /^Redeploy of 9fceb02 by pipeline berth-cash-collection failed at stage Scan/,
    );
    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(input.Subject).toBe('Berth: cash-collection redeploy failed at Scan');
    expect(input.Message).toContain(
      'Redeploy of 9fceb02 by pipeline berth-cash-collection (project cash-collection) failed at stage Scan.',
    );
    expect(input.Message).toContain('Mode:       redeploy');
  });
});

describe('Azure DevOps down or slow', () => {
  it('given Azure DevOps answers 503 every time, when SUCCEEDED arrives, then it tries 3 times, logs an error, counts CommitStatusFailed and resolves', async () => {
    ado.reply({ status: 503 }, { status: 503 }, { status: 503 });
    const w = world();

    const result = await w.handle(stateChange('SUCCEEDED'));
    expect(w.sleeps).toEqual([375, 750]);

    expect(result).toMatchObject({ outcome: 'handled', commitStatus: { outcome: 'failed', attempts: 3 } });
    expect(ado.requests).toHaveLength(3);
    expect(w.sleeps).toHaveLength(2);
    expect(w.levels('error')).toEqual(['Could not post the commit status to Azure DevOps']);
    expect(w.counts).toContainEqual(['CommitStatusFailed', 'cash-collection']);
  });

  it.each([401, 404])(
    'given Azure DevOps answers %i, when STARTED arrives, then it makes one attempt and resolves',
    async (status) => {
      ado.reply({ status });
      const w = world();

      const result = await w.handle(stateChange('STARTED'));

      expect(result).toMatchObject({ commitStatus: { outcome: 'failed', attempts: 1 } });
      expect(ado.requests).toHaveLength(1);
      expect(w.sleeps).toEqual([]);
    },
  );

  it('given 429 with Retry-After: 2, when SUCCEEDED arrives, then it waits 2 s (not less) before the retry that succeeds', async () => {
    ado.reply({ status: 429, headers: { 'Retry-After': '2' } });
    const w = world();

    const result = await w.handle(stateChange('SUCCEEDED'));

    expect(result).toMatchObject({ commitStatus: { outcome: 'posted', attempts: 2 } });
    expect(w.sleeps).toEqual([2000]);
  });

  it('given 503 with a Retry-After date 3 s away, when STARTED arrives, then it waits until then', async () => {
    const now = Date.parse('2025-06-02T09:30:00Z');
    ado.reply({ status: 503, headers: { 'Retry-After': new Date(now + 3000).toUTCString() } });
    const w = world({ now: () => now });

    const result = await w.handle(stateChange('STARTED'));

    expect(result).toMatchObject({ commitStatus: { outcome: 'posted', attempts: 2 } });
    expect(w.sleeps).toEqual([3000]);
  });

  it('given 429 with a Retry-After longer than the function can wait, when STARTED arrives, then it gives up after one attempt and says why', async () => {
    ado.reply({ status: 429, headers: { 'Retry-After': '120' } });
    const w = world();

    const result = await w.handle(stateChange('STARTED'));

    expect(result).toMatchObject({ commitStatus: { outcome: 'failed', attempts: 1 } });
    expect((result as { commitStatus: { reason: string } }).commitStatus.reason).toContain(
      'Retry-After 120 s is longer than this call can wait',
    );
    expect(w.sleeps).toEqual([]);
  });

  it('given Azure DevOps hangs, when FAILED arrives, then the notification is still published and the handler resolves', async () => {
    ado.reply('hang', 'hang', 'hang');
    const w = world({ retry: { attemptTimeoutMs: 100 } });

    const result = await w.handle(stateChange('FAILED'));

    expect(result).toMatchObject({
      notification: 'published',
      commitStatus: { outcome: 'failed', attempts: 3 },
    });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it('given Azure DevOps has not answered yet, when FAILED arrives, then the notification is published without waiting for it', async () => {
    let publishSeen!: () => void;
    const published = new Promise<void>((resolve) => (publishSeen = resolve));
    sns.on(PublishCommand).callsFake(() => {
      publishSeen();
      return { MessageId: 'm-2' };
    });
    let publishedBeforeAzureDevOpsAnswered = false;
    const w = world({
      fetch: async (input, init) => {
        // Hold Azure DevOps' answer until the notification is out (or give up after 5 s).
        publishedBeforeAzureDevOpsAnswered = await Promise.race([
          published.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000).unref()),
        ]);
        return fetch(input, init);
      },
    });

    await w.handle(stateChange('FAILED'));

    expect(publishedBeforeAzureDevOpsAnswered).toBe(true);
    expect(ado.requests).toHaveLength(1);
  });

  it('given the Lambda is nearly out of time, when STARTED arrives, then no attempt is made and the handler resolves', async () => {
    const w = world();

    const result = await w.handle(stateChange('STARTED'), { getRemainingTimeInMillis: () => 1000 });

    expect(result).toMatchObject({ commitStatus: { outcome: 'failed', attempts: 0 } });
    expect(ado.requests).toHaveLength(0);
  });
});

describe('failure notification', () => {
  it('given a failed scan, when FAILED arrives, then the platform topic gets a readable message with stage, commit and link', async () => {
    const w = world();

    const result = await w.handle(stateChange('FAILED'));

    expect(result).toMatchObject({ notification: 'published' });
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0].args[0].input;
    expect(input.TopicArn).toBe(TOPIC_ARN);
    expect(input.Subject).toBe('Berth: cash-collection pipeline failed at Scan');
    expect(input.Message).toContain('Project:    cash-collection');
    expect(input.Message).toContain('Stage:      Scan');
    expect(input.Message).toContain('Action:     ImageScan');
    expect(input.Message).toContain(`Commit:     9fceb02 (${COMMIT})`);
    expect(input.Message).toContain('Branch:     main');
    expect(input.Message).toContain('Repository: Finance/cash-collection');
    expect(input.Message).toContain('3 CRITICAL vulnerabilities found in the image');
    expect(input.Message).toContain(CONSOLE_LINK);
    expect(codePipeline.commandCalls(GetPipelineExecutionCommand)[0].args[0].input).toEqual({
      pipelineName: PIPELINE,
      pipelineExecutionId: EXECUTION_ID,
    });
    expect(codePipeline.commandCalls(ListActionExecutionsCommand)[0].args[0].input).toMatchObject({
      pipelineName: PIPELINE,
      filter: { pipelineExecutionId: EXECUTION_ID },
    });
  });

  it('given the failed action is on the second page, when FAILED arrives, then the action executions are paged through', async () => {
    const failedPage = scanFailedActions();
    codePipeline
      .on(ListActionExecutionsCommand)
      .resolvesOnce({ actionExecutionDetails: [failedPage.actionExecutionDetails[0]], nextToken: 'page-2' })
      .resolvesOnce({ actionExecutionDetails: [failedPage.actionExecutionDetails[1]] });
    const w = world();

    await w.handle(stateChange('FAILED'));

    const pages = codePipeline.commandCalls(ListActionExecutionsCommand);
    expect(pages).toHaveLength(2);
    expect(pages[1].args[0].input.nextToken).toBe('page-2');
    expect(sns.commandCalls(PublishCommand)[0].args[0].input.Subject).toBe(
      'Berth: cash-collection pipeline failed at Scan',
    );
  });

  it('given GetPipelineExecution fails, when FAILED arrives, then what is known is still published', async () => {
    codePipeline.on(GetPipelineExecutionCommand).rejects(new Error('Rate exceeded'));
    codePipeline.on(ListActionExecutionsCommand).rejects(new Error('Rate exceeded'));
    const w = world();

    const result = await w.handle(stateChange('FAILED'));

    expect(result).toMatchObject({ notification: 'published', commitStatus: { outcome: 'failed' } });
    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(input.Subject).toBe('Berth: cash-collection pipeline failed');
    expect(input.Message).toContain('Project:    cash-collection');
    expect(input.Message).toContain('Rate exceeded');
    expect(input.Message).toContain(CONSOLE_LINK);
    expect(ado.requests).toHaveLength(0);
    expect(w.counts).toEqual(
      expect.arrayContaining([
        ['PipelineFailed', 'cash-collection'],
        ['CommitStatusFailed', 'cash-collection'],
      ]),
    );
  });

  it('given only ListActionExecutions fails, when FAILED arrives, then the commit is published and the status is still posted', async () => {
    codePipeline.on(ListActionExecutionsCommand).rejects(new Error('Rate exceeded'));
    const w = world();

    await w.handle(stateChange('FAILED'));

    expect(sns.commandCalls(PublishCommand)[0].args[0].input.Message).toContain(COMMIT);
    expect(postedBodies()).toEqual([
      expect.objectContaining({ state: 'failed', description: 'Pipeline berth-cash-collection failed' }),
    ]);
  });

  it('given an execution without BRANCH (no longer set), when FAILED arrives, then the message names the configured branch', async () => {
    const w = world();

    await w.handle(stateChange('FAILED', { pipeline: 'berth-poultry-sale' }));

    expect(sns.commandCalls(PublishCommand)[0].args[0].input.Message).toContain('Branch:     release');
  });

  it('given Publish fails, when FAILED arrives, then the handler throws so the event is retried, after the status was posted', async () => {
    sns.on(PublishCommand).rejects(new Error('KMS key disabled'));
    const w = world();

    await expect(w.handle(stateChange('FAILED'))).rejects.toThrow('KMS key disabled');

    expect(ado.requests).toHaveLength(1);
    expect(w.levels('error')).toContain(
      'Could not publish the failure notification; failing the invocation so that it is retried',
    );
  });

  it.each(['SUCCEEDED', 'STOPPED', 'STARTED'] as const)(
    'given %s arrives, when handled, then no notification is published',
    async (state) => {
      const w = world();

      await w.handle(stateChange(state));

      expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    },
  );
});

describe('events the function does not act on', () => {
  it('given a pipeline that is not in the settings, when its event arrives, then it is ignored with a debug log', async () => {
    const w = world();

    const result = await w.handle(stateChange('FAILED', { pipeline: 'someone-elses-pipeline' }));

    expect(result).toEqual({ outcome: 'ignored', reason: 'unknown-pipeline' });
    expect(codePipeline.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
    expect(ado.requests).toHaveLength(0);
    expect(w.counts).toEqual([]);
    expect(w.levels('debug')).toHaveLength(1);
  });

  it('given a pipeline named like an Object prototype key, when its event arrives, then it is ignored', async () => {
    const w = world();

    const result = await w.handle(stateChange('FAILED', { pipeline: 'constructor' }));

    expect(result).toEqual({ outcome: 'ignored', reason: 'unknown-pipeline' });
  });

  it('given an event of another kind, when it arrives, then it is ignored with a warning and nothing throws', async () => {
    const w = world();

    const result = await w.handle({ source: 'aws.codebuild', detail: {} });

    expect(result).toEqual({ outcome: 'ignored', reason: 'unrecognized-event' });
    expect(w.levels('warn')).toHaveLength(1);
  });
});

describe('secrets in logs', () => {
  it('given successes, retries, rejections and an error body echoing the credentials, when handled, then the PAT is never logged', async () => {
    const w = world();
    const json = { 'Content-Type': 'application/json; charset=utf-8' };
    ado.reply(
      {
        status: 500,
        headers: json,
        body: JSON.stringify({ message: `server saw Authorization: ${AUTHORIZATION}` }),
      },
      {
        status: 500,
        headers: json,
        body: JSON.stringify({ message: `server saw ${AUTHORIZATION.slice(6)}` }),
      },
      { status: 500 },
      { status: 401, headers: json, body: JSON.stringify({ message: `TF400813: invalid PAT ${PAT}` }) },
    );

    await w.handle(stateChange('SUCCEEDED'));
    await w.handle(stateChange('FAILED'));
    await w.handle(stateChange('STARTED'));

    expect(w.logs.length).toBeGreaterThan(0);
    const text = w.logText();
    expect(text).not.toContain(PAT);
    expect(text).not.toContain(AUTHORIZATION.slice('Basic '.length));
    expect(text).toContain('[redacted]');
  });
});
