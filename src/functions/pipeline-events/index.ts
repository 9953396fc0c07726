import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import type { PipelineExecutionStateChangeEvent } from './event';
import {
  createPipelineEventsHandler,
  type PipelineEventsHandler,
  type PipelineEventsResult,
} from './handler';
import { powertoolsSecrets } from './secrets';
import { parsePipelineEventsSettings } from './settings';
import { powertoolsCounter } from './telemetry';

/**
 * Lambda entry point for CodePipeline "Pipeline Execution State Change" events of Berth's pipelines: a
 * thin wrapper that builds the clients once per container and hands each event to the pure logic.
 */

const logger = new Logger();
const metrics = new Metrics();

// Bounded SDK calls: together with the handler's own timeouts they fit a 30 s Lambda timeout.
const sdk = { maxAttempts: 3, requestHandler: { connectionTimeout: 2000, requestTimeout: 4000 } };
const codePipeline = new CodePipelineClient(sdk);
const sns = new SNSClient(sdk);
// PAT and webhook secrets, each value kept 5 minutes across invocations (Powertools Parameters).
const secrets = powertoolsSecrets(
  new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient(sdk) }),
  300,
);

let handle: PipelineEventsHandler | undefined;

function getHandle(): PipelineEventsHandler {
  handle ??= createPipelineEventsHandler({
    // Read on first use so that a bad environment fails the invocation loudly, with the variable named.
    settings: parsePipelineEventsSettings(process.env),
    codePipeline,
    sns,
    secrets,
    logger,
    metrics: powertoolsCounter(metrics),
    fetch: (input, init) => fetch(input, init),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    now: Date.now,
  });
  return handle;
}

export const handler = async (
  event: PipelineExecutionStateChangeEvent,
  context: Context,
): Promise<PipelineEventsResult> => {
  logger.addContext(context);
  return getHandle()(event, context);
};
