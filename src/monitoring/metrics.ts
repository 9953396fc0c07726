import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Duration } from 'aws-cdk-lib';
import { platformNames, projectNames } from '../config/names';
import type { ParsedConfig, ParsedProject } from '../config/schema';
import {
  ALERTS,
  METRICS_NAMESPACE,
  PIPELINE_EVENTS_METRICS,
  PROJECT_DIMENSION,
  RELEASE_METRICS,
  SERVICE_DIMENSION,
  STAGE_DIMENSION,
  WEBHOOK_METRICS,
  type WebhookOutcome,
} from '../contracts';

/**
 * Metrics addressed by names derived from the config, not by constructs. The dashboard lives in the platform
 * stack and must show every project without importing a project stack, so a project's metrics are built here from
 * `<prefix>-<project>` names; the project stack's alarms use the same builders so both watch the same series.
 */

/** Container Insights namespace (the cluster has Container Insights on). */
export const CONTAINER_INSIGHTS_NAMESPACE = 'ECS/ContainerInsights';

const ONE_MINUTE = Duration.minutes(1);

/** Running and desired task counts of an ECS service, from Container Insights. */
export function taskCountMetrics(
  clusterName: string,
  serviceName: string,
  period: Duration = ONE_MINUTE,
): { running: cloudwatch.Metric; desired: cloudwatch.Metric } {
  const metric = (metricName: string, label: string) =>
    new cloudwatch.Metric({
      namespace: CONTAINER_INSIGHTS_NAMESPACE,
      metricName,
      dimensionsMap: { ClusterName: clusterName, ServiceName: serviceName },
      statistic: cloudwatch.Stats.MAXIMUM,
      period,
      label,
    });
  return { running: metric('RunningTaskCount', 'running'), desired: metric('DesiredTaskCount', 'desired') };
}

/** CPU and memory utilization of an ECS service (percent of its reservation / hard limit). */
export function serviceUtilizationMetrics(
  clusterName: string,
  serviceName: string,
  period: Duration = ONE_MINUTE,
): { cpu: cloudwatch.Metric; memory: cloudwatch.Metric } {
  const metric = (metricName: string, label: string) =>
    new cloudwatch.Metric({
      namespace: 'AWS/ECS',
      metricName,
      dimensionsMap: { ClusterName: clusterName, ServiceName: serviceName },
      statistic: cloudwatch.Stats.AVERAGE,
      period,
      label,
    });
  return { cpu: metric('CPUUtilization', 'CPU %'), memory: metric('MemoryUtilization', 'memory %') };
}

/** A project's pipeline outcomes, as counted by the pipeline-events function. */
export function pipelineOutcomeMetrics(
  c: Pick<ParsedConfig, 'prefix'>,
  project: Pick<ParsedProject, 'name'>,
  period: Duration = Duration.minutes(5),
): { succeeded: cloudwatch.Metric; failed: cloudwatch.Metric } {
  const metric = (metricName: string, label: string) =>
    new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: {
        [SERVICE_DIMENSION]: platformNames(c).pipelineEventsFunctionName,
        [PROJECT_DIMENSION]: project.name,
      },
      statistic: cloudwatch.Stats.SUM,
      period,
      label,
    });
  return {
    succeeded: metric(PIPELINE_EVENTS_METRICS.pipelineSucceeded, 'succeeded'),
    failed: metric(PIPELINE_EVENTS_METRICS.pipelineFailed, 'failed'),
  };
}

/** One webhook outcome's count (Powertools' `service` dimension is the function name). */
export function webhookOutcomeMetric(
  c: Pick<ParsedConfig, 'prefix'>,
  outcome: WebhookOutcome,
  period: Duration = Duration.minutes(5),
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: WEBHOOK_METRICS[outcome],
    dimensionsMap: { [SERVICE_DIMENSION]: platformNames(c).webhookFunctionName },
    statistic: cloudwatch.Stats.SUM,
    period,
    label: outcome,
  });
}

/** One metric per webhook outcome, in the contracts' order. */
export function webhookOutcomeMetrics(
  c: Pick<ParsedConfig, 'prefix'>,
  period: Duration = Duration.minutes(5),
): cloudwatch.Metric[] {
  return (Object.keys(WEBHOOK_METRICS) as WebhookOutcome[]).map((o) => webhookOutcomeMetric(c, o, period));
}

/** The release stages that run as Lambda functions and emit {@link RELEASE_METRICS} (the `Stage` dimension). */
export const RELEASE_STAGES = ['Scan', 'Push', 'Deploy', 'Verify'] as const;
export type ReleaseStage = (typeof RELEASE_STAGES)[number];

/**
 * A release stage's metrics, as its function emits them: dimensions `service` (the function's name,
 * `<prefix>-<project>-<stage>`), `Project` and `Stage`.
 */
export function releaseStageMetrics(
  c: Pick<ParsedConfig, 'prefix'>,
  project: Pick<ParsedProject, 'name'>,
  stage: ReleaseStage,
  period: Duration = Duration.hours(1),
): { succeeded: cloudwatch.Metric; failed: cloudwatch.Metric; seconds: cloudwatch.Metric } {
  const dimensionsMap = {
    [SERVICE_DIMENSION]: projectNames(c, project).releaseFunction(stage.toLowerCase()),
    [PROJECT_DIMENSION]: project.name,
    [STAGE_DIMENSION]: stage,
  };
  const metric = (metricName: string, statistic: string, label: string) =>
    new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap,
      statistic,
      period,
      label,
    });
  return {
    succeeded: metric(RELEASE_METRICS.stageSucceeded, cloudwatch.Stats.SUM, `${stage} succeeded`),
    failed: metric(RELEASE_METRICS.stageFailed, cloudwatch.Stats.SUM, `${stage} failed`),
    seconds: metric(RELEASE_METRICS.stageSeconds, cloudwatch.Stats.MAXIMUM, `${stage} (max s)`),
  };
}

/**
 * The alerts function's outcomes summed over its channels (it emits each count twice: per `Channel`, and with
 * `service` alone for this sum).
 */
export function alertOutcomeMetrics(
  functionName: string,
  period: Duration = Duration.minutes(5),
): { delivered: cloudwatch.Metric; failed: cloudwatch.Metric; notSet: cloudwatch.Metric } {
  const metric = (metricName: string, label: string) =>
    new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { [SERVICE_DIMENSION]: functionName },
      statistic: cloudwatch.Stats.SUM,
      period,
      label,
    });
  return {
    delivered: metric(ALERTS.metrics.delivered, 'delivered'),
    failed: metric(ALERTS.metrics.failed, 'failed'),
    notSet: metric(ALERTS.metrics.notSet, 'URL not set'),
  };
}

/**
 * The CloudWatch search expression for a target-group metric of one target group, by its name.
 *
 * A target group's `TargetGroup` dimension is `targetgroup/<name>/<id>`; the id is only known to the project stack,
 * so the platform searches for it. Per CloudWatch's search syntax, a quoted term is an exact match of a WHOLE name or
 * value (`"targetgroup/berth-x/"` would match nothing); an unquoted term is tokenized on non-alphanumeric
 * characters and matches consecutive tokens anywhere in a value. So `targetgroup/berth-cash-0a1b2c` matches
 * `targetgroup/berth-cash-0a1b2c/0f3...`, and would also match a target group whose name extends it
 * (`berth-cash-0a1b2c-...`): the search excludes (`NOT`) every other given name that does.
 */
export function targetGroupSearch(
  name: string,
  otherNames: readonly string[],
  metricName: string,
  statistic: string,
  period: Duration = ONE_MINUTE,
): string {
  const term = (n: string) => `targetgroup/${n}`;
  const excluded = otherNames
    .filter((o) => o !== name && o.startsWith(`${name}-`))
    .map((o) => ` NOT ${term(o)}`)
    .join('');
  return (
    `SEARCH('{AWS/ApplicationELB,LoadBalancer,TargetGroup} MetricName="${metricName}" ` +
    `${term(name)}${excluded}', '${statistic}', ${period.toSeconds()})`
  );
}

/**
 * A routed project's target-group metrics for the dashboard, by search (see {@link targetGroupSearch}): `name` is its
 * target group's name, `otherNames` those of the other routed projects (a worker has no target group, so no such
 * metric can exist for it).
 */
export function targetGroupSearches(
  name: string,
  otherNames: readonly string[],
): {
  requests: cloudwatch.SearchExpression;
  target5xx: cloudwatch.SearchExpression;
  responseTimeP99: cloudwatch.SearchExpression;
} {
  const search = (metricName: string, statistic: string, label: string) =>
    new cloudwatch.SearchExpression({
      expression: targetGroupSearch(name, otherNames, metricName, statistic),
      label,
      period: ONE_MINUTE,
    });
  return {
    requests: search('RequestCount', 'Sum', 'requests'),
    target5xx: search('HTTPCode_Target_5XX_Count', 'Sum', 'target 5xx'),
    responseTimeP99: search('TargetResponseTime', 'p99', 'p99 (s)'),
  };
}
