import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it, vi } from 'vitest';
import { ALERTS } from '../../../src/contracts';
import { ALARM_MESSAGE, ALARM_SUBJECT, event, record, SLACK_URL, TEAMS_URL } from './fixtures';

/**
 * The deployed entry point with the real Powertools Logger, Metrics and Parameters (their output captured), Secrets
 * Manager mocked and fetch stubbed: the EMF records carry the contract's dimensions, and nothing written holds a URL.
 */

const secrets = mockClient(SecretsManagerClient);
let handler: (e: ReturnType<typeof event>, c: Context) => Promise<unknown>;
let output: string[];
const posted: string[] = [];

const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'berth-alerts',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:berth-alerts',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/berth-alerts',
  logStreamName: '2025/06/02/[$LATEST]abc',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

const records = () =>
  output
    .join('')
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
type Emf = {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
};
const emf = () => records().filter((r): r is Emf & Record<string, unknown> => '_aws' in r);

beforeAll(async () => {
  vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'berth-alerts');
  vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'Berth');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
  vi.stubEnv('POWERTOOLS_DEV', '');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv(
    ALERTS.channelsEnv,
    JSON.stringify([
      { name: 'ops', type: 'slack', secretId: 'berth/alerts/ops' },
      { name: 'team', type: 'teams', secretId: 'berth/alerts/team' },
      { name: 'later', type: 'slack', secretId: 'berth/alerts/later' },
    ]),
  );
  vi.stubGlobal('fetch', async (url: string) => {
    posted.push(String(url));
    return String(url) === SLACK_URL
      ? new Response(`invalid_token ${SLACK_URL}`, { status: 403 })
      : new Response('', { status: 202 });
  });
  ({ handler } = await import('../../../src/functions/alerts/index'));
});
afterAll(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
});
beforeEach(() => {
  secrets.reset();
  const values: Record<string, string> = {
    'berth/alerts/ops': JSON.stringify({ url: SLACK_URL }),
    'berth/alerts/team': JSON.stringify({ url: TEAMS_URL }),
    'berth/alerts/later': JSON.stringify({ url: '' }),
  };
  secrets.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => ({
    Name: input.SecretId,
    SecretString: values[input.SecretId],
  }));
  output = [];
  posted.length = 0;
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

describe('alerts entry point', () => {
  it('given an alarm, a refusing Slack channel, a working Teams channel and an unset one, when invoked, then each outcome is counted per channel and in sum', async () => {
    await handler(event(record(JSON.stringify(ALARM_MESSAGE), ALARM_SUBJECT)), context);

    expect(posted.sort()).toEqual([SLACK_URL, TEAMS_URL].sort());
    const metrics = emf().map((r) => ({
      name: r._aws.CloudWatchMetrics[0].Metrics[0].Name,
      dimensions: r._aws.CloudWatchMetrics[0].Dimensions,
      namespace: r._aws.CloudWatchMetrics[0].Namespace,
      service: r.service,
      channel: r[ALERTS.channelDimension],
    }));
    const expected = (name: string, channel: string) => [
      { name, dimensions: [['service', 'Channel']], namespace: 'Berth', service: 'berth-alerts', channel },
      { name, dimensions: [['service']], namespace: 'Berth', service: 'berth-alerts', channel: undefined },
    ];
    expect(metrics).toEqual(
      expect.arrayContaining([
        ...expected('AlertDeliveryFailed', 'ops'),
        ...expected('AlertDelivered', 'team'),
        ...expected('AlertChannelNotSet', 'later'),
      ]),
    );
    expect(metrics).toHaveLength(6);
  });

  it('given everything the function wrote, when searched, then no part of a URL is there', async () => {
    await handler(event(record(JSON.stringify(ALARM_MESSAGE), ALARM_SUBJECT)), context);

    const written = output.join('');
    expect(
      records().some((r) => r.level === 'ERROR' && String(r.reason).includes('invalid_token [redacted]')),
    ).toBe(true);
    for (const part of ['hooks.slack.com/services', 'xoxSecretToken', 'TeamsSigSecret', 'logic.azure.com']) {
      expect(written).not.toContain(part);
    }
  });
});
