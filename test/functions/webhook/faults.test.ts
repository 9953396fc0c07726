import {
  CodePipelineServiceException,
  ConcurrentPipelineExecutionsLimitExceededException,
  ConflictException,
  PipelineNotFoundException,
  StartPipelineExecutionCommand,
  ValidationException,
} from '@aws-sdk/client-codepipeline';
import {
  DecryptionFailure,
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiEvent, CASH, harness, type Harness } from './helpers';

/**
 * Fault injection with aws-sdk-client-mock: whatever CodePipeline, DynamoDB or Secrets Manager does wrong, the
 * answer is a 503 (retried by Azure DevOps), logged at ERROR with what failed, and never a 500 or a crash.
 */

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.restore());

const $metadata = { httpStatusCode: 400, requestId: 'aws-req-1', attempts: 2 };

const pipelineFaults: [string, () => Error][] = [
  [
    'throttling',
    () =>
      Object.assign(
        new CodePipelineServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata,
          message: 'Rate exceeded',
        }),
        { $retryable: { throttling: true } },
      ),
  ],
  [
    'access denied',
    () =>
      new CodePipelineServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata,
        message: 'User is not authorized to perform: codepipeline:StartPipelineExecution',
      }),
  ],
  ['pipeline not found', () => new PipelineNotFoundException({ $metadata, message: 'pipeline not found' })],
  ['a busy pipeline', () => new ConflictException({ $metadata, message: 'busy' })],
  [
    'the concurrency limit',
    () => new ConcurrentPipelineExecutionsLimitExceededException({ $metadata, message: 'limit' }),
  ],
  ['a validation error', () => new ValidationException({ $metadata, message: 'bad variable' })],
  [
    'a request timeout',
    () =>
      Object.assign(new Error('a request has exceeded the configured 2500 ms requestTimeout.'), {
        name: 'TimeoutError',
        code: 'ETIMEDOUT',
      }),
  ],
  [
    'the request deadline',
    () => Object.assign(new Error('request deadline of 8000 ms passed'), { name: 'AbortError' }),
  ],
  [
    'a refused connection',
    () => Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error', code: 'ECONNREFUSED' }),
  ],
  [
    'a server error',
    () =>
      new CodePipelineServiceException({
        name: 'InternalFailure',
        $fault: 'server',
        $metadata,
        message: 'oops',
      }),
  ],
];

describe('webhook faults: StartPipelineExecution', () => {
  it.each(pipelineFaults)('answers 503 on %s and logs it at ERROR', async (_what, make) => {
    // Given CodePipeline failing this way
    const error = make();
    h.codePipeline.on(StartPipelineExecutionCommand).rejects(error);
    // When a valid push arrives
    const res = await h.call(apiEvent());
    // Then the answer is retryable, and the log names the dependency and the error
    expect(res.statusCode).toBe(503);
    expect(res.json).toEqual({ status: 'retry_later', reason: expect.stringContaining('pipeline') });
    const [line] = h.logs();
    expect(line).toMatchObject({
      level: 'ERROR',
      outcome: 'retryable',
      dependency: 'codepipeline',
      errorName: error.name,
      commit: '33b55f7cb7e7e245323987634f960cf4a6e6bc74',
      error: { name: error.name, message: error.message },
    });
  });

  it('flags throttling in the log', async () => {
    h.codePipeline.on(StartPipelineExecutionCommand).rejects(pipelineFaults[0][1]());
    await h.call(apiEvent());
    expect(h.logs()[0]).toMatchObject({
      throttled: true,
      error: { requestId: 'aws-req-1', httpStatusCode: 400 },
    });
  });

  it('answers 503 when CodePipeline returns no execution id', async () => {
    h.codePipeline.on(StartPipelineExecutionCommand).resolves({});
    const res = await h.call(apiEvent());
    expect(res.statusCode).toBe(503);
    expect(h.logs()[0]).toMatchObject({ errorName: 'MissingExecutionIdError' });
  });

  it('starts on the redelivery once CodePipeline recovers', async () => {
    h.codePipeline.on(StartPipelineExecutionCommand).rejectsOnce(pipelineFaults[0][1]());
    expect((await h.call(apiEvent())).statusCode).toBe(503);
    h.codePipeline.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: 'exec-after' });
    expect((await h.call(apiEvent())).json).toMatchObject({ status: 'started', executionId: 'exec-after' });
  });
});

const secretFaults: [string, () => Error][] = [
  [
    'throttling',
    () =>
      new SecretsManagerServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata,
        message: 'Rate exceeded',
      }),
  ],
  [
    'access denied',
    () =>
      new SecretsManagerServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata,
        message: 'not authorized to perform: secretsmanager:GetSecretValue',
      }),
  ],
  [
    'a missing secret',
    () => new ResourceNotFoundException({ $metadata, message: 'can’t find the specified secret' }),
  ],
  ['a KMS decryption failure', () => new DecryptionFailure({ $metadata, message: 'kms' })],
  ['an internal error', () => new InternalServiceError({ $metadata, message: 'internal' })],
  ['a timeout', () => Object.assign(new Error('requestTimeout exceeded'), { name: 'TimeoutError' })],
];

describe('webhook faults: GetSecretValue', () => {
  it.each(secretFaults)('answers 503 on %s, starts nothing and logs the cause', async (_what, make) => {
    const error = make();
    h.secretsManager.on(GetSecretValueCommand).rejects(error);
    const res = await h.call(apiEvent());
    expect(res.statusCode).toBe(503);
    expect(res.json).toEqual({ status: 'retry_later', reason: expect.stringContaining('credentials') });
    expect(h.codePipeline.calls()).toHaveLength(0);
    expect(h.logs()[0]).toMatchObject({
      level: 'ERROR',
      dependency: 'secretsmanager',
      errorName: error.name,
      error: { name: 'SecretUnavailableError', cause: { name: error.name } },
    });
  });

  it.each([
    ['plain text', 'cash-S3cret-plain'],
    ['JSON without a password', JSON.stringify({ username: 'azure-devops', pass: 'cash-S3cret-x' })],
    ['JSON with a numeric password', '{"username":"azure-devops","password":12345678}'],
  ])(
    'answers 503 for a secret that is %s, logging neither the value nor the request credentials',
    async (_what, SecretString) => {
      h.secretsManager.on(GetSecretValueCommand).resolves({ SecretString });
      const res = await h.call(apiEvent());
      expect(res.statusCode).toBe(503);
      expect(h.logs()[0]).toMatchObject({ level: 'ERROR', errorName: 'SecretInvalidError' });
      const output = h.output.join('\n');
      expect(output).not.toContain('cash-S3cret');
      expect(output).not.toContain('12345678');
      expect(output).not.toContain(CASH.password);
      expect(h.codePipeline.calls()).toHaveLength(0);
    },
  );

  it('answers 503 for a binary secret', async () => {
    h.secretsManager.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2]) });
    expect((await h.call(apiEvent())).statusCode).toBe(503);
  });

  it('given Secrets Manager failed once, when the delivery is retried, then it starts (failures are not cached)', async () => {
    h.secretsManager.on(GetSecretValueCommand).rejectsOnce(secretFaults[0][1]());
    expect((await h.call(apiEvent())).statusCode).toBe(503);
    h.secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(CASH) });
    expect((await h.call(apiEvent())).json.status).toBe('started');
  });
});

describe('webhook faults: anything unexpected', () => {
  it('answers 503, never 500, when a dependency throws something that is not an Error', async () => {
    h.codePipeline.on(StartPipelineExecutionCommand).callsFake(() => {
      throw 'a string';
    });
    const res = await h.call(apiEvent());
    expect(res.statusCode).toBe(503);
    expect(h.logs()[0]).toMatchObject({
      level: 'ERROR',
      error: { message: expect.stringContaining('a string') },
    });
  });

  it('answers 503 when the event itself is not the shape API Gateway promises', async () => {
    const event = apiEvent();
    Object.defineProperty(event, 'headers', {
      get() {
        throw new Error('exploding getter');
      },
    });
    const res = await h.call(event);
    expect(res.statusCode).toBe(503);
    expect(res.json).toEqual({ status: 'retry_later', reason: 'internal error; retry later' });
    expect(h.logs()[0]).toMatchObject({ level: 'ERROR', error: { message: 'exploding getter' } });
  });
});
