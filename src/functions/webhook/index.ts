import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createClients, pipelineStarter, secretFetcher } from './aws';
import { createHandler } from './handler';
import { WEBHOOK_METRICS_NAMESPACE } from './metrics';
import { SecretCache } from './secret-cache';
import { loadSettings, WEBHOOK_PROJECTS_ENV } from './settings';

/**
 * Lambda entry for `POST /webhook/{service}` (HTTP API, payload format 2.0). Everything here runs once per
 * cold start: settings are parsed and validated, clients and the secret cache are created. No CDK imports.
 */

const logger = new Logger();
const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || WEBHOOK_METRICS_NAMESPACE,
});
const settings = loadSettings(process.env[WEBHOOK_PROJECTS_ENV]);
if (!settings.ok)
  logger.error('webhook settings are invalid; every request will get 503', { error: settings.error });
const clients = createClients();

export const handler = createHandler({
  settings,
  secrets: new SecretCache(secretFetcher(clients.secretsManager)),
  startPipeline: pipelineStarter(clients.codePipeline),
  logger,
  metrics,
});
