import type { Context, SNSEvent, SNSEventRecord } from 'aws-lambda';
import { ALERTS, type AlertChannelSettings } from '../../contracts';
import { isLegacyTeamsConnector, webhookUrlProblem } from '../../shared/alert-channels';
import { withTimeout } from '../../shared/timeout';
import { postJson, type HttpDeps, type RetryPolicy } from './deliver';
import { formatFor } from './format';
import { readMessage, type Alert } from './message';
import type { ChannelUrls } from './secrets';
import type { AlertsSettings } from './settings';
import type { ChannelMetrics, ChannelOutcome, Log } from './telemetry';
import { describeError, truncate } from './text';

/**
 * The alerts function's logic around injected dependencies: every message of the alarm topic (an alarm state
 * change, a failed release, an approval request, a test) is read once and posted to every configured chat channel
 * side by side, or only to the channel a test addresses (SNS attribute `ALERTS.channelAttribute`).
 *
 * It never throws for a channel: a URL that cannot be read or is not valid, a refusal, or a failure after the bounded
 * retries is logged and counted (`AlertDeliveryFailed`), and the other channels are served all the same. A channel
 * whose URL is still empty is a warning and an `AlertChannelNotSet` count. A throw would make Lambda retry the whole
 * message and post it twice to the channels that got it. No log line, metric or result ever holds a URL.
 */

export interface AlertsBudget {
  /** Each secret read gives up after this long. @default 5000 */
  readonly secretTimeoutMs: number;
  /** Kept free before the Lambda's own deadline. @default 2000 */
  readonly safetyMarginMs: number;
  /** Without a Lambda context, the time allowed for one message. @default 25000 */
  readonly defaultBudgetMs: number;
}

export const DEFAULT_ALERTS_BUDGET: AlertsBudget = {
  secretTimeoutMs: 5000,
  safetyMarginMs: 2000,
  defaultBudgetMs: 25_000,
};

export interface AlertsDeps extends HttpDeps {
  readonly settings: AlertsSettings;
  readonly urls: ChannelUrls;
  readonly logger: Log;
  readonly metrics: ChannelMetrics;
  /** The function's region, for alarm links when an alarm's ARN has none. */
  readonly region?: string;
  readonly retry?: Partial<RetryPolicy>;
  readonly budget?: Partial<AlertsBudget>;
}

export interface ChannelResult {
  readonly channel: string;
  readonly outcome: ChannelOutcome;
  readonly attempts?: number;
  readonly status?: number;
  readonly reason?: string;
}

export interface MessageResult {
  readonly messageId: string;
  readonly title: string;
  readonly channels: readonly ChannelResult[];
}

export interface AlertsResult {
  readonly messages: readonly MessageResult[];
}

export type AlertsHandler = (
  event: SNSEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<AlertsResult>;

export function createAlertsHandler(deps: AlertsDeps): AlertsHandler {
  const { settings, logger } = deps;
  const budget: AlertsBudget = { ...DEFAULT_ALERTS_BUDGET, ...deps.budget };

  const count = (outcome: ChannelOutcome, channel: string) => {
    try {
      deps.metrics.count(outcome, channel);
    } catch (err) {
      logger.warn('Could not emit a metric', { outcome, channel, error: describeError(err) });
    }
  };

  async function deliver(
    channel: AlertChannelSettings,
    alert: Alert,
    deadline: number,
    log: Record<string, unknown>,
  ): Promise<ChannelResult> {
    const where = { ...log, channel: channel.name, channelType: channel.type };
    const failed = (reason: string, extra: { attempts?: number; status?: number } = {}): ChannelResult => {
      logger.error('The alert did not reach the chat channel', { ...where, reason, ...extra });
      count('failed', channel.name);
      return { channel: channel.name, outcome: 'failed', reason, ...extra };
    };
    try {
      let url: string;
      try {
        url = await withTimeout(
          deps.urls.url(channel.secretId),
          budget.secretTimeoutMs,
          (ms) => `reading the secret took longer than ${ms} ms`,
        );
      } catch (err) {
        return failed(`could not read the channel's URL from ${channel.secretId}: ${describeError(err)}`);
      }
      if (url === '') {
        logger.warn(
          `The chat channel has no URL yet: store it with npx --no-install berth alerts set-webhook ${channel.name}`,
          { ...where, secretId: channel.secretId },
        );
        count('notSet', channel.name);
        return { channel: channel.name, outcome: 'notSet' };
      }
      const problem = webhookUrlProblem(channel.type, url);
      if (problem) {
        return failed(`the URL in ${channel.secretId} is not a ${channel.type} incoming webhook: ${problem}`);
      }
      const result = await postJson(url, formatFor(channel.type, alert), deps, {
        policy: deps.retry,
        deadline,
        legacyConnector: channel.type === 'teams' && isLegacyTeamsConnector(url),
      });
      if (result.outcome === 'failed') {
        return failed(result.reason, {
          attempts: result.attempts,
          ...(result.status !== undefined ? { status: result.status } : {}),
        });
      }
      logger.info('Posted the alert to the chat channel', {
        ...where,
        attempts: result.attempts,
        status: result.status,
      });
      count('delivered', channel.name);
      return {
        channel: channel.name,
        outcome: 'delivered',
        attempts: result.attempts,
        status: result.status,
      };
    } catch (err) {
      return failed(`unexpected error: ${describeError(err)}`);
    }
  }

  async function handleRecord(record: SNSEventRecord, deadline: number): Promise<MessageResult> {
    const sns = record.Sns;
    const alert = readMessage({ Subject: sns.Subject, Message: sns.Message ?? '' }, deps.region);
    const target = sns.MessageAttributes?.[ALERTS.channelAttribute]?.Value;
    const log = { messageId: sns.MessageId, title: truncate(alert.title, 200) };
    const channels =
      target === undefined ? settings.channels : settings.channels.filter((c) => c.name === target);
    if (target !== undefined && channels.length === 0) {
      logger.warn('The message addresses a chat channel this function does not know; nothing posted', {
        ...log,
        target: truncate(target, 64),
      });
    }
    const results = await Promise.all(channels.map((c) => deliver(c, alert, deadline, log)));
    return { messageId: sns.MessageId, title: alert.title, channels: results };
  }

  return async function handle(event, context) {
    const startedAt = deps.now();
    const remaining = context?.getRemainingTimeInMillis?.();
    const deadline =
      startedAt +
      (typeof remaining === 'number' && Number.isFinite(remaining)
        ? remaining - budget.safetyMarginMs
        : budget.defaultBudgetMs);
    const records = Array.isArray(event?.Records) ? event.Records : [];
    const messages: MessageResult[] = [];
    // SNS delivers one record per invocation; several would share the deadline in turn.
    for (const record of records) {
      try {
        messages.push(await handleRecord(record, deadline));
      } catch (err) {
        logger.error('Could not handle a message of the alarm topic', { error: describeError(err) });
      }
    }
    return { messages };
  };
}
