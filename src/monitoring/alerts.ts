import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Duration, RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BerthFunction } from '../common/berth-function';
import { ALERTS, METRICS_NAMESPACE, type AlertChannelSettings } from '../contracts';
import { acknowledge } from '../nag';

/** The placeholder value of a channel secret: an empty URL, not a secret (the operator stores the real one). */
export const EMPTY_CHANNEL_SECRET = JSON.stringify({ url: '' });

export interface AlertChannelSecretProps {
  /** `<prefix>/alerts/<channel>` (`alertChannelSecret` in src/config/names.ts). */
  readonly secretName: string;
  /** The channel's name in berth.yaml. */
  readonly channel: string;
  readonly type: AlertChannelSettings['type'];
}

/**
 * The secret holding one chat channel's incoming-webhook URL, `{"url": "..."}`. Whoever holds the URL can post to
 * the channel, so it never appears in the config, a template, a log or an output: the stack creates the secret with
 * an empty URL, and the operator stores the URL with `npx --no-install berth alerts set-webhook <channel>`.
 * CloudFormation writes the placeholder only on create and never overwrites what the operator stored; the secret is
 * retained when the channel or the stack is removed.
 */
export class AlertChannelSecret extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: AlertChannelSecretProps) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      secretName: props.secretName,
      description: `Incoming-webhook URL of the ${props.type} alert channel ${props.channel}, as {"url": "..."}: set it with npx --no-install berth alerts set-webhook ${props.channel}`,
      // An empty placeholder, not a secret: the value is written by the operator after deploy.
      secretStringValue: SecretValue.unsafePlainText(EMPTY_CHANNEL_SECRET),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.secret,
      'AwsSolutions-SMG4',
      'An incoming-webhook URL is issued by Slack or Teams and cannot be rotated by a Lambda here; replace it with `berth alerts set-webhook` (docs/operations.md, Chat channels).',
    );
  }
}

export interface ChatAlertsProps {
  /** The platform alarm topic the function subscribes to. */
  readonly topic: sns.ITopic;
  /** The chat channels (`alertChannelSettings(config)` in src/shared/alert-channels.ts); at least one. */
  readonly channels: readonly AlertChannelSettings[];
  /** Physical function name (`platformNames(config).alertsFunctionName`). */
  readonly functionName: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Chat alerts: one secret per channel (see {@link AlertChannelSecret}) and the alerts function (src/functions/alerts),
 * subscribed to the alarm topic, which posts every alarm state change, failed release and approval request readably
 * to every channel (Slack: blocks; Teams: an Adaptive Card). It may read only the channels' secrets. Lambda does not
 * retry it on an error: it never fails for one channel, and a retry would post twice to the channels that got the
 * message; a crash is counted by the alerts-undelivered alarm.
 */
export class ChatAlerts extends Construct {
  readonly secrets: ReadonlyMap<string, AlertChannelSecret>;
  readonly handler: BerthFunction;
  readonly subscription: subscriptions.LambdaSubscription;

  constructor(scope: Construct, id: string, props: ChatAlertsProps) {
    super(scope, id);
    if (props.channels.length === 0) {
      throw new Error('ChatAlerts needs at least one chat channel (alerts.chat in berth.yaml)');
    }
    const secrets = new Map<string, AlertChannelSecret>();
    for (const channel of props.channels) {
      secrets.set(
        channel.name,
        new AlertChannelSecret(this, `Channel-${channel.name}`, {
          secretName: channel.secretId,
          channel: channel.name,
          type: channel.type,
        }),
      );
    }
    this.secrets = secrets;

    this.handler = new BerthFunction(this, 'Handler', {
      handlerDir: 'alerts',
      functionName: props.functionName,
      description: 'Berth alerts: alarm topic -> Slack and Teams incoming webhooks',
      // Three attempts of 5 s per channel (channels side by side), with backoff: well inside 30 s.
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      environment: {
        [ALERTS.channelsEnv]: JSON.stringify(props.channels),
        POWERTOOLS_SERVICE_NAME: props.functionName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });
    this.handler.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadAlertChannelUrls',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [...secrets.values()].map((s) => s.secret.secretArn),
      }),
    );
    this.handler.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.hours(1) });

    this.subscription = new subscriptions.LambdaSubscription(this.handler.function);
    props.topic.addSubscription(this.subscription);
  }
}
