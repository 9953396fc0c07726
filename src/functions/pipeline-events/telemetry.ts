import type { Metrics } from '@aws-lambda-powertools/metrics';
import { PROJECT_DIMENSION, type PipelineEventsMetricName } from './metrics';

/** The logging the function needs; Powertools' Logger fits it. */
export interface Log {
  debug(message: string, ...attributes: Record<string, unknown>[]): void;
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}

/** Counts one occurrence of a metric for a project. */
export interface CountMetrics {
  count(name: PipelineEventsMetricName, project: string): void;
}

/**
 * Emits each count at once as its own EMF record with exactly the `service` and `Project` dimensions:
 * a single-metric instance gets one dimension set (default `service` + `Project`) and is flushed by
 * `addMetric`, so no buffered dimension can leak from one metric into another.
 */
export function powertoolsCounter(metrics: Metrics): CountMetrics {
  return {
    count(name, project) {
      const single = metrics.singleMetric();
      single.addDimensions({ [PROJECT_DIMENSION]: project });
      single.addMetric(name, 'Count', 1);
    },
  };
}
