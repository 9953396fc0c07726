import { PublishCommand } from '@aws-sdk/client-sns';
import { alertChannelSecret, platformNames } from '../../config/names';
import type { ParsedConfig } from '../../config/schema';
import { ALERTS } from '../../contracts';
import {
  NO_ALERT_DESTINATION_WARNING,
  WEBHOOK_HOSTS,
  webhookUrlProblem,
  type AlertChannelType,
} from '../../shared/alert-channels';
import { describeStack, errorName, putSecretString, translateAwsError } from '../aws';
import type { Command, CommandContext } from '../context';
import { CliError, usageError } from '../errors';
import { promptHidden, readAll, stripOneNewline } from '../prompt';

const USAGE = 'berth alerts set-webhook <channel> | test [<channel>]';
const SET_USAGE = 'berth alerts set-webhook <channel>';
const TEST_USAGE = 'berth alerts test [<channel>]';

/** The platform stack's output with the alarm topic's ARN, when the stack has one; else the ARN is derived. */
export const ALARM_TOPIC_OUTPUT = 'AlarmTopicArn';

const TYPE_NAMES: Readonly<Record<AlertChannelType, string>> = { slack: 'Slack', teams: 'Teams' };

/** `berth alerts set-webhook <channel>` and `berth alerts test [<channel>]`: chat channels of the alarm topic. */
export const alertsCommand: Command = {
  name: 'alerts',
  usage: USAGE,
  summary: "Store a chat channel's incoming-webhook URL, or send a test message to the alarm topic",
  description: [
    `${SET_USAGE}`,
    '  Stores the incoming-webhook URL of <channel> (a name under alerts.chat in the config) as {"url": "..."} in',
    "  the secret <prefix>/alerts/<channel>, and prints the secret's name and version id, never the URL: whoever",
    '  holds it can post to the channel. The URL is read from stdin when stdin is piped (one trailing newline is',
    '  dropped), otherwise from a prompt that does not echo it; never from a flag or an argument (shell history).',
    '  Slack: https://hooks.slack.com/services/... (an incoming webhook).',
    '  Teams: a Workflows (Power Automate) webhook URL on *.logic.azure.com or',
    '  *.environment.api.powerplatform.com, or a legacy connector URL on *.webhook.office.com.',
    '  The alerts function reads the URL again within a minute.',
    '',
    `${TEST_USAGE}`,
    '  Publishes a test message to the alarm topic <prefix>-alarms, so you see where alerts arrive: without',
    '  <channel> every e-mail address and chat channel gets it; with <channel> only that chat channel (e-mail',
    '  subscriptions filter it out). Needs sns:Publish on the topic and kms:GenerateDataKey* and kms:Decrypt on its',
    '  key (the topic is encrypted).',
    '',
    'Examples:',
    '  berth alerts set-webhook ops',
    '  printf %s "$SLACK_WEBHOOK_URL" | berth alerts set-webhook ops --json',
    '  berth alerts test ops',
  ].join('\n'),

  async run(ctx, positionals) {
    const [sub, ...rest] = positionals;
    if (sub === 'set-webhook') return setWebhook(ctx, rest);
    if (sub === 'test') return sendTest(ctx, rest);
    if (sub === undefined) {
      throw usageError(`Missing what to do: run \`${SET_USAGE}\` or \`${TEST_USAGE}\`.`);
    }
    throw usageError(
      `Unknown alerts command "${sub.slice(0, 40)}": run \`${SET_USAGE}\` or \`${TEST_USAGE}\`.`,
    );
  },
};

type Channel = ParsedConfig['alerts']['chat'][number];

/** The configured chat channel called `name`; a missing or unknown name is a usage error listing them. */
function channelOf(config: ParsedConfig, name: string | undefined, usage: string, file: string): Channel {
  const channels = config.alerts.chat;
  const list = channels.map((c) => c.name).join(', ');
  if (channels.length === 0) {
    throw usageError(
      `No chat channel in ${file}: add one under alerts.chat ({ name, type: slack | teams }), run \`npx cdk deploy --all\`, then \`${usage}\`.`,
      'usage',
    );
  }
  if (!name) throw usageError(`Missing <channel>: run \`${usage}\` with one of: ${list}.`);
  const found = channels.find((c) => c.name === name);
  if (!found) {
    throw usageError(
      `No chat channel "${name.slice(0, 40)}" under alerts.chat in ${file}: choose one of: ${list}.`,
    );
  }
  return found;
}

async function setWebhook(ctx: CommandContext, args: string[]): Promise<void> {
  if (args.length > 1) {
    // The extra argument may be the URL itself: never repeat it.
    for (const a of args.slice(1)) ctx.out.addSecret(a);
    throw usageError(
      `Too many arguments (${args.length}): run \`${SET_USAGE}\` with one channel, and give the URL on stdin or at the prompt, never as an argument. If you typed the URL on the command line, it is in your shell history: consider replacing the webhook.`,
    );
  }
  const config = ctx.config();
  const channel = channelOf(config, args[0], SET_USAGE, ctx.configFile);
  const secretName = alertChannelSecret(config, channel.name);
  const names = platformNames(config);
  const kind = TYPE_NAMES[channel.type];

  const fromTerminal = Boolean(ctx.io.stdin.isTTY);
  const url = fromTerminal
    ? await promptHidden(ctx.io, `${kind} incoming-webhook URL for ${channel.name} (input hidden): `)
    : stripOneNewline(await readAll(ctx.io.stdin));
  ctx.out.addSecret(url);
  const source = fromTerminal ? 'the prompt' : 'stdin';
  if (url === '') {
    throw usageError(
      `The URL from ${source} is empty: paste the incoming-webhook URL of the ${kind} channel (${WEBHOOK_HOSTS[channel.type]}).`,
    );
  }
  const problem = webhookUrlProblem(channel.type, url);
  if (problem) {
    throw usageError(`The URL from ${source} is not a ${kind} incoming-webhook URL: ${problem}.`);
  }

  const { region, clients } = ctx.aws();
  const versionId = await ctx.out.withProgress(`Storing the webhook URL in ${secretName} (${region})`, () =>
    putSecretString(clients.secretsManager, secretName, JSON.stringify({ url }), {
      region,
      stack: names.platformStack,
    }),
  );
  ctx.out.result(
    `Stored the ${kind} webhook URL of ${channel.name} in ${secretName} (version ${versionId}). Send a test with: npx --no-install berth alerts test ${channel.name}`,
    { channel: channel.name, type: channel.type, secretName, versionId },
  );
}

/** The alarm topic's ARN: the platform stack's output when it has one, else from the stack's own ARN and the topic's name. */
function topicArnOf(
  stack: { StackId?: string; Outputs?: { OutputKey?: string; OutputValue?: string }[] },
  topicName: string,
): string | undefined {
  const output = stack.Outputs?.find((o) => o.OutputKey === ALARM_TOPIC_OUTPUT)?.OutputValue;
  if (output) return output;
  const m = /^arn:(aws[a-z-]*):cloudformation:([a-z0-9-]+):(\d{12}):stack\//.exec(stack.StackId ?? '');
  return m ? `arn:${m[1]}:sns:${m[2]}:${m[3]}:${topicName}` : undefined;
}

async function sendTest(ctx: CommandContext, args: string[]): Promise<void> {
  if (args.length > 1) {
    throw usageError(`Too many arguments (${args.length}): run \`${TEST_USAGE}\` with one channel or none.`);
  }
  const config = ctx.config();
  const channel = args[0] === undefined ? undefined : channelOf(config, args[0], TEST_USAGE, ctx.configFile);
  if (!channel && config.alerts.emails.length === 0 && config.alerts.chat.length === 0) {
    throw usageError(`Nothing would receive the test. ${NO_ALERT_DESTINATION_WARNING}`);
  }
  const names = platformNames(config);
  const { region, clients } = ctx.aws();
  const stack = await ctx.out.withProgress(`Reading the stack ${names.platformStack} (${region})`, () =>
    describeStack(clients.cloudFormation, names.platformStack, region),
  );
  const topicArn = topicArnOf(stack, names.alarmTopicName);
  if (!topicArn) {
    throw new CliError(
      `The stack ${names.platformStack} in ${region} names no account in its id, so the alarm topic cannot be found: run \`npx cdk deploy --all\`, then try again.`,
      'stack-not-ready',
    );
  }

  const recipients = channel
    ? `the ${TYPE_NAMES[channel.type]} channel ${channel.name} only`
    : [
        config.alerts.emails.length > 0 ? `${config.alerts.emails.length} e-mail address(es)` : undefined,
        config.alerts.chat.length > 0
          ? `the chat channel(s) ${config.alerts.chat.map((c) => c.name).join(', ')}`
          : undefined,
      ]
        .filter(Boolean)
        .join(' and ');
  const sentAt = new Date().toISOString();
  const subject = `Berth: test alert${channel ? ` for ${channel.name}` : ''} (${config.prefix})`.slice(
    0,
    100,
  );
  const message = [
    `This is a test of Berth's alerts, sent with \`berth alerts test${channel ? ` ${channel.name}` : ''}\`. Nothing is wrong.`,
    '',
    `Sent to:    ${recipients}`,
    `Topic:      ${names.alarmTopicName}`,
    `Region:     ${region}`,
    `Time:       ${sentAt}`,
    '',
    'If you read this where you expect alarms and failed releases, they reach you.',
    '',
  ].join('\n');

  let messageId: string;
  try {
    const res = await ctx.out.withProgress(`Publishing a test message to ${names.alarmTopicName}`, () =>
      clients.sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: subject,
          Message: message,
          ...(channel
            ? {
                MessageAttributes: {
                  [ALERTS.channelAttribute]: { DataType: 'String', StringValue: channel.name },
                },
              }
            : {}),
        }),
      ),
    );
    messageId = res.MessageId ?? '(unknown)';
  } catch (e) {
    throw publishError(e, topicArn, names.alarmTopicName, names.platformStack, region);
  }

  const check = channel
    ? `If it does not arrive in ${channel.name}, read the log of ${names.alertsFunctionName} (Lambda console, Monitor): it names the channel and why; an unset URL is "has no URL yet".`
    : `E-mail addresses get it once they confirmed their subscription (AWS sends a confirmation e-mail after deploy); for chat channels, see the log of ${names.alertsFunctionName} if it does not arrive.`;
  ctx.out.result(
    `Published a test message to ${names.alarmTopicName} (message id ${messageId}) for ${recipients}. It should arrive within a minute. ${check}`,
    {
      topicArn,
      messageId,
      ...(channel ? { channel: channel.name } : {}),
      emails: channel ? 0 : config.alerts.emails.length,
      chat: channel ? [channel.name] : config.alerts.chat.map((c) => c.name),
    },
  );
}

function publishError(
  e: unknown,
  topicArn: string,
  topicName: string,
  stack: string,
  region: string,
): CliError {
  const name = errorName(e);
  if (name === 'NotFoundException' || name === 'NotFound') {
    return new CliError(
      `The alarm topic ${topicName} does not exist in ${region}, so the stack ${stack} is not deployed (or not up to date): run \`npx cdk deploy --all\` first.`,
      'stack-not-deployed',
    );
  }
  if (name === 'AuthorizationErrorException' || name === 'AuthorizationError') {
    return new CliError(
      `Your AWS identity may not call sns:Publish on the topic ${topicArn} in ${region}: use a profile or role that may (AWS_PROFILE), then try again.`,
      'aws-access-denied',
    );
  }
  if (/^KMS/.test(name)) {
    return new CliError(
      `Publishing to ${topicName} needs its KMS key, and ${name} was returned: your AWS identity needs kms:GenerateDataKey* and kms:Decrypt on the topic's key (platform stack, Alarms/Key); use a profile or role that has them, then try again.`,
      'aws-access-denied',
    );
  }
  return translateAwsError(e, { action: 'sns:Publish', resource: `the topic ${topicArn}`, region });
}
