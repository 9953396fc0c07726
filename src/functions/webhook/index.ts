import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { createClients, pipelineStarter } from './aws';
import { WebhookCredentials } from './credentials';
import { createHandler } from './handler';
import { WEBHOOK_METRICS_NAMESPACE } from './metrics';
import { dynamoPushOrder } from './push-order';
import { loadWebhookEnvironment } from './settings';

/**
 * Lambda entry for `POST /webhook/{service}` (HTTP API, payload format 2.0). Everything here runs once per
 * cold start: the environment (WEBHOOK_PROJECTS, WEBHOOK_STATE_TABLE) is parsed and validated, clients and the
 * secrets provider (Powertools Parameters, values kept 60 s) are created. No CDK imports.
 */

const logger = new Logger();
const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || WEBHOOK_METRICS_NAMESPACE,
});
const settings = loadWebhookEnvironment(process.env);
if (!settings.ok)
  logger.error('webhook settings are invalid; every request will get 503', { error: settings.error });
const clients = createClients();

export const handler = createHandler({
  settings,
  credentials: new WebhookCredentials(new SecretsProvider({ awsSdkV3Client: clients.secretsManager })),
  pushOrder: dynamoPushOrder(clients.dynamoDb, settings.ok ? (settings.stateTable ?? '') : ''),
  startPipeline: pipelineStarter(clients.codePipeline),
  logger,
  metrics,
});
