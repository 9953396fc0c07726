import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../src/cli/main';
import { NO_ALERT_DESTINATION_WARNING } from '../../src/shared/alert-channels';
import { assertNoSecretsWritten, capture, mockAws, run, stack, waitFor, writeConfig } from './helpers';

/**
 * `berth alerts set-webhook <channel>` and `berth alerts test [<channel>]` against mocked Secrets Manager,
 * CloudFormation and SNS, run in-process through `runCli`.
 */

const SLACK_URL = 'https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/xoxSecretToken1234567890ab';
const TEAMS_URL =
  'https://prod-42.westeurope.logic.azure.com:443/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=2016-06-01&sig=TeamsSigSecret-0123456789abcdefghij';
const LEGACY_TEAMS_URL =
  'https://contoso.webhook.office.com/webhookb2/1111-2222@3333/IncomingWebhook/legacySecret5566/7777';
const VERSION = 'a1b2c3d4-0000-4000-8000-0000000000aa';
const STACK_ID =
  'arn:aws:cloudformation:us-east-1:111122223333:stack/berth-platform/0f1e2d3c-aaaa-bbbb-cccc-000000000000';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:111122223333:berth-alarms';
const URL_PARTS = ['xoxSecretToken', 'TeamsSigSecret', 'legacySecret5566', 'T0AAAAAAA/B0BBBBBBB'];

const aws = mockAws();
const sns = mockClient(SNSClient);
let config: ReturnType<typeof writeConfig>;
let noChat: ReturnType<typeof writeConfig>;
let deps: CliDeps;

/** Runs `berth <args> --config <file>` in-process. */
const runAlerts = (args: string[], c: ReturnType<typeof capture>, file = config.file) =>
  run(args, c, file, deps);

beforeAll(() => {
  config = writeConfig({
    alerts: {
      emails: ['ops@example.com'],
      chat: [
        { name: 'ops', type: 'slack' },
        { name: 'team', type: 'teams' },
      ],
    },
  });
  noChat = writeConfig();
});
afterAll(() => {
  config.remove();
  noChat.remove();
});

beforeEach(() => {
  aws.sm.reset();
  aws.cfn.reset();
  sns.reset();
  aws.regions.length = 0;
  aws.sm.on(PutSecretValueCommand).callsFake((input: { SecretId: string }) => ({
    ARN: `arn:aws:secretsmanager:us-east-1:111122223333:secret:${input.SecretId}-AbCdEf`,
    Name: input.SecretId,
    VersionId: VERSION,
  }));
  aws.cfn.on(DescribeStacksCommand, { StackName: 'berth-platform' }).resolves({
    Stacks: [{ ...stack('berth-platform', { ApiUrl: 'https://x/' }), StackId: STACK_ID }],
  });
  sns.on(PublishCommand).resolves({ MessageId: 'msg-0001' });
  deps = { aws: aws.factory };
});

afterEach(() => assertNoSecretsWritten(URL_PARTS));

const puts = () => aws.sm.commandCalls(PutSecretValueCommand).map((c) => c.args[0].input);
const publishes = () => sns.commandCalls(PublishCommand).map((c) => c.args[0].input);

describe('berth alerts set-webhook: storing a URL', () => {
  it('given a Slack URL piped on stdin, when set-webhook runs, then it stores {"url"} in the channel secret and prints the name and version only', async () => {
    const r = await runAlerts(['alerts', 'set-webhook', 'ops'], capture({ stdin: `${SLACK_URL}\n` }));

    expect(r.code).toBe(0);
    expect(puts()).toEqual([
      { SecretId: 'berth/alerts/ops', SecretString: JSON.stringify({ url: SLACK_URL }) },
    ]);
    expect(r.stdout).toBe(
      `Stored the Slack webhook URL of ops in berth/alerts/ops (version ${VERSION}). Send a test with: npx --no-install berth alerts test ops\n`,
    );
    expect(r.stderr).toBe('');
  });

  it('given a Teams Workflows URL or a legacy connector URL, when set-webhook runs for the Teams channel, then it is stored', async () => {
    for (const url of [TEAMS_URL, LEGACY_TEAMS_URL]) {
      aws.sm.resetHistory();
      const r = await runAlerts(['alerts', 'set-webhook', 'team'], capture({ stdin: url }));

      expect(r.code, url.slice(0, 30)).toBe(0);
      expect(puts()[0]).toEqual({ SecretId: 'berth/alerts/team', SecretString: JSON.stringify({ url }) });
    }
  });

  it('given --json, when set-webhook succeeds, then stdout is {channel, type, secretName, versionId}', async () => {
    const r = await runAlerts(['alerts', 'set-webhook', 'ops', '--json'], capture({ stdin: SLACK_URL }));

    expect(JSON.parse(r.stdout)).toEqual({
      channel: 'ops',
      type: 'slack',
      secretName: 'berth/alerts/ops',
      versionId: VERSION,
    });
  });

  it('given a terminal, when the user types the URL at the prompt, then it is stored and never echoed', async () => {
    const c = capture({ stdin: 'tty' });
    const result = runAlerts(['alerts', 'set-webhook', 'ops'], c);
    await waitFor(() => c.stderr().includes('input hidden'));
    c.type(`${SLACK_URL}\r`);
    const r = await result;

    expect(r.code).toBe(0);
    expect(puts()[0].SecretString).toBe(JSON.stringify({ url: SLACK_URL }));
    expect(r.stderr).toBe('Slack incoming-webhook URL for ops (input hidden): \n');
  });

  it("given the config's region, when set-webhook runs, then the secret is written in that region", async () => {
    const r = await runAlerts(['alerts', 'set-webhook', 'ops'], capture({ stdin: SLACK_URL }));

    expect(r.code).toBe(0);
    expect(aws.regions).toEqual(['us-east-1']);
  });
});

describe('berth alerts set-webhook: refused URLs (never repeated)', () => {
  it.each([
    [
      'an http URL',
      'ops',
      'http://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/xoxSecretToken1234567890ab',
      /is not https/,
    ],
    [
      'another host for Slack',
      'ops',
      'https://hooks.slack.com.evil.example/services/T/B/xoxSecretToken1234',
      /host is not hooks\.slack\.com/,
    ],
    [
      'a Slack URL that is no incoming webhook',
      'ops',
      'https://hooks.slack.com/triggers/xoxSecretToken1234',
      /\/services\//,
    ],
    ['a Slack URL for the Teams channel', 'team', SLACK_URL, /not one of Microsoft's webhook hosts/],
    [
      'a host that only ends like a Teams host',
      'team',
      'https://evillogic.azure.com/workflows/xoxSecretToken1234',
      /not one of Microsoft's/,
    ],
    [
      'a URL with a user name',
      'ops',
      'https://u:xoxSecretToken1234@hooks.slack.com/services/T/B/C',
      /user name or password/,
    ],
    ['not a URL at all', 'ops', 'xoxSecretToken1234567890ab', /not a URL/],
  ])(
    'given %s, when set-webhook runs, then it exits 2 and stores nothing',
    async (_what, channel, url, why) => {
      const r = await runAlerts(['alerts', 'set-webhook', channel], capture({ stdin: `${url}\n` }));

      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).not.toContain(url);
      expect(puts()).toHaveLength(0);
    },
  );

  it('given an empty stdin, when set-webhook runs, then it says the URL is empty', async () => {
    const r = await runAlerts(['alerts', 'set-webhook', 'ops'], capture({ stdin: '\n' }));

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('The URL from stdin is empty');
  });

  it('given the URL as an argument, when set-webhook runs, then it refuses without printing it and warns about shell history', async () => {
    const r = await runAlerts(['alerts', 'set-webhook', 'ops', SLACK_URL], capture({ stdin: '' }));

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('never as an argument');
    expect(r.stderr).toContain('shell history');
    expect(puts()).toHaveLength(0);
  });

  it('given an unknown channel, when set-webhook runs, then it lists the configured channels', async () => {
    const r = await runAlerts(['alerts', 'set-webhook', 'nope'], capture({ stdin: SLACK_URL }));

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No chat channel "nope" under alerts.chat');
    expect(r.stderr).toContain('choose one of: ops, team.');
  });

  it('given a config without chat channels, when set-webhook runs, then it says how to add one', async () => {
    const r = await runAlerts(['alerts', 'set-webhook', 'ops'], capture({ stdin: SLACK_URL }), noChat.file);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('add one under alerts.chat ({ name, type: slack | teams })');
  });

  it('given the secret does not exist (platform not deployed), when set-webhook runs, then it says to deploy', async () => {
    aws.sm.reset();
    aws.sm.on(PutSecretValueCommand).rejects(
      Object.assign(new Error("Secrets Manager can't find the specified secret."), {
        name: 'ResourceNotFoundException',
      }),
    );

    const r = await runAlerts(['alerts', 'set-webhook', 'ops'], capture({ stdin: SLACK_URL }));

    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'Error: The secret berth/alerts/ops does not exist in us-east-1, so the stack berth-platform is not deployed: run `npx cdk deploy --all` first.\n',
    );
  });

  it('given an AWS error that echoes the request, when set-webhook runs, then the URL is still not printed', async () => {
    aws.sm.reset();
    aws.sm
      .on(PutSecretValueCommand)
      .rejects(
        Object.assign(new Error(`Throttled writing {"url":"${SLACK_URL}"}`), { name: 'ThrottlingException' }),
      );

    const r = await runAlerts(['alerts', 'set-webhook', 'ops'], capture({ stdin: SLACK_URL }));

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ThrottlingException');
    expect(r.stderr).toContain('{"url":"***"}');
  });
});

describe('berth alerts test', () => {
  it('given no channel, when test runs, then it publishes a plain-text message with a subject to the alarm topic, for everyone', async () => {
    const r = await runAlerts(['alerts', 'test'], capture());

    expect(r.code).toBe(0);
    expect(publishes()).toHaveLength(1);
    const p = publishes()[0];
    expect(p.TopicArn).toBe(TOPIC_ARN);
    expect(p.Subject).toBe('Berth: test alert (berth)');
    expect(p.MessageAttributes).toBeUndefined();
    expect(p.Message).toContain("This is a test of Berth's alerts");
    expect(p.Message).toContain('Sent to:    1 e-mail address(es) and the chat channel(s) ops, team');
    expect(r.stdout).toContain('Published a test message to berth-alarms (message id msg-0001)');
  });

  it('given a channel, when test runs, then the message is addressed to it by the SNS attribute the function and e-mail filters read', async () => {
    const r = await runAlerts(['alerts', 'test', 'team', '--json'], capture());

    expect(r.code).toBe(0);
    expect(publishes()[0]).toMatchObject({
      Subject: 'Berth: test alert for team (berth)',
      MessageAttributes: { 'berth-channel': { DataType: 'String', StringValue: 'team' } },
    });
    expect(JSON.parse(r.stdout)).toEqual({
      topicArn: TOPIC_ARN,
      messageId: 'msg-0001',
      channel: 'team',
      emails: 0,
      chat: ['team'],
    });
  });

  it('given the platform stack has an AlarmTopicArn output, when test runs, then that ARN is used', async () => {
    aws.cfn.reset();
    aws.cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          ...stack('berth-platform', { AlarmTopicArn: 'arn:aws:sns:us-east-1:444455556666:berth-alarms' }),
          StackId: STACK_ID,
        },
      ],
    });

    await runAlerts(['alerts', 'test'], capture());

    expect(publishes()[0].TopicArn).toBe('arn:aws:sns:us-east-1:444455556666:berth-alarms');
  });

  it('given no e-mail and no chat channel, when test runs, then it refuses: nothing would receive it', async () => {
    const r = await runAlerts(['alerts', 'test'], capture(), noChat.file);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain(NO_ALERT_DESTINATION_WARNING);
    expect(publishes()).toHaveLength(0);
  });

  it('given the platform stack is not deployed, when test runs, then it says to deploy', async () => {
    aws.cfn.reset();
    aws.cfn
      .on(DescribeStacksCommand)
      .rejects(
        Object.assign(new Error('Stack with id berth-platform does not exist'), { name: 'ValidationError' }),
      );

    const r = await runAlerts(['alerts', 'test'], capture());

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The stack berth-platform is not deployed in us-east-1');
  });

  it('given an identity without sns:Publish, when test runs, then it names the action and the topic', async () => {
    sns.reset();
    sns
      .on(PublishCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AuthorizationErrorException' }));

    const r = await runAlerts(['alerts', 'test'], capture());

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`may not call sns:Publish on the topic ${TOPIC_ARN}`);
  });

  it("given no access to the topic's KMS key, when test runs, then it says which key permissions are missing", async () => {
    sns.reset();
    sns.on(PublishCommand).rejects(Object.assign(new Error('denied'), { name: 'KMSAccessDeniedException' }));

    const r = await runAlerts(['alerts', 'test'], capture());

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('kms:GenerateDataKey* and kms:Decrypt');
  });

  it('given an unknown subcommand, when alerts runs, then it shows both usages', async () => {
    const r = await runAlerts(['alerts', 'send'], capture());

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('berth alerts set-webhook <channel>');
    expect(r.stderr).toContain('berth alerts test [<channel>]');
  });
});
