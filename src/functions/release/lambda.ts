import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import type { CodePipelineEvent, Context } from 'aws-lambda';
import { METRICS_NAMESPACE } from '../../contracts';
import { codePipelineReporter } from './job';
import { createReleaseHandler, type StageSetup } from './runner';
import { powertoolsStageMetrics, systemClock } from './telemetry';

/**
 * AWS SDK settings of the release functions: bounded requests with a few retries. Region, credentials and
 * endpoints come from the environment (Lambda sets them; the rehearsal points them at an emulator).
 */
export const SDK_CONFIG = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 3000, requestTimeout: 20_000 },
} as const;

/**
 * The Lambda entry point of a release stage: Powertools Logger and Metrics, a CodePipeline client and the
 * stage, all built once per cold start. The event is handed to the runner and never logged.
 */
export function lambdaEntry<S>(
  stage: StageSetup<S>,
): (event: CodePipelineEvent, context: Context) => Promise<void> {
  const logger = new Logger();
  const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE });
  const handle = createReleaseHandler(stage, {
    reporter: codePipelineReporter(new CodePipelineClient(SDK_CONFIG)),
    logger,
    metrics: powertoolsStageMetrics(metrics),
    clock: systemClock,
  });
  return async (event, context) => {
    logger.addContext(context);
    await handle(event, context);
  };
}
