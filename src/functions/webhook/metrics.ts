/**
 * The webhook's outcomes and the CloudWatch metric each one counts, from the shared contracts (the dashboard and
 * the alarms import them from src/contracts.ts). The handler emits one count of 1 per request, unit Count, with only
 * Powertools' default `service` dimension, in the namespace from `POWERTOOLS_METRICS_NAMESPACE`.
 */
import { METRICS_NAMESPACE, WEBHOOK_METRICS, type WebhookOutcome } from '../../contracts';

export { WEBHOOK_METRICS, type WebhookOutcome };

/** All metric names, in a stable order (for dashboards and alarms). */
export const WEBHOOK_METRIC_NAMES: readonly string[] = Object.values(WEBHOOK_METRICS);

/** The namespace the CDK sets in `POWERTOOLS_METRICS_NAMESPACE`; the handler falls back to it. */
export const WEBHOOK_METRICS_NAMESPACE = METRICS_NAMESPACE;
