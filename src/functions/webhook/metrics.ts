/**
 * The webhook's outcomes and the CloudWatch metric each one counts. A pure module: the dashboard (CDK side)
 * imports these names, the handler emits them with Powertools Metrics (one count of 1 per request, unit Count,
 * only Powertools' default `service` dimension, namespace from `POWERTOOLS_METRICS_NAMESPACE`).
 */

/** Metric name per outcome. Every request ends in exactly one outcome. */
export const WEBHOOK_METRICS = {
  started: 'WebhookStarted',
  ignored: 'WebhookIgnored',
  unauthorized: 'WebhookUnauthorized',
  forbidden: 'WebhookForbidden',
  badRequest: 'WebhookBadRequest',
  notFound: 'WebhookNotFound',
  tooLarge: 'WebhookTooLarge',
  retryable: 'WebhookRetryable',
} as const;

export type WebhookOutcome = keyof typeof WEBHOOK_METRICS;

/** All metric names, in a stable order (for dashboards and alarms). */
export const WEBHOOK_METRIC_NAMES: readonly string[] = Object.values(WEBHOOK_METRICS);

/** The namespace the CDK sets in `POWERTOOLS_METRICS_NAMESPACE`; the handler falls back to it. */
export const WEBHOOK_METRICS_NAMESPACE = 'Berth';
