import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { vi } from 'vitest';
import { pipelineStarter } from '../../../src/functions/webhook/aws';
import { WebhookCredentials } from '../../../src/functions/webhook/credentials';
import { createHandler, type WebhookHandler } from '../../../src/functions/webhook/handler';
import { dynamoPushOrder } from '../../../src/functions/webhook/push-order';
import {
  loadSettings,
  type SettingsResult,
  type WebhookProjects,
} from '../../../src/functions/webhook/settings';

/**
 * Shared test fixtures: the documented Azure DevOps payloads (Microsoft's samples for git.push and
 * git.pullrequest.merged, kept verbatim in test/fixtures so `npm test` runs on any machine), a project config
 * matching them, API Gateway v2 events, and a handler wired to mocked AWS clients (Secrets Manager read through
 * Powertools Parameters, DynamoDB with the push-order condition, CodePipeline) with captured log and metric output.
 */

export const FIXTURES_DIR = path.resolve(__dirname, '../../fixtures/azure-devops');

/** A fresh, mutable copy of a documented payload. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function fixture(name: 'git.push' | 'git.pullrequest.merged'): any {
  return JSON.parse(readFileSync(path.join(FIXTURES_DIR, `${name}.json`), 'utf8'));
}

/**
 * The documented push as the "Test" button sends it: Microsoft's sample, with an all-zero subscription id.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function testDelivery(): any {
  return {
    subscriptionId: '00000000-0000-0000-0000-000000000000',
    notificationId: 1,
    ...fixture('git.push'),
  };
}

export const PUSH_COMMIT = '33b55f7cb7e7e245323987634f960cf4a6e6bc74';
/** The push fixture's `resource.pushId`. */
export const PUSH_ID = 14;
/** The push fixture's repository GUID. */
export const REPO_ID = '278d5cd2-584d-4b63-824a-2ba458937249';
export const STATE_TABLE = 'berth-webhook-state';

/**
 * Three projects on the push fixture's repository, each matched another way:
 * - `cash-collection` by the GUID in its configuration;
 * - `poultry-sale` by the GUID `berth connect` stored in its secret (its configured names are the repository's old
 *   names: it was renamed since);
 * - `egg-sale` by project and repository name (no GUID known).
 */
export const PROJECTS: WebhookProjects = {
  'cash-collection': {
    pipelineName: 'berth-cash-collection',
    secretId: 'berth/cash-collection/webhook',
    repository: { project: 'Fabrikam-Fiber-Git', name: 'Fabrikam-Fiber-Git', id: REPO_ID },
    branch: 'main',
  },
  'poultry-sale': {
    pipelineName: 'berth-poultry-sale',
    secretId: 'berth/poultry-sale/webhook',
    repository: { project: 'Fabrikam', name: 'Fabrikam-Old-Name' },
    branch: 'main',
  },
  'egg-sale': {
    pipelineName: 'berth-egg-sale',
    secretId: 'berth/egg-sale/webhook',
    repository: { project: 'Fabrikam-Fiber-Git', name: 'Fabrikam-Fiber-Git' },
    branch: 'main',
  },
};

export interface SecretValue {
  readonly username: string;
  readonly password: string;
  readonly repositoryId?: string;
}

export const CREDENTIALS: Readonly<Record<string, SecretValue>> = {
  'berth/cash-collection/webhook': { username: 'azure-devops', password: 'cash-S3cret:with-colon' },
  'berth/poultry-sale/webhook': {
    username: 'azure-devops',
    password: 'poultry-Pässword',
    repositoryId: REPO_ID.toUpperCase(),
  },
  'berth/egg-sale/webhook': { username: 'azure-devops', password: 'egg-Secret-42' },
};

export const CASH = CREDENTIALS['berth/cash-collection/webhook'];
export const POULTRY = CREDENTIALS['berth/poultry-sale/webhook'];
export const EGG = CREDENTIALS['berth/egg-sale/webhook'];

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export interface EventOptions {
  readonly service?: string;
  /** An object is sent as JSON; a string as is. */
  readonly body?: unknown;
  readonly authorization?: string | null;
  readonly headers?: Record<string, string>;
  readonly isBase64Encoded?: boolean;
  readonly rawPath?: string;
  readonly pathParameters?: Record<string, string> | undefined;
}

/** An HTTP API (payload format 2.0) event for `POST /webhook/{service}`, authenticated as cash-collection. */
export function apiEvent(options: EventOptions = {}): APIGatewayProxyEventV2 {
  const service = options.service ?? 'cash-collection';
  const body =
    options.body === undefined
      ? JSON.stringify(fixture('git.push'))
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': 'VSServices/16.255.35115.1',
    ...(options.authorization === null
      ? {}
      : { authorization: options.authorization ?? basicAuth(CASH.username, CASH.password) }),
    ...options.headers,
  };
  const rawPath = options.rawPath ?? `/webhook/${service}`;
  return {
    version: '2.0',
    routeKey: 'POST /webhook/{service}',
    rawPath,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api1234567',
      domainName: 'api1234567.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'api1234567',
      http: {
        method: 'POST',
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'VSServices',
      },
      requestId: 'req-1',
      routeKey: 'POST /webhook/{service}',
      stage: '$default',
      time: '19/Sep/2016:13:03:27 +0000',
      timeEpoch: 1474290207000,
    },
    pathParameters: 'pathParameters' in options ? options.pathParameters : { service },
    body,
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/** Captures what Powertools writes to stdout and stderr (log lines, EMF metric blobs) while installed. */
export function captureOutput(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    for (const line of text.split('\n')) if (line.trim() !== '') lines.push(line);
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  return { lines, restore: () => spies.forEach((s) => s.mockRestore()) };
}

export interface Harness {
  readonly handler: WebhookHandler;
  readonly codePipeline: AwsClientStub<CodePipelineClient>;
  readonly secretsManager: AwsClientStub<SecretsManagerClient>;
  readonly dynamoDb: AwsClientStub<DynamoDBClient>;
  /** The push-order table: key -> item. */
  readonly table: Map<string, Record<string, AttributeValue>>;
  /** Milliseconds on the fake clock the credentials' refresh throttle reads. */
  readonly clock: { now: number };
  /** Raw output lines (stdout and stderr) since the harness was made. */
  readonly output: string[];
  /** Parsed log lines (not metrics). */
  logs(): Record<string, unknown>[];
  /** Names of the metrics emitted, in order. */
  metricNames(): string[];
  /** Call the handler and parse the JSON body. */
  call(event: APIGatewayProxyEventV2): Promise<Answered>;
  restore(): void;
}

export interface Answered extends APIGatewayProxyStructuredResultV2 {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly json: Record<string, unknown>;
}

let executions = 0;

/** DynamoDB's UpdateItem for the push-order item, honouring the condition the webhook writes with. */
export function fakeUpdateItem(table: Map<string, Record<string, AttributeValue>>) {
  return (input: UpdateItemCommandInput) => {
    const key = input.Key?.pk?.S ?? '';
    const values = input.ExpressionAttributeValues ?? {};
    const existing = table.get(key);
    const last = existing?.lastPushId?.N;
    if (input.ConditionExpression !== 'attribute_not_exists(lastPushId) OR lastPushId <= :pushId') {
      throw new Error(`unexpected condition ${input.ConditionExpression}`);
    }
    if (last !== undefined && Number(last) > Number(values[':pushId']?.N)) {
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        ...(input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? { Item: existing } : {}),
      });
    }
    table.set(key, {
      pk: { S: key },
      lastPushId: values[':pushId'],
      lastCommit: values[':commit'],
      updatedAt: values[':now'],
    });
    return {};
  };
}

/**
 * A handler on mocked clients: GetSecretValue answers from CREDENTIALS, UpdateItem keeps the push-order table in
 * memory with its condition, StartPipelineExecution answers one execution id per clientRequestToken (as
 * CodePipeline's idempotency does).
 */
export function harness(options: { settings?: SettingsResult; projects?: WebhookProjects } = {}): Harness {
  const out = captureOutput();
  const cp = new CodePipelineClient({ region: 'us-east-1' });
  const sm = new SecretsManagerClient({ region: 'us-east-1' });
  const ddb = new DynamoDBClient({ region: 'us-east-1' });
  const codePipeline = mockClient(cp);
  const secretsManager = mockClient(sm);
  const dynamoDb = mockClient(ddb);
  const table = new Map<string, Record<string, AttributeValue>>();
  const byToken = new Map<string, string>();
  codePipeline.onAnyCommand().callsFake((input: { clientRequestToken?: string }) => {
    const token = input.clientRequestToken ?? `none-${executions}`;
    if (!byToken.has(token)) byToken.set(token, `exec-${++executions}`);
    return { pipelineExecutionId: byToken.get(token) };
  });
  secretsManager.onAnyCommand().callsFake((input: { SecretId: string }) => {
    const value = CREDENTIALS[input.SecretId];
    if (!value)
      throw Object.assign(new Error('Secrets Manager can’t find the specified secret.'), {
        name: 'ResourceNotFoundException',
      });
    return { SecretString: JSON.stringify(value) };
  });
  dynamoDb.on(UpdateItemCommand).callsFake(fakeUpdateItem(table));
  const clock = { now: 1_000_000 };
  const settings = options.settings ?? loadSettings(JSON.stringify(options.projects ?? PROJECTS));
  const handler = createHandler({
    settings,
    credentials: new WebhookCredentials(new SecretsProvider({ awsSdkV3Client: sm }), {
      now: () => clock.now,
    }),
    pushOrder: dynamoPushOrder(ddb, STATE_TABLE, () => clock.now),
    startPipeline: pipelineStarter(cp),
    logger: new Logger({ serviceName: 'berth-webhook' }),
    metrics: new Metrics({ namespace: 'Berth', serviceName: 'berth-webhook' }),
  });
  const parsed = () =>
    out.lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return {
    handler,
    codePipeline,
    secretsManager,
    dynamoDb,
    table,
    clock,
    output: out.lines,
    logs: () => parsed().filter((l) => !('_aws' in l)),
    metricNames: () =>
      parsed()
        .filter((l) => '_aws' in l)
        .flatMap((l) =>
          (l._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics.flatMap(
            (d) => d.Metrics.map((m) => m.Name),
          ),
        ),
    async call(event) {
      const res = (await handler(event)) as Answered;
      return { ...res, json: JSON.parse(res.body ?? 'null') as Record<string, unknown> };
    },
    restore() {
      out.restore();
      codePipeline.restore();
      secretsManager.restore();
      dynamoDb.restore();
    },
  };
}
