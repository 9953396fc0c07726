/**
 * The CloudWatch metrics the pipeline-events function emits, from the shared contracts (the dashboard and the
 * alarms import them from src/contracts.ts), in the namespace the CDK side sets through
 * `POWERTOOLS_METRICS_NAMESPACE` (Berth). Every metric is a Count of 1 and carries exactly two dimensions:
 * `service` (from `POWERTOOLS_SERVICE_NAME`) and {@link PROJECT_DIMENSION}.
 */
export {
  PIPELINE_EVENTS_METRICS,
  PROJECT_DIMENSION,
  SERVICE_DIMENSION,
  type PipelineEventsMetricName,
} from '../../contracts';
