import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Secrets Manager, DynamoDB and CodePipeline on 127.0.0.1, speaking just enough of the AWS
 * JSON 1.0/1.1 protocols (POST /, `X-Amz-Target: <service>.<Operation>`, JSON in and out, errors as `__type`) for
 * GetSecretValue, UpdateItem (the webhook's push-order write, with its condition) and StartPipelineExecution.
 * Used by the client tests and by `npm run bench:webhook`; point the SDK at it with
 * AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_CODEPIPELINE.
 */

export interface FakeAwsRequest {
  readonly target: string;
  readonly contentType: string | undefined;
  readonly signed: boolean;
  readonly body: Record<string, unknown>;
}

export interface FakeAwsError {
  readonly status: number;
  readonly type: string;
  readonly message: string;
}

export interface FakeAws {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: FakeAwsRequest[];
  /** Secret id -> SecretString. */
  readonly secrets: Map<string, string>;
  /** DynamoDB items by `<table>/<pk>`. */
  readonly items: Map<string, Record<string, { S?: string; N?: string }>>;
  /** Per operation (`GetSecretValue`, `UpdateItem`, `StartPipelineExecution`): answer with this error, or never answer. */
  readonly faults: Map<string, FakeAwsError | 'stall'>;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.1',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(text);
}

export async function startFakeAws(secrets: Record<string, string> = {}): Promise<FakeAws> {
  const requests: FakeAwsRequest[] = [];
  const secretMap = new Map(Object.entries(secrets));
  const faults = new Map<string, FakeAwsError | 'stall'>();
  const executions = new Map<string, string>();
  const items = new Map<string, Record<string, { S?: string; N?: string }>>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        return send(res, 400, { __type: 'SerializationException', message: 'not JSON' });
      }
      requests.push({
        target,
        contentType: req.headers['content-type'],
        signed: String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 '),
        body,
      });
      const operation = target.split('.').pop() ?? '';
      const fault = faults.get(operation);
      if (fault === 'stall') return; // never answer
      if (fault) return send(res, fault.status, { __type: fault.type, message: fault.message });
      switch (target) {
        case 'secretsmanager.GetSecretValue': {
          const id = String(body.SecretId);
          const value = secretMap.get(id);
          if (value === undefined) {
            return send(res, 400, {
              __type: 'ResourceNotFoundException',
              message: 'Secrets Manager can’t find the specified secret.',
            });
          }
          return send(res, 200, {
            ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${id}-AbCdEf`,
            Name: id,
            VersionId: '00000000-0000-4000-8000-000000000000',
            SecretString: value,
            VersionStages: ['AWSCURRENT'],
            CreatedDate: 1700000000,
          });
        }
        case 'DynamoDB_20120810.UpdateItem': {
          type Attr = { S?: string; N?: string };
          const key = `${String(body.TableName)}/${String((body.Key as Record<string, Attr>)?.pk?.S)}`;
          const values = (body.ExpressionAttributeValues ?? {}) as Record<string, Attr>;
          const existing = items.get(key);
          if (body.ConditionExpression !== 'attribute_not_exists(lastPushId) OR lastPushId <= :pushId') {
            return send(res, 400, { __type: 'ValidationException', message: 'unexpected condition' });
          }
          const last = existing?.lastPushId?.N;
          if (last !== undefined && Number(last) > Number(values[':pushId']?.N)) {
            return send(res, 400, {
              __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
              message: 'The conditional request failed',
              ...(body.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? { Item: existing } : {}),
            });
          }
          items.set(key, {
            ...(body.Key as Record<string, Attr>),
            lastPushId: values[':pushId'],
            lastCommit: values[':commit'],
            updatedAt: values[':now'],
          });
          return send(res, 200, {});
        }
        case 'CodePipeline_20150709.StartPipelineExecution': {
          // Idempotent on clientRequestToken, as CodePipeline is.
          const token = String(body.clientRequestToken ?? randomUUID());
          if (!executions.has(token)) executions.set(token, randomUUID());
          return send(res, 200, { pipelineExecutionId: executions.get(token) });
        }
        default:
          return send(res, 400, { __type: 'UnknownOperationException', message: `unknown target ${target}` });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    secrets: secretMap,
    items,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Environment that points the SDK's clients at the fake, with fake credentials. */
export function fakeAwsEnv(url: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: url,
    AWS_ENDPOINT_URL_CODEPIPELINE: url,
    AWS_ENDPOINT_URL_DYNAMODB: url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE',
    AWS_SECRET_ACCESS_KEY: 'fake-secret-access-key',
    AWS_SESSION_TOKEN: 'fake-session-token',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}
