import { CodePipelineClient, StartPipelineExecutionCommand } from '@aws-sdk/client-codepipeline';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyHandlerV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { build } from 'esbuild';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WEBHOOK_PROJECTS_ENV, WEBHOOK_STATE_TABLE_ENV } from '../../../src/functions/webhook/settings';
import { fakeAwsEnv } from './fake-aws';
import { apiEvent, captureOutput, CASH, PROJECTS, PUSH_COMMIT } from './helpers';

/** The deployed entry point: wiring from the environment at cold start, and what the bundle may contain. */

const REPO = path.resolve(__dirname, '../../..');
const ENTRY = path.join(REPO, 'src/functions/webhook/index.ts');

type Entry = typeof import('../../../src/functions/webhook/index');

async function coldStart(env: Record<string, string | undefined>): Promise<Entry> {
  vi.resetModules();
  // Belt and braces: should a call escape the mocks, it goes to a closed local port, never to AWS.
  for (const [k, v] of Object.entries({ ...fakeAwsEnv('http://127.0.0.1:9'), ...env })) vi.stubEnv(k, v);
  return import('../../../src/functions/webhook/index');
}

describe('webhook entry point (index.ts)', () => {
  const cp = mockClient(CodePipelineClient);
  const sm = mockClient(SecretsManagerClient);
  const ddb = mockClient(DynamoDBClient);
  let out: ReturnType<typeof captureOutput>;
  beforeEach(() => {
    out = captureOutput();
    cp.reset();
    sm.reset();
    ddb.reset();
    ddb.on(UpdateItemCommand).resolves({});
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(CASH) });
    cp.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: 'exec-index' });
  });
  afterEach(() => {
    out.restore();
    vi.unstubAllEnvs();
  });

  it('given WEBHOOK_PROJECTS and WEBHOOK_STATE_TABLE, when a push arrives, then it records the push in that table and starts the pipeline with the real clients', async () => {
    const { handler } = await coldStart({
      [WEBHOOK_PROJECTS_ENV]: JSON.stringify(PROJECTS),
      [WEBHOOK_STATE_TABLE_ENV]: 'berth-webhook-state',
      POWERTOOLS_SERVICE_NAME: 'berth-webhook',
      POWERTOOLS_METRICS_NAMESPACE: 'Berth',
    });
    const typed: APIGatewayProxyHandlerV2 = handler; // the contract with the CDK side
    expect(typed).toBe(handler);
    const res = await handler(apiEvent());
    expect(res.statusCode).toBe(202);
    expect(JSON.parse(res.body ?? '')).toEqual({
      status: 'started',
      executionId: 'exec-index',
      commit: PUSH_COMMIT,
    });
    expect(cp.commandCalls(StartPipelineExecutionCommand)[0].args[0].input.name).toBe(
      'berth-cash-collection',
    );
    expect(ddb.commandCalls(UpdateItemCommand)[0].args[0].input.TableName).toBe('berth-webhook-state');
    const emf = out.lines.map((l) => JSON.parse(l)).find((l) => '_aws' in l);
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('Berth');
    expect(emf.service).toBe('berth-webhook');
  });

  it('defaults the metrics namespace to Berth', async () => {
    const { handler } = await coldStart({
      [WEBHOOK_PROJECTS_ENV]: JSON.stringify(PROJECTS),
      [WEBHOOK_STATE_TABLE_ENV]: 'berth-webhook-state',
      POWERTOOLS_METRICS_NAMESPACE: undefined,
    });
    await handler(apiEvent());
    const emf = out.lines.map((l) => JSON.parse(l)).find((l) => '_aws' in l);
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('Berth');
  });

  it('given no WEBHOOK_STATE_TABLE, when a push arrives, then it answers 503 naming the variable in the log, and starts nothing', async () => {
    const { handler } = await coldStart({
      [WEBHOOK_PROJECTS_ENV]: JSON.stringify(PROJECTS),
      [WEBHOOK_STATE_TABLE_ENV]: undefined,
    });
    const res = await handler(apiEvent());
    expect(res.statusCode).toBe(503);
    expect(cp.calls()).toHaveLength(0);
    expect(out.lines.join('\n')).toContain('WEBHOOK_STATE_TABLE is not set');
  });

  it('does not crash at cold start on a malformed WEBHOOK_PROJECTS: it logs and answers 503', async () => {
    const { handler } = await coldStart({ [WEBHOOK_PROJECTS_ENV]: '{"cash-collection": 42}' });
    const res = await handler(apiEvent());
    expect(res.statusCode).toBe(503);
    expect(cp.calls()).toHaveLength(0);
    const errors = out.lines.map((l) => JSON.parse(l)).filter((l) => l.level === 'ERROR');
    expect(errors.length).toBeGreaterThanOrEqual(2); // once at cold start, once for the request
    expect(JSON.stringify(errors[0])).toContain('cash-collection');
  });
});

describe('webhook bundle', () => {
  it('bundles for Node.js 22 without CDK and with nothing from the repo but the webhook and the contracts', async () => {
    const result = await build({
      entryPoints: [ENTRY],
      absWorkingDir: REPO,
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
    expect(own.filter((i) => !i.startsWith('src/functions/webhook/') && i !== 'src/contracts.ts')).toEqual(
      [],
    );
    expect(inputs.some((i) => i.includes('@aws-sdk/client-codepipeline'))).toBe(true);
    expect(inputs.some((i) => i.includes('@aws-sdk/client-dynamodb'))).toBe(true);
    expect(inputs.some((i) => i.includes('@aws-lambda-powertools/parameters'))).toBe(true);
  });
});
