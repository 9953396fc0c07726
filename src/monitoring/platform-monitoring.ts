import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { platformNames } from '../config/names';
import type { ParsedProject } from '../config/schema';
import { natAlarmNames, platformAlarmNames, type PlatformAlarmNames } from './alarm-names';
import { berthAlarm } from './berth-alarm';
import { BerthDashboard, type PlatformMetrics } from './dashboard';
import { DEFAULT_THRESHOLDS, type PlatformThresholds } from './thresholds';

export interface PlatformMonitoringProps {
  /** The config's prefix: alarm names start with it and project names are derived from it. */
  readonly prefix: string;
  /** The alarm topic every alarm notifies on ALARM and OK. */
  readonly topic: sns.ITopic;
  /** The HTTP API's stage (`$default`): its metrics carry the ApiId and Stage dimensions. */
  readonly apiStage: apigw.HttpStage;
  /** The API's JSON access log group; 429 answers are counted from it (HTTP APIs publish no throttle metric). */
  readonly apiAccessLogGroup: logs.ILogGroup;
  /** The webhook function; its timeout sets the duration alarm's limit. */
  readonly webhookFunction: lambda.Function;
  /** The shared internal ALB. */
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The ECS cluster. */
  readonly cluster: ecs.Cluster;
  /** The cluster's Auto Scaling group (group metrics enabled). */
  readonly autoScalingGroup: autoscaling.IAutoScalingGroup;
  /** The group's minimum size: fewer in-service instances for 10 minutes is an alarm. 0 creates no such alarm. */
  readonly minCapacity: number;
  /** The group's maximum size (shown on the dashboard). */
  readonly maxCapacity: number;
  /** NAT gateway ids, AZ-a then AZ-b (from the network stack). */
  readonly natGatewayIds: readonly string[];
  /** The projects of the config, each with its own dashboard section (their alarms live in their stacks). */
  readonly projects: readonly ParsedProject[];
  /** @default DEFAULT_THRESHOLDS.platform */
  readonly thresholds?: PlatformThresholds;
}

/** Where the 429 count from the API access log goes; one namespace per prefix, since the metric carries no dimension. */
export function apiThrottledNamespace(prefix: string): string {
  return `Berth/${prefix}`;
}
export const API_THROTTLED_METRIC = 'ApiThrottledRequests';

/**
 * The platform's alarms and the one dashboard: API (5xx rate, p99 latency, 429s), webhook function (errors,
 * throttles, duration near its timeout), ALB (ELB 5xx, rejected connections), cluster (CPU and memory
 * reservation, instances below minimum) and each NAT gateway (port allocation errors, dropped packets). Every
 * alarm notifies the topic on ALARM and OK.
 */
export class PlatformMonitoring extends Construct {
  readonly names: PlatformAlarmNames;
  /** Every alarm this construct made, platform first, then one pair per NAT gateway. */
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly apiThrottledFilter: logs.MetricFilter;
  readonly dashboard: BerthDashboard;

  constructor(scope: Construct, id: string, props: PlatformMonitoringProps) {
    super(scope, id);
    const t = props.thresholds ?? DEFAULT_THRESHOLDS.platform;
    const names = (this.names = platformAlarmNames({ prefix: props.prefix }));
    const platform = platformNames({ prefix: props.prefix });
    const topic = props.topic;
    const fiveMinutes = Duration.minutes(5);
    const stage = props.apiStage;
    const sum5 = { period: fiveMinutes, statistic: cloudwatch.Stats.SUM };
    const add = (alarm: cloudwatch.Alarm) => {
      this.alarms.push(alarm);
      return alarm;
    };

    // HTTP APIs publish Count, 4xx, 5xx, Latency, IntegrationLatency and DataProcessed only: a throttled request
    // is a 429 inside 4xx, indistinguishable there from a 404 or a 401. The access log has the status of every
    // request, so count the 429s from it.
    this.apiThrottledFilter = new logs.MetricFilter(this, 'ApiThrottledFilter', {
      logGroup: props.apiAccessLogGroup,
      filterPattern: logs.FilterPattern.stringValue('$.status', '=', '429'),
      metricNamespace: apiThrottledNamespace(props.prefix),
      metricName: API_THROTTLED_METRIC,
      metricValue: '1',
      unit: cloudwatch.Unit.COUNT,
    });

    const metrics: PlatformMetrics = {
      apiRequests: stage.metricCount({ ...sum5, label: 'requests' }),
      api4xx: stage.metricClientError({ ...sum5, label: '4xx' }),
      api5xx: stage.metricServerError({ ...sum5, label: '5xx' }),
      apiThrottled: this.apiThrottledFilter.metric({ ...sum5, label: '429 (throttled)' }),
      apiLatencyP50: stage.metricLatency({
        period: fiveMinutes,
        statistic: cloudwatch.Stats.p(50),
        label: 'p50',
      }),
      apiLatencyP99: stage.metricLatency({
        period: fiveMinutes,
        statistic: cloudwatch.Stats.p(99),
        label: 'p99',
      }),
      webhookInvocations: props.webhookFunction.metricInvocations({ ...sum5, label: 'invocations' }),
      webhookErrors: props.webhookFunction.metricErrors({ ...sum5, label: 'errors' }),
      webhookThrottles: props.webhookFunction.metricThrottles({ ...sum5, label: 'throttles' }),
      webhookDurationP99: props.webhookFunction.metricDuration({
        period: fiveMinutes,
        statistic: cloudwatch.Stats.p(99),
        label: 'p99 duration',
      }),
      albRequests: props.loadBalancer.metrics.requestCount({ ...sum5, label: 'requests' }),
      albElb5xx: props.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, {
        ...sum5,
        label: 'ELB 5xx',
      }),
      albTarget5xx: props.loadBalancer.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
        ...sum5,
        label: 'target 5xx (all projects)',
      }),
      albRejectedConnections: props.loadBalancer.metrics.rejectedConnectionCount({
        ...sum5,
        label: 'rejected connections',
      }),
      albTargetResponseTimeP99: props.loadBalancer.metrics.targetResponseTime({
        period: fiveMinutes,
        statistic: cloudwatch.Stats.p(99),
        label: 'target p99 (s)',
      }),
      clusterCpuReservation: props.cluster.metricCpuReservation({
        period: fiveMinutes,
        statistic: cloudwatch.Stats.AVERAGE,
        label: 'CPU reserved %',
      }),
      clusterMemoryReservation: props.cluster.metricMemoryReservation({
        period: fiveMinutes,
        statistic: cloudwatch.Stats.AVERAGE,
        label: 'memory reserved %',
      }),
      clusterCpuUtilization: props.cluster.metricCpuUtilization({
        period: fiveMinutes,
        statistic: cloudwatch.Stats.AVERAGE,
        label: 'CPU used %',
      }),
      clusterMemoryUtilization: props.cluster.metricMemoryUtilization({
        period: fiveMinutes,
        statistic: cloudwatch.Stats.AVERAGE,
        label: 'memory used %',
      }),
      instancesInService: asgMetric(props.autoScalingGroup, 'GroupInServiceInstances', 'in service'),
      instancesDesired: asgMetric(props.autoScalingGroup, 'GroupDesiredCapacity', 'desired'),
      nat: props.natGatewayIds.map((natGatewayId, i) => ({
        index: i + 1,
        portAllocationErrors: natMetric(
          natGatewayId,
          'ErrorPortAllocation',
          `NAT ${i + 1} port allocation errors`,
        ),
        packetsDropped: natMetric(natGatewayId, 'PacketsDropCount', `NAT ${i + 1} packets dropped`),
        bytesOut: natMetric(natGatewayId, 'BytesOutToDestination', `NAT ${i + 1} bytes out`),
        activeConnections: new cloudwatch.Metric({
          namespace: 'AWS/NATGateway',
          metricName: 'ActiveConnectionCount',
          dimensionsMap: { NatGatewayId: natGatewayId },
          statistic: cloudwatch.Stats.MAXIMUM,
          period: fiveMinutes,
          label: `NAT ${i + 1} active connections`,
        }),
      })),
    };

    // --- API -------------------------------------------------------------------------------------------------
    add(
      berthAlarm(this, 'Api5xxRate', {
        alarmName: names.api5xxRate,
        meaning: `More than ${t.api5xxRatePercent} % of API requests ended in a 5xx over 5 minutes (judged only with at least ${t.apiMinRequests} requests).`,
        firstCheck: `which project fails: the dashboard's project sections (target 5xx), then the ALB alarm ${names.albElb5xx}; integration errors are in the API access log (integrationError, status 5xx).`,
        runbook: 'api-5xx-rate',
        metric: new cloudwatch.MathExpression({
          expression: `IF(requests >= ${t.apiMinRequests}, 100 * FILL(errors, 0) / requests, 0)`,
          usingMetrics: {
            requests: stage.metricCount({ ...sum5 }),
            errors: stage.metricServerError({ ...sum5 }),
          },
          period: fiveMinutes,
          label: '5xx % of requests',
        }),
        threshold: t.api5xxRatePercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // No requests, no errors: an idle API is healthy.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      }),
    );
    add(
      berthAlarm(this, 'ApiLatencyP99', {
        alarmName: names.apiLatencyP99,
        meaning: `The API's p99 latency (gateway to client, including the ALB and the service) is above ${t.apiLatencyP99Ms} ms for 10 minutes.`,
        firstCheck: `each project's p99 response time on the dashboard: if one project is slow, see its <prefix>-<project>-response-time-p99 alarm; if all are, the cluster's CPU and the ALB.`,
        runbook: 'api-latency-p99',
        metric: metrics.apiLatencyP99,
        threshold: t.apiLatencyP99Ms,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      }),
    );
    add(
      berthAlarm(this, 'ApiThrottled', {
        alarmName: names.apiThrottled,
        meaning: `More than ${t.apiThrottledPer5Min} requests were answered 429 in 5 minutes. HTTP APIs have no throttle metric, so this counts status 429 in the API access log: the stage or webhook route throttle, or a service answering 429 itself.`,
        firstCheck: `the access log in CloudWatch Logs Insights (log group ${props.apiAccessLogGroup.logGroupName}: filter status = "429" | stats count(*) by routeKey, integrationStatus); integrationStatus "-" means API Gateway throttled: raise api.throttle (or api.webhookThrottle) in berth.yaml if the traffic is legitimate.`,
        runbook: 'api-throttled',
        metric: metrics.apiThrottled,
        threshold: t.apiThrottledPer5Min,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // The filter emits only on a 429; no data is no throttling.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      }),
    );

    // --- Webhook ---------------------------------------------------------------------------------------------
    const webhookLogs = `the function's log group (Lambda console, ${platform.webhookFunctionName}, Monitor, View CloudWatch logs)`;
    add(
      berthAlarm(this, 'WebhookErrors', {
        alarmName: names.webhookErrors,
        meaning: `The webhook function failed ${t.webhookErrors} or more times in 5 minutes: a push may not have started its pipeline.`,
        firstCheck: `${webhookLogs} for the error, then the Azure DevOps service hook's history (Project settings, Service hooks) to re-send the push.`,
        runbook: 'webhook-errors',
        metric: metrics.webhookErrors,
        threshold: t.webhookErrors,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      }),
    );
    add(
      berthAlarm(this, 'WebhookThrottles', {
        alarmName: names.webhookThrottles,
        meaning: `The webhook function was throttled (reserved concurrency exhausted) ${t.webhookThrottles} or more times in 5 minutes; those service hook calls got an error instead of starting a pipeline.`,
        firstCheck: `the Invocations and Duration graphs of the webhook on the dashboard (a burst of pushes, or slow calls holding concurrency), then ${webhookLogs}.`,
        runbook: 'webhook-throttles',
        metric: metrics.webhookThrottles,
        threshold: t.webhookThrottles,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      }),
    );
    // Lambda's own default timeout is 3 s.
    const timeoutMs = (props.webhookFunction.timeout ?? Duration.seconds(3)).toMilliseconds();
    const durationLimitMs = Math.round((timeoutMs * t.webhookDurationPercentOfTimeout) / 100);
    add(
      berthAlarm(this, 'WebhookDuration', {
        alarmName: names.webhookDuration,
        meaning: `The webhook's p99 duration is above ${durationLimitMs} ms (${t.webhookDurationPercentOfTimeout} % of its ${timeoutMs / 1000} s timeout) in 2 of 3 five-minute periods; slower calls will time out.`,
        firstCheck: `${webhookLogs}: which call is slow (Secrets Manager or CodePipeline StartPipelineExecution), and the AWS Health Dashboard for those services.`,
        runbook: 'webhook-duration',
        metric: metrics.webhookDurationP99,
        threshold: durationLimitMs,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        // Pushes are rare: periods without invocations say nothing about speed.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      }),
    );

    // --- ALB -------------------------------------------------------------------------------------------------
    add(
      berthAlarm(this, 'AlbElb5xx', {
        alarmName: names.albElb5xx,
        meaning: `The ALB itself answered 5xx more than ${t.albElb5xxPer5Min} times in 5 minutes: 503 when a project has no healthy target, 502/504 when a target closed or hung.`,
        firstCheck: `the <prefix>-<project>-unhealthy-hosts and -tasks-below-desired alarms, then the ALB access logs (S3 bucket of the ALB, prefix alb/) for elb_status_code 5xx and the target they name.`,
        runbook: 'alb-5xx',
        metric: metrics.albElb5xx,
        threshold: t.albElb5xxPer5Min,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      }),
    );
    add(
      berthAlarm(this, 'AlbRejectedConnections', {
        alarmName: names.albRejectedConnections,
        meaning: `The ALB rejected ${t.albRejectedConnections} or more connections in 5 minutes because it reached its maximum number of connections.`,
        firstCheck: `the ALB's ActiveConnectionCount and the API request rate on the dashboard: a traffic surge or clients not reusing connections.`,
        runbook: 'alb-rejected-connections',
        metric: metrics.albRejectedConnections,
        threshold: t.albRejectedConnections,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      }),
    );

    // --- Cluster ---------------------------------------------------------------------------------------------
    const capacityCheck = `the ASG's in-service instances against maxCapacity (dashboard, Cluster), and the ECS services' Events tabs for "unable to place a task"; raise cluster.maxCapacity or the instance type in berth.yaml.`;
    add(
      berthAlarm(this, 'ClusterCpuReservation', {
        alarmName: names.clusterCpuReservation,
        meaning: `Tasks reserve more than ${t.clusterCpuReservationPercent} % of the cluster's CPU for 15 minutes: capacity is running out and new tasks may not fit.`,
        firstCheck: capacityCheck,
        runbook: 'cluster-cpu-reservation',
        metric: metrics.clusterCpuReservation,
        threshold: t.clusterCpuReservationPercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        // No registered instance, no reservation metric: the instances-below-minimum alarm covers that case.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      }),
    );
    add(
      berthAlarm(this, 'ClusterMemoryReservation', {
        alarmName: names.clusterMemoryReservation,
        meaning: `Tasks reserve more than ${t.clusterMemoryReservationPercent} % of the cluster's memory for 15 minutes: capacity is running out and new tasks may not fit.`,
        firstCheck: capacityCheck,
        runbook: 'cluster-memory-reservation',
        metric: metrics.clusterMemoryReservation,
        threshold: t.clusterMemoryReservationPercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      }),
    );
    if (props.minCapacity > 0) {
      add(
        berthAlarm(this, 'ClusterInstancesBelowMin', {
          alarmName: names.clusterInstancesBelowMin,
          meaning: `The cluster's Auto Scaling group has had fewer than ${props.minCapacity} (its minimum) instances in service for 10 minutes: launches fail or instances are unhealthy.`,
          firstCheck: `the group's Activity tab (EC2 console, Auto Scaling groups) for failed launches (capacity, quota, AMI), or: aws autoscaling describe-scaling-activities --auto-scaling-group-name ${props.autoScalingGroup.autoScalingGroupName} --max-items 5.`,
          runbook: 'cluster-instances-below-min',
          metric: instancesAlarmMetric(props.autoScalingGroup),
          threshold: props.minCapacity,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 2,
          // Group metrics are published every minute while the group exists; their absence means the group or
          // its metrics collection is gone, and silence must not read as "enough instances".
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
          topic,
        }),
      );
    }

    // --- NAT gateways ----------------------------------------------------------------------------------------
    for (const nat of metrics.nat) {
      const natNames = natAlarmNames({ prefix: props.prefix }, nat.index);
      const where = `NAT gateway ${nat.index} (public subnet ${nat.index})`;
      add(
        berthAlarm(this, `Nat${nat.index}PortAllocationErrors`, {
          alarmName: natNames.portAllocationErrors,
          meaning: `${where} could not allocate a source port ${t.natPortAllocationErrors} or more times in 5 minutes: outbound connections from the private subnets failed.`,
          firstCheck: `the gateway's ActiveConnectionCount on the dashboard (NAT): more than 55,000 simultaneous connections to one destination; find the task or build opening them (VPC flow logs).`,
          runbook: 'nat-port-allocation-errors',
          metric: nat.portAllocationErrors,
          threshold: t.natPortAllocationErrors,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          topic,
        }),
      );
      add(
        berthAlarm(this, `Nat${nat.index}PacketsDropped`, {
          alarmName: natNames.packetsDropped,
          meaning: `${where} dropped more than ${t.natPacketsDroppedPer5Min} packets in 5 minutes.`,
          firstCheck: `the AWS Health Dashboard for a NAT gateway event in that AZ, then the gateway's traffic on the dashboard (NAT) for a surge.`,
          runbook: 'nat-packets-dropped',
          metric: nat.packetsDropped,
          threshold: t.natPacketsDroppedPer5Min,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          topic,
        }),
      );
    }

    this.dashboard = new BerthDashboard(this, 'Dashboard', {
      prefix: props.prefix,
      metrics,
      alarms: this.alarms,
      thresholds: t,
      webhookDurationLimitMs: durationLimitMs,
      minCapacity: props.minCapacity,
      maxCapacity: props.maxCapacity,
      projects: props.projects,
    });
  }
}

function asgMetric(
  group: autoscaling.IAutoScalingGroup,
  metricName: string,
  label: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/AutoScaling',
    metricName,
    dimensionsMap: { AutoScalingGroupName: group.autoScalingGroupName },
    statistic: cloudwatch.Stats.AVERAGE,
    period: Duration.minutes(5),
    label,
  });
}

/** In-service instances at their highest in each 5 minutes: below minimum for a whole period, not for a blip. */
function instancesAlarmMetric(group: autoscaling.IAutoScalingGroup): cloudwatch.Metric {
  return asgMetric(group, 'GroupInServiceInstances', 'in service').with({
    statistic: cloudwatch.Stats.MAXIMUM,
  });
}

function natMetric(natGatewayId: string, metricName: string, label: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/NATGateway',
    metricName,
    dimensionsMap: { NatGatewayId: natGatewayId },
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(5),
    label,
  });
}
