import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Duration } from 'aws-cdk-lib';
import { platformNames, projectNames } from '../config/names';
import type { ParsedConfig, ParsedProject } from '../config/schema';
import {
  PIPELINE_EVENTS_METRICS,
  PROJECT_DIMENSION,
  SERVICE_DIMENSION,
} from '../functions/pipeline-events/metrics';
import { WEBHOOK_METRICS, WEBHOOK_METRICS_NAMESPACE } from '../functions/webhook/metrics';
import { PIPELINE_METRICS_NAMESPACE } from './pipeline-events';

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
      namespace: PIPELINE_METRICS_NAMESPACE,
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

/** One metric per webhook outcome (Powertools' `service` dimension is the function name). */
export function webhookOutcomeMetrics(
  c: Pick<ParsedConfig, 'prefix'>,
  period: Duration = Duration.minutes(5),
): cloudwatch.Metric[] {
  return Object.entries(WEBHOOK_METRICS).map(
    ([outcome, metricName]) =>
      new cloudwatch.Metric({
        namespace: WEBHOOK_METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { [SERVICE_DIMENSION]: platformNames(c).webhookFunctionName },
        statistic: cloudwatch.Stats.SUM,
        period,
        label: outcome,
      }),
  );
}

/**
 * The CloudWatch search expression for a target-group metric of one project.
 *
 * A target group's `TargetGroup` dimension is `targetgroup/<name>/<hash>`; the hash is only known to the project
 * stack, so the platform searches for it. Per CloudWatch's search syntax, a quoted term is an exact match of a
 * WHOLE name or value (`"targetgroup/berth-x/"` would match nothing); an unquoted term is tokenized on
 * non-alphanumeric characters and matches consecutive tokens anywhere in a value. So `targetgroup/berth-cash`
 * matches `targetgroup/berth-cash/0f3...` but also `targetgroup/berth-cash-collection/...`: the search therefore
 * excludes (`NOT`) every other project of this config whose name starts with this one's.
 */
export function targetGroupSearch(
  c: Pick<ParsedConfig, 'prefix'>,
  project: Pick<ParsedProject, 'name'>,
  allProjects: readonly Pick<ParsedProject, 'name'>[],
  metricName: string,
  statistic: string,
  period: Duration = ONE_MINUTE,
): string {
  const term = (p: Pick<ParsedProject, 'name'>) => `targetgroup/${projectNames(c, p).qualified}`;
  const excluded = allProjects
    .filter((o) => o.name !== project.name && o.name.startsWith(project.name))
    .map((o) => ` NOT ${term(o)}`)
    .join('');
  return (
    `SEARCH('{AWS/ApplicationELB,LoadBalancer,TargetGroup} MetricName="${metricName}" ` +
    `${term(project)}${excluded}', '${statistic}', ${period.toSeconds()})`
  );
}

/** A project's target-group metrics for the dashboard, by search (see {@link targetGroupSearch}). */
export function targetGroupSearches(
  c: Pick<ParsedConfig, 'prefix'>,
  project: Pick<ParsedProject, 'name'>,
  allProjects: readonly Pick<ParsedProject, 'name'>[],
): {
  requests: cloudwatch.SearchExpression;
  target5xx: cloudwatch.SearchExpression;
  responseTimeP99: cloudwatch.SearchExpression;
} {
  const search = (metricName: string, statistic: string, label: string) =>
    new cloudwatch.SearchExpression({
      expression: targetGroupSearch(c, project, allProjects, metricName, statistic),
      label,
      period: ONE_MINUTE,
    });
  return {
    requests: search('RequestCount', 'Sum', 'requests'),
    target5xx: search('HTTPCode_Target_5XX_Count', 'Sum', 'target 5xx'),
    responseTimeP99: search('TargetResponseTime', 'p99', 'p99 (s)'),
  };
}
