import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CodePipelineClient,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import { BatchGetImageCommand, ECRClient } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { CodePipelineEvent, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { PROJECT_DIMENSION, RELEASE_METRICS, STAGE_DIMENSION } from '../../../src/contracts';
import { COMMIT, jobEvent, PROJECT, REGION, SECRET_ACCESS_KEY, SESSION_TOKEN } from './helpers';

/**
 * The deployed entry points, with the real Powertools Logger and Metrics writing to stdout (captured) and every
 * AWS client mocked: one invocation each, its report to CodePipeline, its metrics and its logs.
 */

const codePipeline = mockClient(CodePipelineClient);
const ecr = mockClient(ECRClient);
const cfn = mockClient(CloudFormationClient);
const ecs = mockClient(ECSClient);
const ssm = mockClient(SSMClient);

type Handler = (event: CodePipelineEvent, context: Context) => Promise<void>;
const handlers: Record<string, Handler> = {};
let output: string[];

const context: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'berth-cash-collection-release',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:berth-cash-collection-release',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/berth-cash-collection-release',
  logStreamName: '2026/12/01/[$LATEST]abc',
  getRemainingTimeInMillis: () => 900_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

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

const event = (mode: string) => jobEvent({ mode, commit: COMMIT }) as unknown as CodePipelineEvent;

beforeAll(async () => {
  const env: Record<string, string> = {
    POWERTOOLS_SERVICE_NAME: 'release',
    POWERTOOLS_METRICS_NAMESPACE: 'Berth',
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    POWERTOOLS_DEV: '',
    AWS_REGION: REGION,
    BERTH_PROJECT: PROJECT,
    REPOSITORY_NAME: 'berth/cash-collection',
    IMAGE_ARCHITECTURES: 'amd64',
    STACK_NAME: 'berth-cash-collection',
    RELEASE_ROLE_ARN: 'arn:aws:iam::123456789012:role/berth-cash-collection-release',
    RELEASE_LOG_PARAMETER: '/berth/cash-collection/release',
    CLUSTER_NAME: 'berth',
    SERVICE_NAME: 'cash-collection',
  };
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  handlers.scan = (await import('../../../src/functions/release-scan/index')).handler;
  handlers.push = (await import('../../../src/functions/release-push/index')).handler;
  handlers.deploy = (await import('../../../src/functions/release-deploy/index')).handler;
  handlers.verify = (await import('../../../src/functions/release-verify/index')).handler;
});
afterAll(() => {
  vi.unstubAllEnvs();
});
beforeEach(() => {
  for (const m of [codePipeline, ecr, cfn, ecs, ssm]) m.reset();
  codePipeline.on(PutJobSuccessResultCommand).resolves({});
  codePipeline.on(PutJobFailureResultCommand).resolves({});
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

describe('release entry points', () => {
  it('given a redeploy, when Scan and Push run, then each reports success and emits its metrics with exactly service, Project and Stage', async () => {
    await handlers.scan(event('redeploy'), context);
    await handlers.push(event('redeploy'), context);

    expect(codePipeline.commandCalls(PutJobSuccessResultCommand)).toHaveLength(2);
    const emf = metricRecords();
    expect(emf.map((r) => [r[STAGE_DIMENSION], r._aws.CloudWatchMetrics[0].Metrics[0]])).toEqual([
      ['Scan', { Name: RELEASE_METRICS.stageSucceeded, Unit: 'Count' }],
      ['Scan', { Name: RELEASE_METRICS.stageSeconds, Unit: 'Seconds' }],
      ['Push', { Name: RELEASE_METRICS.stageSucceeded, Unit: 'Count' }],
      ['Push', { Name: RELEASE_METRICS.stageSeconds, Unit: 'Seconds' }],
    ]);
    for (const r of emf) {
      expect(r._aws.CloudWatchMetrics[0].Namespace).toBe('Berth');
      expect(r._aws.CloudWatchMetrics[0].Dimensions).toEqual([
        ['service', PROJECT_DIMENSION, STAGE_DIMENSION],
      ]);
      expect(r.service).toBe('release');
      expect(r[PROJECT_DIMENSION]).toBe(PROJECT);
    }
    expect(ecr.calls()).toHaveLength(0);
  });

  it('given a release that is already live, when Deploy runs, then it reports success after reading the stack and the release log', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'berth-cash-collection',
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(0),
          Parameters: [
            { ParameterKey: 'ImageTag', ParameterValue: COMMIT },
            { ParameterKey: 'RestartNonce', ParameterValue: 'initial' },
          ],
        },
      ],
    });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: COMMIT } });

    await handlers.deploy(event('release'), context);

    expect(
      codePipeline.commandCalls(PutJobSuccessResultCommand)[0].args[0].input.executionDetails?.summary,
    ).toMatch(/is already live/);
  });

  it('given a settled service, when Verify runs, then it reports success', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          status: 'ACTIVE',
          desiredCount: 1,
          runningCount: 1,
          deployments: [
            { id: 'd', status: 'PRIMARY', rolloutState: 'COMPLETED', desiredCount: 1, runningCount: 1 },
          ],
        },
      ],
    });

    await handlers.verify(event('release'), context);

    expect(codePipeline.commandCalls(PutJobSuccessResultCommand)).toHaveLength(1);
  });

  it('given an ECR error, when Scan runs, then the failure is reported and counted, and no output holds the artifact credentials', async () => {
    ecr
      .on(BatchGetImageCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

    await handlers.scan(event('release'), context);

    expect(
      codePipeline.commandCalls(PutJobFailureResultCommand)[0].args[0].input.failureDetails?.message,
    ).toBe('Scan failed: AccessDeniedException: denied');
    expect(metricRecords().map((r) => r._aws.CloudWatchMetrics[0].Metrics[0].Name)).toEqual([
      RELEASE_METRICS.stageFailed,
      RELEASE_METRICS.stageSeconds,
    ]);
    const written = output.join('');
    expect(records().some((r) => r.level === 'ERROR' && r.message === 'Scan failed')).toBe(true);
    expect(written).toContain('c6af9ac6-7b61-11e6-9a41-93e812345678');
    expect(written).not.toContain(SECRET_ACCESS_KEY);
    expect(written).not.toContain(SESSION_TOKEN);
  });
});
