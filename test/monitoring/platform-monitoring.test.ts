import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import { natAlarmNames, platformAlarmNames } from '../../src/monitoring/alarm-names';
import { platformGeneration } from '../../src/monitoring/generation';
import { DEFAULT_THRESHOLDS, WEBHOOK_DEADLINE_MS } from '../../src/monitoring/thresholds';
import { buildApp, configWith, REPO_ROOT, seedConfig, template } from '../support/app';
import { TemplateResolver } from '../support/resolve';

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Templates = ConstructorParameters<typeof TemplateResolver>[0];

const config = seedConfig();
const PLATFORM = 'berth-platform';
const names = platformAlarmNames(config);
const t = DEFAULT_THRESHOLDS.platform;
const GT = 'GreaterThanThreshold';
const GTE = 'GreaterThanOrEqualToThreshold';
const LT = 'LessThanThreshold';

/** Every platform alarm: name, threshold, comparison, missing-data policy, periods (datapoints). */
const EXPECTED: [string, number, string, string, number, number][] = [
  [names.api5xxRate, t.api5xxRatePercent, GT, 'notBreaching', 1, 1],
  [names.apiLatencyP99, t.apiLatencyP99Ms, GT, 'notBreaching', 2, 2],
  [names.apiThrottled, t.apiThrottledPer5Min, GT, 'notBreaching', 1, 1],
  [names.webhookErrors, t.webhookErrors, GTE, 'notBreaching', 1, 1],
  [names.webhookThrottled, t.webhookThrottledPer5Min, GTE, 'notBreaching', 1, 1],
  [names.webhookDuration, 4000, GT, 'notBreaching', 3, 2],
  [names.albElb5xx, t.albElb5xxPer5Min, GT, 'notBreaching', 1, 1],
  [names.albRejectedConnections, t.albRejectedConnections, GTE, 'notBreaching', 1, 1],
  [names.clusterCpuReservation, t.clusterCpuReservationPercent, GT, 'notBreaching', 3, 3],
  [names.clusterMemoryReservation, t.clusterMemoryReservationPercent, GT, 'notBreaching', 3, 3],
  [names.clusterInstancesBelowMin, config.cluster.minCapacity, LT, 'breaching', 2, 2],
  ...[1, 2].flatMap((i): [string, number, string, string, number, number][] => [
    [natAlarmNames(config, i).portAllocationErrors, t.natPortAllocationErrors, GTE, 'notBreaching', 1, 1],
    [natAlarmNames(config, i).packetsDropped, t.natPacketsDroppedPer5Min, GT, 'notBreaching', 1, 1],
  ]),
  [names.pipelineEventsErrors, t.pipelineEventsErrors, GTE, 'notBreaching', 1, 1],
];

/** The metrics of a metric-math alarm by id, and its expression. */
function math(a: Props): { expression: string; byId: Record<string, Props> } {
  const byId = Object.fromEntries(a.Metrics.map((m: Props) => [m.Id, m]));
  return { expression: a.Metrics.find((m: Props) => m.Expression).Expression, byId };
}
const dimensionsOf = (metric: Props) =>
  Object.fromEntries((metric.Dimensions as Props[]).map((d) => [d.Name, d.Value]));

describe('platform alarms (seed config)', () => {
  let platform: Template;
  let alarms: Map<string, Props>;
  let resolver: TemplateResolver;
  let topicId: string;

  beforeAll(() => {
    const app = buildApp(config);
    platform = template(app.platform);
    resolver = new TemplateResolver({
      [app.network.stackName]: template(app.network).toJSON(),
      [app.platform.stackName]: platform.toJSON(),
    } as Templates);
    alarms = new Map(
      Object.values(platform.findResources('AWS::CloudWatch::Alarm')).map((r) => [
        r.Properties.AlarmName as string,
        r.Properties as Props,
      ]),
    );
    topicId = Object.keys(platform.findResources('AWS::SNS::Topic'))[0];
  });

  it('creates exactly the documented set of alarms', () => {
    expect([...alarms.keys()].sort()).toEqual(EXPECTED.map(([name]) => name).sort());
  });

  it.each(EXPECTED)(
    '%s: threshold %d, %s, missing data %s',
    (name, threshold, comparison, missing, periods, points) => {
      expect(alarms.get(name)).toMatchObject({
        Threshold: threshold,
        ComparisonOperator: comparison,
        TreatMissingData: missing,
        EvaluationPeriods: periods,
        DatapointsToAlarm: points,
      });
    },
  );

  it.each(EXPECTED.map(([name]) => [name]))('%s notifies the topic on ALARM and on OK', (name) => {
    const a = alarms.get(name)!;
    expect(a.AlarmActions).toEqual([{ Ref: topicId }]);
    expect(a.OKActions).toEqual([{ Ref: topicId }]);
  });

  it('describes every alarm: meaning, first check, tuning and a runbook entry that exists', () => {
    const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'operations.md'), 'utf8');
    for (const [name, a] of alarms) {
      const description = JSON.stringify(resolver.resolve(PLATFORM, a.AlarmDescription));
      expect(description, name).toMatch(/First check: .+ Tune: .+ Runbook: docs\/operations\.md#/);
      const anchor = /docs\/operations\.md#([a-z0-9-]+)/.exec(description)![1];
      expect(doc, `${name} -> #${anchor}`).toContain(`<a id="${anchor}"></a>`);
      expect(description.length, name).toBeLessThanOrEqual(1024);
    }
  });

  it('computes the API 5xx rate as 5xx / requests on the $default stage, only above the minimum traffic', () => {
    const a = alarms.get(names.api5xxRate)!;
    const byId = Object.fromEntries(a.Metrics.map((m: Props) => [m.Id, m]));
    expect(a.Metrics.find((m: Props) => m.Expression).Expression).toBe(
      `IF(requests >= ${t.apiMinRequests}, 100 * FILL(errors, 0) / requests, 0)`,
    );
    for (const [id, metric] of [
      ['requests', 'Count'],
      ['errors', '5xx'],
    ]) {
      expect(byId[id].MetricStat).toMatchObject({
        Metric: { Namespace: 'AWS/ApiGateway', MetricName: metric },
        Stat: 'Sum',
        Period: 300,
      });
      const dims = Object.fromEntries(
        byId[id].MetricStat.Metric.Dimensions.map((d: Props) => [d.Name, d.Value]),
      );
      expect(dims.Stage).toBe('$default');
      expect(dims.ApiId).toEqual({ Ref: Object.keys(platform.findResources('AWS::ApiGatewayV2::Api'))[0] });
    }
  });

  it('counts throttled requests as 429s in the API access log (HTTP APIs publish no throttle metric)', () => {
    const accessLogs = Object.values(platform.findResources('AWS::ApiGatewayV2::Stage'))[0].Properties
      .AccessLogSettings.DestinationArn['Fn::GetAtt'][0];
    const filter = Object.values(platform.findResources('AWS::Logs::MetricFilter')).find(
      (f) => f.Properties.MetricTransformations[0].MetricName === 'ApiThrottledRequests',
    )!.Properties;
    expect(filter.LogGroupName).toEqual({ Ref: accessLogs });
    expect(filter.FilterPattern).toBe('{ $.status = "429" }');
    expect(filter.MetricTransformations).toEqual([
      { MetricNamespace: 'Berth/berth', MetricName: 'ApiThrottledRequests', MetricValue: '1', Unit: 'Count' },
    ]);
    expect(alarms.get(names.apiThrottled)).toMatchObject({
      Namespace: 'Berth/berth',
      MetricName: 'ApiThrottledRequests',
      Statistic: 'Sum',
      Period: 300,
    });
    expect(JSON.stringify(alarms.get(names.apiThrottled)!.AlarmDescription)).toMatch(/no throttle metric/);
  });

  it('given the webhook answers its own failures with 503 (not a thrown error), when it fails, then webhook-errors counts retryable answers plus crashes and Lambda throttles', () => {
    const fn = Object.entries(platform.findResources('AWS::Lambda::Function')).find(
      ([, r]) => r.Properties.FunctionName === 'berth-webhook',
    )!;
    const a = alarms.get(names.webhookErrors)!;
    const { expression, byId } = math(a);
    expect(expression).toBe('FILL(retryable, 0) + FILL(errors, 0) + FILL(throttles, 0)');
    expect(byId.retryable.MetricStat).toMatchObject({
      Metric: { Namespace: 'Berth', MetricName: 'WebhookRetryable' },
      Stat: 'Sum',
      Period: 300,
    });
    // Powertools' default dimension: the function name, as the webhook sets POWERTOOLS_SERVICE_NAME.
    expect(dimensionsOf(byId.retryable.MetricStat.Metric)).toEqual({ service: 'berth-webhook' });
    expect(fn[1].Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe('berth-webhook');
    for (const [id, metric] of [
      ['errors', 'Errors'],
      ['throttles', 'Throttles'],
    ]) {
      expect(byId[id].MetricStat.Metric).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn[0] } }],
      });
    }
  });

  it('given each project has its own webhook route and throttle, when a route answers 429, then webhook-throttled counts it from the access log', () => {
    const filter = Object.values(platform.findResources('AWS::Logs::MetricFilter')).find(
      (f) => f.Properties.MetricTransformations[0].MetricName === 'WebhookThrottledRequests',
    )!.Properties;
    expect(filter.FilterPattern).toBe('{ ($.routeKey = "POST /webhook/*") && ($.status = "429") }');
    expect(filter.MetricTransformations[0]).toMatchObject({
      MetricNamespace: 'Berth/berth',
      MetricValue: '1',
    });
    expect(alarms.get(names.webhookThrottled)).toMatchObject({
      Namespace: 'Berth/berth',
      MetricName: 'WebhookThrottledRequests',
      Statistic: 'Sum',
      Period: 300,
    });
    const routes = Object.values(platform.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties.RouteKey,
    );
    for (const p of config.projects) expect(routes).toContain(`POST /webhook/${p.name}`);
  });

  it('watches no metric the design cannot produce: no Lambda-throttles-only alarm (no reserved concurrency), nothing named webhook-throttles', () => {
    const fn = Object.values(platform.findResources('AWS::Lambda::Function')).find(
      (r) => r.Properties.FunctionName === 'berth-webhook',
    )!;
    expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    for (const [name, a] of alarms) expect(a.MetricName, name).not.toBe('Throttles');
    expect([...alarms.keys()]).not.toContain('berth-webhook-throttles');
  });

  it("sets the webhook duration alarm at half the handler's 8 s deadline, well inside its 10 s timeout", () => {
    const fn = Object.values(platform.findResources('AWS::Lambda::Function')).find(
      (r) => r.Properties.FunctionName === 'berth-webhook',
    )!;
    expect(fn.Properties.Timeout).toBe(10);
    const a = alarms.get(names.webhookDuration)!;
    expect(a).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Duration', ExtendedStatistic: 'p99' });
    expect(a.Threshold).toBe(WEBHOOK_DEADLINE_MS / 2);
    expect(a.Threshold).toBeLessThan(fn.Properties.Timeout * 1000);
    expect(JSON.stringify(resolver.resolve(PLATFORM, a.AlarmDescription))).toContain('half the 8000 ms');
  });

  it('watches p99 latency of the API', () => {
    expect(alarms.get(names.apiLatencyP99)).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      ExtendedStatistic: 'p99',
    });
  });

  it('watches the pipeline-events function: its errors can mean a lost failure message', () => {
    const fn = Object.entries(platform.findResources('AWS::Lambda::Function')).find(
      ([, r]) => r.Properties.FunctionName === 'berth-pipeline-events',
    )!;
    expect(alarms.get(names.pipelineEventsErrors)).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn[0] } }],
    });
  });

  it('watches the ALB itself: ELB-generated 5xx and rejected connections', () => {
    const alb = Object.keys(platform.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'))[0];
    for (const [name, metric] of [
      [names.albElb5xx, 'HTTPCode_ELB_5XX_Count'],
      [names.albRejectedConnections, 'RejectedConnectionCount'],
    ]) {
      expect(alarms.get(name), name).toMatchObject({
        Namespace: 'AWS/ApplicationELB',
        MetricName: metric,
        Statistic: 'Sum',
        Dimensions: [{ Name: 'LoadBalancer', Value: { 'Fn::GetAtt': [alb, 'LoadBalancerFullName'] } }],
      });
    }
  });

  it('watches cluster capacity: CPU and memory reservation only while the group is at maxCapacity, and in-service instances against the minimum', () => {
    const cluster = Object.keys(platform.findResources('AWS::ECS::Cluster'))[0];
    const asg = Object.keys(platform.findResources('AWS::AutoScaling::AutoScalingGroup'))[0];
    for (const [name, metric] of [
      [names.clusterCpuReservation, 'CPUReservation'],
      [names.clusterMemoryReservation, 'MemoryReservation'],
    ]) {
      const { expression, byId } = math(alarms.get(name)!);
      expect(expression, name).toBe(
        `IF(FILL(instances, 0) >= ${config.cluster.maxCapacity}, reservation, 0)`,
      );
      expect(byId.reservation.MetricStat.Metric).toMatchObject({
        Namespace: 'AWS/ECS',
        MetricName: metric,
        Dimensions: [{ Name: 'ClusterName', Value: { Ref: cluster } }],
      });
      expect(byId.instances.MetricStat).toMatchObject({
        Metric: {
          Namespace: 'AWS/AutoScaling',
          MetricName: 'GroupInServiceInstances',
          Dimensions: [{ Name: 'AutoScalingGroupName', Value: { Ref: asg } }],
        },
        Stat: 'Maximum',
      });
    }
    expect(alarms.get(names.clusterInstancesBelowMin)).toMatchObject({
      Namespace: 'AWS/AutoScaling',
      MetricName: 'GroupInServiceInstances',
      Statistic: 'Maximum',
      Dimensions: [{ Name: 'AutoScalingGroupName', Value: { Ref: asg } }],
    });
  });

  it('watches each NAT gateway of the network stack by its id (a cross-stack reference)', () => {
    const gateways = resolver.resolve(
      PLATFORM,
      [1, 2].flatMap((i) =>
        [natAlarmNames(config, i).portAllocationErrors, natAlarmNames(config, i).packetsDropped].map(
          (n) => alarms.get(n)!.Dimensions[0].Value,
        ),
      ),
    ) as string[];
    expect(gateways[0]).toMatch(/^berth-network-.*PublicSubnet1NATGateway/);
    expect(gateways[2]).toMatch(/^berth-network-.*PublicSubnet2NATGateway/);
    expect(gateways[0]).toBe(gateways[1]);
    expect(gateways[2]).toBe(gateways[3]);
    expect(alarms.get(natAlarmNames(config, 1).portAllocationErrors)).toMatchObject({
      Namespace: 'AWS/NATGateway',
      MetricName: 'ErrorPortAllocation',
    });
    expect(alarms.get(natAlarmNames(config, 1).packetsDropped)).toMatchObject({
      MetricName: 'PacketsDropCount',
    });
  });

  it('names the platform generation in each NAT alarm (its gateway ids come from the network stack), and in no other platform alarm', () => {
    const generation = platformGeneration(config);
    const nat = new Set([1, 2].flatMap((i) => Object.values(natAlarmNames(config, i))));
    for (const [name, a] of alarms) {
      const description = JSON.stringify(resolver.resolve(PLATFORM, a.AlarmDescription));
      if (nat.has(name)) expect(description, name).toContain(`Platform generation: ${generation}.`);
      else expect(description, name).not.toContain('Platform generation');
    }
  });
});

describe('platform alarms with cluster.minCapacity 0', () => {
  it('makes no "instances below minimum" alarm (there is no minimum to fall below)', () => {
    const c = configWith((raw) => ((raw.cluster as Record<string, unknown>).minCapacity = 0));
    const names0 = Object.values(template(buildApp(c).platform).findResources('AWS::CloudWatch::Alarm')).map(
      (r) => r.Properties.AlarmName,
    );
    expect(names0).not.toContain(names.clusterInstancesBelowMin);
    expect(names0).toContain(names.clusterCpuReservation);
  });
});
