import {
  CodePipelineClient,
  GetPipelineExecutionCommand,
  ListActionExecutionsCommand,
} from '@aws-sdk/client-codepipeline';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import * as path from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PipelineExecutionStateChangeEvent } from '../../../src/functions/pipeline-events/event';
import { PIPELINE_EVENTS_METRICS, PROJECT_DIMENSION } from '../../../src/functions/pipeline-events/metrics';
import { pipelineEventsEnvironment } from '../../../src/functions/pipeline-events/settings';
import { FakeAzureDevOps } from '../../support/fake-azure-devops';
import {
  ADO_WORLD,
  PAT,
  pipelineExecution,
  REPO_ID,
  scanFailedActions,
  secretValues,
  settingsFor,
  stateChange,
} from './fixtures';

/**
 * The deployed entry point, with the real Powertools Logger and Metrics writing to stdout/stderr (captured), the
 * AWS clients mocked and Azure DevOps faked on 127.0.0.1.
 */

let ado: FakeAzureDevOps;
const codePipeline = mockClient(CodePipelineClient);
const secrets = mockClient(SecretsManagerClient);
const sns = mockClient(SNSClient);
const AUTHORIZATION = `Basic ${Buffer.from(`:${PAT}`).toString('base64')}`;

type Handler = (event: PipelineExecutionStateChangeEvent, context: Context) => Promise<unknown>;
let handler: Handler;
/** Everything written to stdout and stderr (Powertools writes errors to stderr). */
let output: string[];

const context: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'berth-pipeline-events',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:berth-pipeline-events',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/berth-pipeline-events',
  logStreamName: '2025/06/02/[$LATEST]abc',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

/** Every JSON line written: Powertools log records and EMF metric records. */
const records = () =>
  output
    .join('')
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

interface Emf {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}
const metricRecords = () => records().filter((r): r is Emf => '_aws' in r);
const metricNames = () =>
  metricRecords().flatMap((r) => r._aws.CloudWatchMetrics[0].Metrics.map((m) => m.Name));

beforeAll(async () => {
  ado = await FakeAzureDevOps.start(ADO_WORLD);
  vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'pipeline-events');
  vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'Berth');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
  vi.stubEnv('POWERTOOLS_DEV', '');
  for (const [name, value] of Object.entries(
    pipelineEventsEnvironment(settingsFor(`${ado.baseUrl}/`, '7.1')),
  )) {
    vi.stubEnv(name, value);
  }
  ({ handler } = await import('../../../src/functions/pipeline-events/index'));
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await ado.close();
});
beforeEach(() => {
  ado.reset();
  codePipeline.reset();
  secrets.reset();
  sns.reset();
  codePipeline.on(GetPipelineExecutionCommand).resolves(pipelineExecution());
  codePipeline.on(ListActionExecutionsCommand).resolves(scanFailedActions());
  const values = secretValues();
  secrets.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => ({
    SecretString: values[input.SecretId],
  }));
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  output = [];
  const capture = (chunk: string | Uint8Array) => {
    output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('pipeline-events entry point', () => {
  it('given a succeeded execution, when invoked, then the status is posted and each metric carries exactly service and Project', async () => {
    await handler(stateChange('SUCCEEDED'), context);

    expect(ado.requests).toHaveLength(1);
    expect(ado.requests[0].path).toMatch(new RegExp(`^/_apis/git/repositories/${REPO_ID}/commits/`));
    expect(ado.requests[0].query['api-version']).toBe('7.1');
    expect(metricNames()).toEqual([
      PIPELINE_EVENTS_METRICS.pipelineSucceeded,
      PIPELINE_EVENTS_METRICS.commitStatusPosted,
    ]);
    for (const emf of metricRecords()) {
      expect(emf._aws.CloudWatchMetrics).toHaveLength(1);
      expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('Berth');
      expect(emf._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', PROJECT_DIMENSION]]);
      expect(emf._aws.CloudWatchMetrics[0].Metrics).toEqual([expect.objectContaining({ Unit: 'Count' })]);
      expect(emf.service).toBe('pipeline-events');
      expect(emf[PROJECT_DIMENSION]).toBe('cash-collection');
    }
  });

  it('given a failed execution and Azure DevOps rejecting the PAT while echoing it, when invoked, then it publishes, counts the failure and never logs the PAT', async () => {
    ado.reply({
      status: 401,
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ message: `TF400813: ${PAT} / ${AUTHORIZATION} is not authorized` }),
    });

    await handler(stateChange('FAILED'), context);

    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(ado.requests).toHaveLength(1);
    expect(metricNames()).toEqual([
      PIPELINE_EVENTS_METRICS.pipelineFailed,
      PIPELINE_EVENTS_METRICS.commitStatusFailed,
    ]);
    const written = output.join('');
    expect(records().some((r) => r.level === 'ERROR' && String(r.reason).includes('[redacted]'))).toBe(true);
    expect(written).not.toContain(PAT);
    expect(written).not.toContain(AUTHORIZATION.slice('Basic '.length));
  });

  it('given an event of a pipeline Berth does not know, when invoked, then nothing is called and nothing is counted', async () => {
    await handler(stateChange('FAILED', { pipeline: 'berth-unknown' }), context);

    expect(codePipeline.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
    expect(ado.requests).toHaveLength(0);
    expect(metricRecords()).toEqual([]);
  });
});

describe('pipeline-events bundle', () => {
  it('given the entry point, when bundled as the CDK does, then it holds no CDK or CLI code: only the function, the shared modules (Azure DevOps client, execution reading) and the contracts', async () => {
    const { build } = await import('esbuild');
    const repo = path.resolve(__dirname, '../../..');
    const result = await build({
      entryPoints: [path.join(repo, 'src/functions/pipeline-events/index.ts')],
      absWorkingDir: repo,
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((i) => /aws-cdk-lib|(^|\/)constructs\/|cdk-nag/.test(i))).toEqual([]);
    const own = inputs.filter((i) => !i.includes('node_modules/'));
    expect(
      own.filter(
        (i) =>
          !i.startsWith('src/functions/pipeline-events/') &&
          !i.startsWith('src/shared/') &&
          i !== 'src/contracts.ts',
      ),
    ).toEqual([]);
    expect(own).toContain('src/shared/azure-devops.ts');
  });
});
