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
import { natAlarmNames, platformAlarmNames, type PlatformAlarmNames } from './alarm-names';
import { berthAlarm } from './berth-alarm';
import { BerthDashboard, type MonitoredProject, type PlatformMetrics } from './dashboard';
import { alertOutcomeMetrics, webhookOutcomeMetric } from './metrics';
import { DEFAULT_THRESHOLDS, WEBHOOK_DEADLINE_MS, type PlatformThresholds } from './thresholds';

export interface PlatformMonitoringProps {
  /** The config's prefix: alarm names start with it and project names are derived from it. */
  readonly prefix: string;
  /** The alarm topic every alarm notifies on ALARM and OK. */
  readonly topic: sns.ITopic;
  /** The HTTP API's stage (`$default`): its metrics carry the ApiId and Stage dimensions. */
  readonly apiStage: apigw.HttpStage;
  /** The API's JSON access log group; 429 answers are counted from it (HTTP APIs publish no throttle metric). */
  readonly apiAccessLogGroup: logs.ILogGroup;
  /** The webhook function (its Lambda metrics; its outcome metrics are addressed by its name). */
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
  /** The config's projects, by derived names: one dashboard section each (their alarms live in their stacks). */
  readonly projects: readonly MonitoredProject[];
  /** @default DEFAULT_THRESHOLDS.platform */
  readonly thresholds?: PlatformThresholds;
  /**
   * The platform generation (`platformGeneration(config)`, src/monitoring/generation.ts): written into the NAT
   * alarms' descriptions and the dashboard's header, so a change that replaces a NAT gateway updates them in the same
   * deploy and CloudFormation resolves the new gateway ids. @default - none (they then keep their first ids)
   */
  readonly generation?: string;
  /** The alerts function (only with chat channels): its undelivered messages and crashes are an alarm. @default - none */
  readonly alertsFunction?: lambda.IFunction;
  /** The pipeline-events function: its errors (a failure message may be lost) are an alarm. @default - none */
  readonly pipelineEventsFunction?: lambda.IFunction;
}

/** Where the 429 count from the API access log goes; one namespace per prefix, since the metric carries no dimension. */
export function apiThrottledNamespace(prefix: string): string {
  return `Berth/${prefix}`;
}
export const API_THROTTLED_METRIC = 'ApiThrottledRequests';
/** The 429 answers of the webhook routes, counted from the API access log in {@link apiThrottledNamespace}. */
export const WEBHOOK_THROTTLED_METRIC = 'WebhookThrottledRequests';
/** Route keys of the webhooks: one `POST /webhook/<project>` per project, and the catch-all for other names. */
export const WEBHOOK_ROUTE_KEY_PREFIX = 'POST /webhook/';

/**
 * The platform's alarms and the one dashboard: API (5xx rate, p99 latency, 429s), webhook (requests our side failed,
 * 429 answers of its routes, p99 duration against its own deadline), ALB (ELB 5xx, rejected connections), cluster
 * (CPU and memory reservation at maxCapacity, instances below minimum), each NAT gateway (port allocation errors,
 * dropped packets), and the notification path itself (undelivered chat alerts, pipeline-events errors). Every alarm
 * notifies the topic on ALARM and OK.
 */
export class PlatformMonitoring extends Construct {
  readonly names: PlatformAlarmNames;
  /** Every alarm this construct made, platform first, then one pair per NAT gateway. */
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly apiThrottledFilter: logs.MetricFilter;
  readonly webhookThrottledFilter: logs.MetricFilter;
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
    // The webhook routes' own throttles (one per project, and the catch-all's) answer 429 before the function
    // runs: only the access log sees them. Azure DevOps puts a subscription on probation after a 429.
    this.webhookThrottledFilter = new logs.MetricFilter(this, 'WebhookThrottledFilter', {
      logGroup: props.apiAccessLogGroup,
      filterPattern: logs.FilterPattern.all(
        logs.FilterPattern.stringValue('$.routeKey', '=', `${WEBHOOK_ROUTE_KEY_PREFIX}*`),
        logs.FilterPattern.stringValue('$.status', '=', '429'),
      ),
      metricNamespace: apiThrottledNamespace(props.prefix),
      metricName: WEBHOOK_THROTTLED_METRIC,
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
      webhookRetryable: webhookOutcomeMetric({ prefix: props.prefix }, 'retryable').with({
        label: 'retryable (503)',
      }),
      webhookErrors: props.webhookFunction.metricErrors({ ...sum5, label: 'crashes (Lambda errors)' }),
      webhookThrottles: props.webhookFunction.metricThrottles({ ...sum5, label: 'Lambda throttles' }),
      webhookThrottled: this.webhookThrottledFilter.metric({ ...sum5, label: '429 (route throttle)' }),
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
        meaning: `Our side failed ${t.webhookErrors} or more webhook requests in 5 minutes: answered 503 (retryable: a secret, the push-order table or CodePipeline failed or was too slow), crashed, or throttled by Lambda. A push may not have started its pipeline.`,
        firstCheck: `${webhookLogs}: lines with outcome "retryable" name the dependency and error; then the Azure DevOps service hook's history (Project settings, Service hooks) to re-send a push that was not retried.`,
        runbook: 'webhook-errors',
        // The handler answers every failure of ours with a 503 instead of throwing, so Lambda Errors alone would
        // almost never move: count its retryable answers, and add the crashes and throttles it cannot count.
        metric: new cloudwatch.MathExpression({
          expression: 'FILL(retryable, 0) + FILL(errors, 0) + FILL(throttles, 0)',
          usingMetrics: {
            retryable: webhookOutcomeMetric({ prefix: props.prefix }, 'retryable'),
            errors: props.webhookFunction.metricErrors({ ...sum5 }),
            throttles: props.webhookFunction.metricThrottles({ ...sum5 }),
          },
          period: fiveMinutes,
          label: 'requests our side failed',
        }),
        threshold: t.webhookErrors,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      }),
    );
    add(
      berthAlarm(this, 'WebhookThrottled', {
        alarmName: names.webhookThrottled,
        meaning: `A webhook route answered 429 ${t.webhookThrottledPer5Min} or more times in 5 minutes: a project's route throttle (api.webhookThrottle, per project) refused Azure DevOps, which puts the service hook subscription on probation and then drops its events.`,
        firstCheck: `which route, in CloudWatch Logs Insights on the API access log (log group ${props.apiAccessLogGroup.logGroupName}): filter status = "429" and routeKey like "POST /webhook/" | stats count(*) by routeKey; then the subscription's state in Azure DevOps (Project settings, Service hooks): re-enable it if it is on probation.`,
        tune: `webhookThrottledPer5Min in src/monitoring/thresholds.ts; raise api.webhookThrottle in berth.yaml if the pushes are legitimate`,
        runbook: 'webhook-throttled',
        metric: metrics.webhookThrottled,
        threshold: t.webhookThrottledPer5Min,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        // The filter emits only on a 429 of a webhook route: no data is no throttling.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      }),
    );
    const timeoutMs = (props.webhookFunction.timeout ?? Duration.seconds(3)).toMilliseconds();
    const durationLimitMs = t.webhookDurationP99Ms;
    if (durationLimitMs >= WEBHOOK_DEADLINE_MS || durationLimitMs >= timeoutMs) {
      throw new Error(
        `webhookDurationP99Ms (${durationLimitMs}) must be below the webhook's ${WEBHOOK_DEADLINE_MS} ms deadline and its ${timeoutMs} ms timeout: an alarm there fires only once requests are cut off`,
      );
    }
    add(
      berthAlarm(this, 'WebhookDuration', {
        alarmName: names.webhookDuration,
        meaning: `The webhook's p99 duration is above ${durationLimitMs} ms in 2 of 3 five-minute periods: half the ${WEBHOOK_DEADLINE_MS} ms the handler gives its AWS calls (within a ${timeoutMs / 1000} s timeout). Past that deadline a request is answered 503 and counted by ${names.webhookErrors}.`,
        firstCheck: `${webhookLogs}: durationMs and the dependency of slow requests (Secrets Manager, DynamoDB, CodePipeline StartPipelineExecution), and the AWS Health Dashboard for those services.`,
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
    // Below maxCapacity, managed scaling adds an instance for a task that does not fit, and with a target capacity
    // of 100 % a high reservation is the normal, packed state: judge the reservation only while the group is full.
    const atMax = (reservation: cloudwatch.IMetric, label: string) =>
      new cloudwatch.MathExpression({
        expression: `IF(FILL(instances, 0) >= ${props.maxCapacity}, reservation, 0)`,
        usingMetrics: {
          instances: asgMetric(props.autoScalingGroup, 'GroupInServiceInstances', 'in service').with({
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
          reservation,
        },
        period: fiveMinutes,
        label,
      });
    const capacityCheck = `the ASG's in-service instances against maxCapacity (${props.maxCapacity}) on the dashboard (Cluster), and the ECS services' Events tabs for "unable to place a task"; raise cluster.maxCapacity or the instance type in berth.yaml.`;
    add(
      berthAlarm(this, 'ClusterCpuReservation', {
        alarmName: names.clusterCpuReservation,
        meaning: `The cluster is at its maxCapacity (${props.maxCapacity} instances) and tasks reserve more than ${t.clusterCpuReservationPercent} % of its CPU for 15 minutes: managed scaling cannot add an instance, so the next task or scale-out may not fit.`,
        firstCheck: capacityCheck,
        runbook: 'cluster-cpu-reservation',
        metric: atMax(
          props.cluster.metricCpuReservation({ period: fiveMinutes, statistic: cloudwatch.Stats.AVERAGE }),
          'CPU reserved % at maxCapacity',
        ),
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
        meaning: `The cluster is at its maxCapacity (${props.maxCapacity} instances) and tasks reserve more than ${t.clusterMemoryReservationPercent} % of its memory for 15 minutes: managed scaling cannot add an instance, so the next task or scale-out may not fit.`,
        firstCheck: capacityCheck,
        runbook: 'cluster-memory-reservation',
        metric: atMax(
          props.cluster.metricMemoryReservation({ period: fiveMinutes, statistic: cloudwatch.Stats.AVERAGE }),
          'memory reserved % at maxCapacity',
        ),
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
          generation: props.generation,
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
          generation: props.generation,
          metric: nat.packetsDropped,
          threshold: t.natPacketsDroppedPer5Min,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          topic,
        }),
      );
    }

    // --- The notification path -------------------------------------------------------------------------------
    const alerts = props.alertsFunction
      ? {
          ...alertOutcomeMetrics(platform.alertsFunctionName),
          errors: props.alertsFunction.metricErrors({ ...sum5, label: 'crashes (Lambda errors)' }),
        }
      : undefined;
    if (alerts && props.alertsFunction) {
      add(
        berthAlarm(this, 'AlertsUndelivered', {
          alarmName: names.alertsUndelivered,
          meaning: `${t.alertsUndelivered} or more chat alerts were not delivered in 5 minutes (a channel refused the message, failed after retries, or its URL is unreadable or invalid), or the alerts function crashed: someone did not get an alarm or failure message.`,
          firstCheck: `the alerts function's log (Lambda console, ${platform.alertsFunctionName}, Monitor): lines "The alert did not reach the chat channel" name the channel and reason; check the URL with npx --no-install berth alerts test <channel>, and store a new one with berth alerts set-webhook <channel>.`,
          runbook: 'alerts-undelivered',
          metric: new cloudwatch.MathExpression({
            expression: 'FILL(failed, 0) + FILL(errors, 0)',
            usingMetrics: {
              failed: alerts.failed,
              errors: props.alertsFunction.metricErrors({ ...sum5 }),
            },
            period: fiveMinutes,
            label: 'undelivered alerts',
          }),
          threshold: t.alertsUndelivered,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          // No message, no failed delivery.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          topic,
        }),
      );
    }
    if (props.pipelineEventsFunction) {
      add(
        berthAlarm(this, 'PipelineEventsErrors', {
          alarmName: names.pipelineEventsErrors,
          meaning: `The pipeline-events function failed ${t.pipelineEventsErrors} or more times in 5 minutes: it throws only when it could not publish a failed release's message (or its settings are broken), so a failure message may be lost (Lambda retries twice, then the event goes to its dead-letter queue).`,
          firstCheck: `its log (Lambda console, ${platform.pipelineEventsFunctionName}, Monitor) for "Could not publish the failure notification" and the error; then the pipelines' latest executions (npx --no-install berth status).`,
          runbook: 'pipeline-events-errors',
          metric: props.pipelineEventsFunction.metricErrors({ ...sum5 }),
          threshold: t.pipelineEventsErrors,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          topic,
        }),
      );
    }

    this.dashboard = new BerthDashboard(this, 'Dashboard', {
      prefix: props.prefix,
      metrics,
      alerts,
      alarms: this.alarms,
      thresholds: t,
      minCapacity: props.minCapacity,
      maxCapacity: props.maxCapacity,
      projects: props.projects,
      generation: props.generation,
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
