import type { Metrics } from '@aws-lambda-powertools/metrics';
import { ALERTS } from '../../contracts';

/** The logging the function needs; Powertools' Logger fits it. */
export interface Log {
  debug(message: string, ...attributes: Record<string, unknown>[]): void;
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}

export type ChannelOutcome = keyof typeof ALERTS.metrics;

/** Counts one outcome for one channel. */
export interface ChannelMetrics {
  count(outcome: ChannelOutcome, channel: string): void;
}

/**
 * Emits each count at once, twice, each as its own EMF record: with the dimensions `service` and `Channel`, and with
 * `service` alone (the sum over channels the alerts-undelivered alarm watches). A single-metric instance is flushed
 * by `addMetric`, so no dimension leaks from one record into another.
 */
export function powertoolsChannelMetrics(metrics: Metrics): ChannelMetrics {
  return {
    count(outcome, channel) {
      const name = ALERTS.metrics[outcome];
      const perChannel = metrics.singleMetric();
      perChannel.addDimensions({ [ALERTS.channelDimension]: channel });
      perChannel.addMetric(name, 'Count', 1);
      metrics.singleMetric().addMetric(name, 'Count', 1);
    },
  };
}
