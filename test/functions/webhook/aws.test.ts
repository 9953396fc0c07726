import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createClients,
  DEFAULT_TIMEOUTS,
  pipelineStarter,
  type ClientTimeouts,
} from '../../../src/functions/webhook/aws';
import { WebhookCredentials } from '../../../src/functions/webhook/credentials';
import { createHandler } from '../../../src/functions/webhook/handler';
import { dynamoPushOrder } from '../../../src/functions/webhook/push-order';
import { loadSettings } from '../../../src/functions/webhook/settings';
import { fakeAwsEnv, startFakeAws, type FakeAws } from './fake-aws';
import {
  apiEvent,
  captureOutput,
  CASH,
  fixture,
  PROJECTS,
  PUSH_COMMIT,
  STATE_TABLE,
  REPO_ID,
} from './helpers';

/**
 * The real SDK clients (and Powertools Parameters) against a local fake of the three services on 127.0.0.1: the
 * wire protocols, the endpoints taken from the environment, and short timeouts turning a silent dependency into a
 * 503.
 */

let aws: FakeAws;
let out: ReturnType<typeof captureOutput>;
beforeAll(async () => {
  aws = await startFakeAws({ 'berth/cash-collection/webhook': JSON.stringify(CASH) });
});
afterAll(() => aws.close());
beforeEach(() => {
  for (const [k, v] of Object.entries(fakeAwsEnv(aws.url))) vi.stubEnv(k, v);
  aws.requests.length = 0;
  aws.faults.clear();
  aws.items.clear();
  out = captureOutput();
});
afterEach(() => {
  out.restore();
  vi.unstubAllEnvs();
});

function handlerWith(timeouts: ClientTimeouts = DEFAULT_TIMEOUTS, deadlineMs?: number) {
  const clients = createClients(timeouts);
  return createHandler({
    settings: loadSettings(JSON.stringify(PROJECTS)),
    credentials: new WebhookCredentials(new SecretsProvider({ awsSdkV3Client: clients.secretsManager })),
    pushOrder: dynamoPushOrder(clients.dynamoDb, STATE_TABLE),
    startPipeline: pipelineStarter(clients.codePipeline),
    logger: new Logger({ serviceName: 'berth-webhook' }),
    metrics: new Metrics({ namespace: 'Berth', serviceName: 'berth-webhook' }),
    ...(deadlineMs === undefined ? {} : { deadlineMs }),
  });
}

const logs = () => out.lines.map((l) => JSON.parse(l)).filter((l) => !('_aws' in l));

describe('webhook AWS clients', () => {
  it('given a push, when handled, then the endpoints from the environment get signed AWS JSON requests: secret, push order, start', async () => {
    const res = await handlerWith()(apiEvent());
    expect(res.statusCode).toBe(202);
    expect(aws.requests.map((r) => [r.target, r.contentType, r.signed])).toEqual([
      ['secretsmanager.GetSecretValue', 'application/x-amz-json-1.1', true],
      ['DynamoDB_20120810.UpdateItem', 'application/x-amz-json-1.0', true],
      ['CodePipeline_20150709.StartPipelineExecution', 'application/x-amz-json-1.1', true],
    ]);
    expect(aws.requests[0].body).toEqual({ SecretId: 'berth/cash-collection/webhook' });
    expect(aws.requests[1].body).toMatchObject({
      TableName: STATE_TABLE,
      Key: { pk: { S: `cash-collection#${REPO_ID}#main` } },
      ExpressionAttributeValues: { ':pushId': { N: '14' } },
    });
    expect(aws.requests[2].body).toMatchObject({
      name: 'berth-cash-collection',
      clientRequestToken: expect.stringMatching(/^[0-9a-f]{64}$/),
      variables: [
        { name: 'COMMIT_ID', value: PUSH_COMMIT },
        { name: 'RELEASE_MODE', value: 'release' },
      ],
    });
    expect(JSON.parse(res.body ?? '')).toMatchObject({ status: 'started', executionId: expect.any(String) });
  });

  it('given push 20 was released, when push 14 arrives, then DynamoDB refuses the write, its old item is read back, and 202 ignored names push 20', async () => {
    const handler = handlerWith();
    const newer = fixture('git.push');
    newer.resource.pushId = 20;
    newer.resource.refUpdates[0].newObjectId = 'f'.repeat(40);
    await handler(apiEvent({ body: newer }));

    const res = await handler(apiEvent());

    expect(res.statusCode).toBe(202);
    expect(JSON.parse(res.body ?? '')).toEqual({
      status: 'ignored',
      reason: 'push 14 is older than push 20, already started on branch "main"',
    });
    expect(aws.requests.filter((r) => r.target.endsWith('StartPipelineExecution'))).toHaveLength(1);
  });

  it('given a DynamoDB that never answers, when a push arrives, then the answer is a 503 naming DynamoDB, and nothing starts', async () => {
    aws.faults.set('UpdateItem', 'stall');
    const res = await handlerWith({ connectionTimeoutMs: 200, requestTimeoutMs: 150, maxAttempts: 2 })(
      apiEvent(),
    );
    expect(res.statusCode).toBe(503);
    expect(logs()[0]).toMatchObject({ dependency: 'dynamodb', outcome: 'retryable' });
    expect(aws.requests.filter((r) => r.target.endsWith('StartPipelineExecution'))).toHaveLength(0);
  });

  it('turn a CodePipeline that never answers into a 503 after the request timeout and one retry', async () => {
    aws.faults.set('StartPipelineExecution', 'stall');
    const res = await handlerWith({ connectionTimeoutMs: 200, requestTimeoutMs: 150, maxAttempts: 2 })(
      apiEvent(),
    );
    expect(res.statusCode).toBe(503);
    expect(aws.requests.filter((r) => r.target.endsWith('StartPipelineExecution'))).toHaveLength(2);
    expect(logs()[0]).toMatchObject({ dependency: 'codepipeline', errorName: 'TimeoutError' });
  });

  it('turn a silent Secrets Manager into a 503 when the request deadline passes', async () => {
    aws.faults.set('GetSecretValue', 'stall');
    const res = await handlerWith(
      { connectionTimeoutMs: 1000, requestTimeoutMs: 60_000, maxAttempts: 1 },
      100,
    )(apiEvent());
    expect(res.statusCode).toBe(503);
    expect(logs()[0]).toMatchObject({ dependency: 'secretsmanager', outcome: 'retryable' });
  });

  it('keep a second of the invocation in hand, and log the Lambda request id', async () => {
    // Given a silent Secrets Manager and an invocation with 1.15 s left
    aws.faults.set('GetSecretValue', 'stall');
    const context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: 'berth-webhook',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:berth-webhook',
      memoryLimitInMB: '256',
      awsRequestId: 'lambda-req-1',
      logGroupName: '/aws/lambda/berth-webhook',
      logStreamName: 'stream',
      getRemainingTimeInMillis: () => 1150,
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    } satisfies Context;
    // When a push arrives, with client timeouts far longer than that
    const res = await handlerWith({ connectionTimeoutMs: 1000, requestTimeoutMs: 60_000, maxAttempts: 1 })(
      apiEvent(),
      context,
    );
    // Then the handler gives up in time with a 503 and says which invocation it was
    expect(res.statusCode).toBe(503);
    expect(logs()[0]).toMatchObject({ function_request_id: 'lambda-req-1', dependency: 'secretsmanager' });
  });

  it('turn a throttled CodePipeline into a 503 flagged as throttling', async () => {
    aws.faults.set('StartPipelineExecution', {
      status: 400,
      type: 'ThrottlingException',
      message: 'Rate exceeded',
    });
    const res = await handlerWith({ ...DEFAULT_TIMEOUTS, maxAttempts: 1 })(apiEvent());
    expect(res.statusCode).toBe(503);
    expect(logs()[0]).toMatchObject({ errorName: 'ThrottlingException', throttled: true });
  });

  it('turn a missing pipeline into a 503', async () => {
    aws.faults.set('StartPipelineExecution', {
      status: 400,
      type: 'PipelineNotFoundException',
      message: 'Account 123456789012 does not have a pipeline with name berth-cash-collection',
    });
    const res = await handlerWith()(apiEvent());
    expect(res.statusCode).toBe(503);
    expect(logs()[0]).toMatchObject({ errorName: 'PipelineNotFoundException', throttled: false });
  });
});
