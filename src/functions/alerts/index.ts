import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, SNSEvent } from 'aws-lambda';
import { createAlertsHandler, type AlertsHandler, type AlertsResult } from './handler';
import { powertoolsChannelUrls } from './secrets';
import { parseAlertsSettings } from './settings';
import { powertoolsChannelMetrics } from './telemetry';

/**
 * Lambda entry point, subscribed to the platform's alarm topic: a thin wrapper that builds the clients once per
 * container and hands each SNS event to the logic in ./handler.
 */

const logger = new Logger();
const metrics = new Metrics();

// Bounded SDK calls: the handler gives each secret read 5 s.
const secretsManager = new SecretsManagerClient({
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 },
});
// Each channel's URL, kept 60 s across invocations (an empty one is read again at once).
const urls = powertoolsChannelUrls(new SecretsProvider({ awsSdkV3Client: secretsManager }), 60);

let handle: AlertsHandler | undefined;

function getHandle(): AlertsHandler {
  handle ??= createAlertsHandler({
    // Read on first use so that a bad environment fails the invocation loudly, with the variable named.
    settings: parseAlertsSettings(process.env),
    urls,
    logger,
    metrics: powertoolsChannelMetrics(metrics),
    region: process.env.AWS_REGION,
    fetch: (input, init) => fetch(input, init),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    now: Date.now,
  });
  return handle;
}

export const handler = async (event: SNSEvent, context: Context): Promise<AlertsResult> => {
  logger.addContext(context);
  return getHandle()(event, context);
};
