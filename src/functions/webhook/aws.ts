import { CodePipelineClient, StartPipelineExecutionCommand } from '@aws-sdk/client-codepipeline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { StartRequest } from './decide';

/**
 * The AWS clients the webhook uses (Secrets Manager through Powertools Parameters, DynamoDB for push order,
 * CodePipeline), and the start call behind a plain function so the handler's logic is tested without AWS.
 * Clients are created once per cold start with short timeouts and one retry: a slow dependency becomes a 503
 * (which Azure DevOps retries) well inside the function's 10 s timeout, together with the handler's deadline.
 */

export interface ClientTimeouts {
  /** TCP/TLS connection phase, ms. */
  readonly connectionTimeoutMs: number;
  /** Whole request and response, ms (enforced: `throwOnRequestTimeout`). */
  readonly requestTimeoutMs: number;
  /** Attempts per call, the first included. */
  readonly maxAttempts: number;
}

export const DEFAULT_TIMEOUTS: ClientTimeouts = {
  connectionTimeoutMs: 1000,
  requestTimeoutMs: 2500,
  maxAttempts: 2,
};

export interface AwsClients {
  readonly codePipeline: CodePipelineClient;
  readonly secretsManager: SecretsManagerClient;
  readonly dynamoDb: DynamoDBClient;
}

/** Region, credentials and endpoints come from the environment (Lambda sets them; the bench points them at a fake). */
export function createClients(timeouts: ClientTimeouts = DEFAULT_TIMEOUTS): AwsClients {
  const config = {
    maxAttempts: timeouts.maxAttempts,
    requestHandler: {
      connectionTimeout: timeouts.connectionTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
  return {
    codePipeline: new CodePipelineClient(config),
    secretsManager: new SecretsManagerClient(config),
    dynamoDb: new DynamoDBClient(config),
  };
}

/** Starts an execution; resolves to its id. */
export type PipelineStarter = (request: StartRequest, signal: AbortSignal) => Promise<string>;

export class MissingExecutionIdError extends Error {
  constructor(pipelineName: string) {
    super(`StartPipelineExecution on ${pipelineName} returned no pipelineExecutionId`);
    this.name = 'MissingExecutionIdError';
  }
}

export function pipelineStarter(client: CodePipelineClient): PipelineStarter {
  return async (request, signal) => {
    const out = await client.send(
      new StartPipelineExecutionCommand({
        name: request.pipelineName,
        clientRequestToken: request.clientRequestToken,
        variables: request.variables.map((v) => ({ name: v.name, value: v.value })),
      }),
      { abortSignal: signal },
    );
    if (!out.pipelineExecutionId) throw new MissingExecutionIdError(request.pipelineName);
    return out.pipelineExecutionId;
  };
}

/** A short, log-friendly classification of an AWS SDK error (never the request or the secret). */
export function describeAwsError(error: unknown): {
  readonly errorName: string;
  readonly throttled: boolean;
} {
  const e = error as { name?: unknown; $retryable?: { throttling?: boolean } } | null | undefined;
  const errorName = typeof e?.name === 'string' ? e.name : 'UnknownError';
  const throttled =
    e?.$retryable?.throttling === true || /Throttl|TooManyRequests|RequestLimitExceeded/i.test(errorName);
  return { errorName, throttled };
}
