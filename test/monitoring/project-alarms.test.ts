import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { BerthApp } from '../../src/app';
import { projectNames } from '../../src/config/names';
import type { ParsedProject } from '../../src/config/schema';
import { projectAlarmNames, projectAlarmNamesOf } from '../../src/monitoring/alarm-names';
import { platformGeneration } from '../../src/monitoring/generation';
import { projectThresholds } from '../../src/monitoring/thresholds';
import { buildApp, configWith, REPO_ROOT, seedConfig, template } from '../support/app';
import { ACCOUNT, REGION, TemplateResolver } from '../support/resolve';

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Templates = ConstructorParameters<typeof TemplateResolver>[0];

const config = seedConfig();
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:berth-alarms`;

/** Each project alarm: name, threshold, comparison, missing data, evaluation periods, datapoints to alarm. */
function expected(project: ParsedProject): [string, number, string, string, number, number][] {
  const n = projectAlarmNames(config, project);
  const th = projectThresholds(project);
  return [
    [n.target5xx, th.target5xxPerMinute, 'GreaterThanThreshold', 'notBreaching', 3, 2],
    [n.unhealthyHosts, th.unhealthyHosts, 'GreaterThanThreshold', 'notBreaching', 3, 3],
    [n.responseTimeP99, th.targetResponseTimeP99Seconds, 'GreaterThanThreshold', 'notBreaching', 5, 3],
    [n.cpuHigh, th.cpuPercent, 'GreaterThanThreshold', 'notBreaching', 2, 2],
    [n.memoryHigh, th.memoryPercent, 'GreaterThanThreshold', 'notBreaching', 2, 2],
    [
      n.tasksBelowDesired,
      0,
      'GreaterThanThreshold',
      'notBreaching',
      th.tasksBelowDesiredMinutes,
      th.tasksBelowDesiredMinutes,
    ],
    [n.pipelineFailed, th.pipelineFailures, 'GreaterThanOrEqualToThreshold', 'notBreaching', 1, 1],
  ];
}

const alarmsOf = (t: Template) =>
  new Map<string, Props>(
    Object.entries(t.findResources('AWS::CloudWatch::Alarm')).map(([id, r]) => [
      r.Properties.AlarmName as string,
      { id, ...(r.Properties as Props) },
    ]),
  );

let app: BerthApp;
let resolver: TemplateResolver;
beforeAll(() => {
  app = buildApp(config);
  resolver = new TemplateResolver(
    Object.fromEntries(
      [app.network, app.platform, ...app.projects.values()].map((s) => [s.stackName, template(s).toJSON()]),
    ) as Templates,
  );
});

describe.each(config.projects.map((p) => [p.name, p] as const))('alarms of project %s', (name, project) => {
  const stackName = projectNames(config, project).stack;
  const n = projectAlarmNames(config, project);
  let t: Template;
  let alarms: ReturnType<typeof alarmsOf>;
  beforeAll(() => {
    t = template(app.projects.get(name)!);
    alarms = alarmsOf(t);
  });

  it('has exactly the per-project alarms, in its own stack', () => {
    expect([...alarms.keys()].sort()).toEqual(
      expected(project)
        .map(([alarm]) => alarm)
        .sort(),
    );
  });

  it.each(expected(project))(
    '%s: threshold %d, %s, missing data %s',
    (alarm, threshold, comparison, missing, periods, points) => {
      expect(alarms.get(alarm)).toMatchObject({
        Threshold: threshold,
        ComparisonOperator: comparison,
        TreatMissingData: missing,
        EvaluationPeriods: periods,
        DatapointsToAlarm: points,
      });
    },
  );

  it('notifies the platform topic on ALARM and OK, through a cross-stack reference (all but pipeline-failed)', () => {
    for (const [alarm, a] of alarms) {
      if (alarm === n.pipelineFailed) continue;
      for (const actions of [a.AlarmActions, a.OKActions]) {
        expect(actions, alarm).toHaveLength(1);
        expect(JSON.stringify(actions[0]), alarm).toMatch(/Fn::(GetStackOutput|ImportValue)/);
        expect(resolver.resolve(stackName, actions), alarm).toEqual([TOPIC_ARN]);
      }
    }
  });

  it('watches its target group on the shared ALB: 5xx, unhealthy hosts, p99 response time', () => {
    const tg = Object.keys(t.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'))[0];
    const platformAlb = Object.keys(
      template(app.platform).findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'),
    )[0];
    const albFullName = resolver.resolve('berth-platform', {
      'Fn::GetAtt': [platformAlb, 'LoadBalancerFullName'],
    });
    for (const [alarm, metric, stat] of [
      [n.target5xx, 'HTTPCode_Target_5XX_Count', { Statistic: 'Sum' }],
      [n.unhealthyHosts, 'UnHealthyHostCount', { Statistic: 'Maximum' }],
      [n.responseTimeP99, 'TargetResponseTime', { ExtendedStatistic: 'p99' }],
    ] as const) {
      const a = alarms.get(alarm)!;
      expect(a, alarm).toMatchObject({
        Namespace: 'AWS/ApplicationELB',
        MetricName: metric,
        Period: 60,
        ...stat,
      });
      const dims = Object.fromEntries(a.Dimensions.map((d: Props) => [d.Name, d.Value]));
      expect(dims.TargetGroup).toEqual({ 'Fn::GetAtt': [tg, 'TargetGroupFullName'] });
      expect(resolver.resolve(stackName, dims.LoadBalancer)).toBe(albFullName);
    }
  });

  it('watches its ECS service: CPU and memory utilization, running tasks against desired', () => {
    const service = Object.keys(t.findResources('AWS::ECS::Service'))[0];
    for (const [alarm, metric] of [
      [n.cpuHigh, 'CPUUtilization'],
      [n.memoryHigh, 'MemoryUtilization'],
    ]) {
      const a = alarms.get(alarm)!;
      expect(a).toMatchObject({
        Namespace: 'AWS/ECS',
        MetricName: metric,
        Statistic: 'Average',
        Period: 300,
      });
      const dims = Object.fromEntries(a.Dimensions.map((d: Props) => [d.Name, d.Value]));
      // By name: the service exists only after the first release, the alarms from the start.
      expect(dims.ServiceName).toBe(projectNames(config, project).service);
      expect(t.findResources('AWS::ECS::Service')[service].Properties.ServiceName).toBe(dims.ServiceName);
      expect(resolver.resolve(stackName, dims.ClusterName)).toBe('berth');
    }
    const tasks = alarms.get(n.tasksBelowDesired)!;
    const byId = Object.fromEntries(tasks.Metrics.map((m: Props) => [m.Id, m]));
    expect(tasks.Metrics.find((m: Props) => m.ReturnData !== false).Expression).toBe(
      'desired - FILL(running, 0)',
    );
    expect(byId.desired.MetricStat.Metric).toMatchObject({
      Namespace: 'ECS/ContainerInsights',
      MetricName: 'DesiredTaskCount',
    });
    expect(byId.running.MetricStat.Metric).toMatchObject({
      Namespace: 'ECS/ContainerInsights',
      MetricName: 'RunningTaskCount',
    });
  });

  it('describes every alarm: meaning, first check, how to tune, and a runbook entry that exists', () => {
    const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'operations.md'), 'utf8');
    for (const [alarm, a] of alarms) {
      const description = String(resolver.resolve(stackName, a.AlarmDescription));
      expect(description, alarm).toMatch(
        /First check: .+ Tune: .+ Runbook: docs\/operations\.md#[a-z0-9-]+$/,
      );
      expect(description.length, alarm).toBeLessThanOrEqual(1024);
      const anchor = /#([a-z0-9-]+)$/.exec(description)![1];
      expect(doc, `${alarm} -> #${anchor}`).toContain(`<a id="${anchor}"></a>`);
    }
    expect(String(alarms.get(n.cpuHigh)!.AlarmDescription)).toContain(
      `alarms.cpuPercent of project ${name} in berth.yaml`,
    );
  });

  it("names the platform generation in the alarms whose LoadBalancer dimension is the platform's output, and only there", () => {
    const generation = platformGeneration(config);
    for (const [alarm, a] of alarms) {
      const description = String(resolver.resolve(stackName, a.AlarmDescription));
      const readsAlb = JSON.stringify(a.Dimensions ?? a.Metrics ?? []).includes('LoadBalancer');
      expect(readsAlb, alarm).toBe([n.target5xx, n.unhealthyHosts, n.responseTimeP99].includes(alarm));
      if (readsAlb) expect(description, alarm).toContain(`Platform generation: ${generation}.`);
      else expect(description, alarm).not.toContain('Platform generation');
    }
  });

  it('keeps pipeline-failed silent: the pipeline-events message announces a failure, and its OK would claim a fix', () => {
    const a = alarms.get(n.pipelineFailed)!;
    expect(a.AlarmActions ?? []).toEqual([]);
    expect(a.OKActions ?? []).toEqual([]);
    expect(String(a.AlarmDescription)).toContain('It notifies nobody');
  });

  it('alarms on a failed pipeline execution, from the pipeline-events function metric', () => {
    expect(alarms.get(n.pipelineFailed)).toMatchObject({
      Namespace: 'Berth',
      MetricName: 'PipelineFailed',
      Statistic: 'Sum',
      Period: 300,
      Dimensions: expect.arrayContaining([
        { Name: 'service', Value: 'berth-pipeline-events' },
        { Name: 'Project', Value: name },
      ]),
    });
  });

  it('rolls its service back when the 5xx or unhealthy-hosts alarm fires during a deployment', () => {
    const [service] = Object.values(t.findResources('AWS::ECS::Service'));
    expect(service.Properties.DeploymentConfiguration.Alarms).toEqual({
      AlarmNames: [n.target5xx, n.unhealthyHosts],
      Enable: true,
      Rollback: true,
    });
    // Created after its deployment alarms, which it names by static strings.
    expect(service.DependsOn).toEqual(
      expect.arrayContaining([alarms.get(n.target5xx)!.id, alarms.get(n.unhealthyHosts)!.id]),
    );
  });
});

describe('a per-project override in berth.yaml', () => {
  it("changes that project's thresholds only", () => {
    const changed = configWith((raw) => {
      (raw.projects as Record<string, unknown>[])[0].alarms = { target5xxPerMinute: 0, cpuPercent: 70 };
    });
    const overridden = buildApp(changed);
    const [first, second] = changed.projects;
    const a1 = alarmsOf(template(overridden.projects.get(first.name)!));
    const a2 = alarmsOf(template(overridden.projects.get(second.name)!));
    const n1 = projectAlarmNames(changed, first);
    const n2 = projectAlarmNames(changed, second);
    expect(a1.get(n1.target5xx)!.Threshold).toBe(0);
    expect(a1.get(n1.cpuHigh)!.Threshold).toBe(70);
    expect(a1.get(n1.memoryHigh)!.Threshold).toBe(projectThresholds({}).memoryPercent);
    expect(a2.get(n2.target5xx)!.Threshold).toBe(projectThresholds({}).target5xxPerMinute);
    expect(a2.get(n2.cpuHigh)!.Threshold).toBe(projectThresholds({}).cpuPercent);
  });
});

describe('a worker (a project without a path)', () => {
  const workerConfig = configWith((raw) => {
    (raw.projects as unknown[]).push({
      name: 'mailer',
      repository: { project: 'Ops', name: 'mailer' },
      service: { scaling: { cpuPercent: 90 } },
    });
  });
  const worker = workerConfig.projects.find((p) => p.name === 'mailer')!;
  const n = projectAlarmNames(workerConfig, worker);
  let stack: ReturnType<BerthApp['projects']['get']>;
  let alarms: ReturnType<typeof alarmsOf>;
  beforeAll(() => {
    stack = buildApp(workerConfig).projects.get('mailer');
    alarms = alarmsOf(template(stack!));
  });

  it('has no target group, so none of the target-group alarms: only CPU, memory, tasks and pipeline', () => {
    expect([...alarms.keys()].sort()).toEqual(projectAlarmNamesOf(workerConfig, worker).sort());
    expect([...alarms.keys()].sort()).toEqual(
      [n.cpuHigh, n.memoryHigh, n.tasksBelowDesired, n.pipelineFailed].sort(),
    );
  });

  it('has no deployment alarms on its service (they would name alarms that do not exist)', () => {
    const [service] = Object.values(template(stack!).findResources('AWS::ECS::Service'));
    expect(service.Properties.DeploymentConfiguration?.Alarms).toBeUndefined();
  });

  it('given a scaling target (90 %) above the CPU alarm (85 %), when synthesized, then synth warns that the alarm would fire in normal operation', () => {
    const warnings = stack!.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === 'aws:cdk:warning')
      .map((m) => String(m.data));
    expect(warnings.some((w) => w.includes('cpu-high alarm of mailer') && w.includes('scaling target'))).toBe(
      true,
    );
    expect(String(alarms.get(n.cpuHigh)!.AlarmDescription)).toContain('scaling (target 90 %)');
  });
});
