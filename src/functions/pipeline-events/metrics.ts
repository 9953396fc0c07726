/**
 * The CloudWatch metrics the pipeline-events function emits, in the namespace the CDK side sets through
 * `POWERTOOLS_METRICS_NAMESPACE` (Berth). Every metric is a Count of 1 and carries exactly two dimensions:
 * `service` (from `POWERTOOLS_SERVICE_NAME`) and {@link PROJECT_DIMENSION}. This module is pure: the
 * dashboard and the alarms import it.
 */
export const PIPELINE_EVENTS_METRICS = {
  /** An execution of a project's pipeline succeeded. */
  pipelineSucceeded: 'PipelineSucceeded',
  /** An execution of a project's pipeline failed (STOPPED is not counted: it is a deliberate act). */
  pipelineFailed: 'PipelineFailed',
  /** A commit status was accepted by Azure DevOps. */
  commitStatusPosted: 'CommitStatusPosted',
  /** A commit status could not be posted (after bounded retries, or a lookup or secret failed). */
  commitStatusFailed: 'CommitStatusFailed',
  /** No commit status was posted because the project's PAT secret still holds an empty `pat`. */
  commitStatusSkipped: 'CommitStatusSkipped',
} as const;

export type PipelineEventsMetricName = (typeof PIPELINE_EVENTS_METRICS)[keyof typeof PIPELINE_EVENTS_METRICS];

/** The dimension every pipeline-events metric carries besides `service`: the Berth project name. */
export const PROJECT_DIMENSION = 'Project';

/** The dimension Powertools adds from `POWERTOOLS_SERVICE_NAME`. */
export const SERVICE_DIMENSION = 'service';
