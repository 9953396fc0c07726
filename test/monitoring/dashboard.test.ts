import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import { projectNames } from '../../src/config/names';
import { WEBHOOK_METRICS } from '../../src/functions/webhook/metrics';
import { platformAlarmNames, projectAlarmNames } from '../../src/monitoring/alarm-names';
import { buildApp, configWith, seedConfig, template } from '../support/app';

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Widget = {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Props;
};

/** The dashboard body as JSON, every CloudFormation token (they all sit inside JSON strings) replaced by TOKEN. */
function dashboardBody(t: Template): { widgets: Widget[] } {
  const dashboards = Object.values(t.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = dashboards[0].Properties.DashboardBody;
  const text =
    typeof body === 'string'
      ? body
      : (body['Fn::Join'][1] as unknown[])
          .map((part) => (typeof part === 'string' ? part : 'TOKEN'))
          .join('');
  return JSON.parse(text);
}

const titles = (widgets: Widget[]) => widgets.map((w) => w.properties.title ?? w.properties.markdown);
/** Every metric row and expression of the graph widgets, serialized. */
const metricsText = (widgets: Widget[]) => JSON.stringify(widgets.map((w) => w.properties.metrics ?? []));

function projectSection(widgets: Widget[], name: string) {
  const start = widgets.findIndex(
    (w) => w.type === 'text' && w.properties.markdown.startsWith(`## Project ${name}:`),
  );
  expect(start, name).toBeGreaterThan(-1);
  const next = widgets.findIndex(
    (w, i) => i > start && w.type === 'text' && w.properties.markdown.startsWith('## Project '),
  );
  return widgets.slice(start, next === -1 ? undefined : next);
}

describe('the dashboard (seed config)', () => {
  const config = seedConfig();
  let t: Template;
  let widgets: Widget[];
  beforeAll(() => {
    t = template(buildApp(config).platform);
    widgets = dashboardBody(t).widgets;
  });

  it('is one dashboard, named after the prefix, in the platform stack', () => {
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    t.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'berth' });
  });

  it('lays every widget out inside the 24-column grid without overlaps', () => {
    const cells = new Set<string>();
    for (const w of widgets) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++)
        for (let y = w.y; y < w.y + w.height; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
    }
  });

  it('has the platform section: API, webhook, ALB, cluster capacity, NAT, and the platform alarms', () => {
    expect(titles(widgets)).toEqual(
      expect.arrayContaining([
        'Platform alarms',
        'API requests (per 5 min)',
        'API 4xx, 5xx and 429 (throttled)',
        'API latency (ms)',
        'Webhook outcomes (per 5 min)',
        'Webhook invocations, errors, throttles',
        'Webhook duration (ms)',
        'ALB requests (per 5 min)',
        'ALB errors',
        'Cluster reservation (%)',
        'Container instances',
        'NAT port allocation errors and dropped packets',
      ]),
    );
    const text = metricsText(widgets);
    for (const metric of [
      '"Count"',
      '"4xx"',
      '"5xx"',
      '"Latency"',
      'ApiThrottledRequests',
      'HTTPCode_ELB_5XX_Count',
      'CPUReservation',
      'MemoryReservation',
      'GroupInServiceInstances',
      'ErrorPortAllocation',
      'PacketsDropCount',
    ]) {
      expect(text).toContain(metric);
    }
    for (const outcome of Object.values(WEBHOOK_METRICS)) {
      expect(text).toContain(`["Berth","${outcome}","service","berth-webhook"`);
    }
    const platformAlarms = widgets.find((w) => w.properties.title === 'Platform alarms')!;
    expect(platformAlarms.properties.alarms).toHaveLength(Object.keys(platformAlarmNames(config)).length + 4);
  });

  it.each(config.projects.map((p) => [p.name, p] as const))(
    'has a section for project %s, addressed by derived names',
    (name, project) => {
      const n = projectNames(config, project);
      const section = projectSection(widgets, name);
      const text = metricsText(section);
      // Target-group metrics by SEARCH on the target group name (its hash is unknown to the platform).
      for (const metric of ['RequestCount', 'HTTPCode_Target_5XX_Count', 'TargetResponseTime']) {
        expect(text).toContain(
          `SEARCH('{AWS/ApplicationELB,LoadBalancer,TargetGroup} MetricName=\\"${metric}\\" targetgroup/${n.qualified}`,
        );
      }
      // ECS by cluster and service name, running vs desired from Container Insights.
      for (const metric of [
        '"AWS/ECS","CPUUtilization"',
        '"AWS/ECS","MemoryUtilization"',
        '"ECS/ContainerInsights","RunningTaskCount"',
        '"ECS/ContainerInsights","DesiredTaskCount"',
      ]) {
        expect(text).toContain(`[${metric},"ClusterName","berth","ServiceName","${n.service}"`);
      }
      // Pipeline outcomes from the pipeline-events function's metrics.
      for (const metric of ['PipelineSucceeded', 'PipelineFailed']) {
        expect(text).toContain(`["Berth","${metric}","Project","${name}","service","berth-pipeline-events"`);
      }
      // Its alarms, by name, though they live in its own stack.
      const status = section.find((w) => w.type === 'alarm')!;
      expect(status.properties.alarms).toEqual(
        Object.values(projectAlarmNames(config, project)).map(
          (a) => `arn:aws:cloudwatch:us-east-1:TOKEN:alarm:${a}`,
        ),
      );
    },
  );
});

describe('the dashboard with a project added in berth.yaml', () => {
  const config = configWith((raw) => {
    (raw.projects as unknown[]).push({
      name: 'cash',
      path: '/api/till',
      priority: 30,
      repository: { project: 'Finance', name: 'till' },
      alarms: { target5xxPerMinute: 1 },
    });
  });
  let widgets: Widget[];
  beforeAll(() => {
    widgets = dashboardBody(template(buildApp(config).platform)).widgets;
  });

  it('adds a section for the new project and keeps the others', () => {
    for (const p of config.projects) projectSection(widgets, p.name);
    expect(
      widgets.filter((w) => w.type === 'text' && w.properties.markdown.startsWith('## Project ')),
    ).toHaveLength(3);
  });

  it("keeps the new project's target-group search off the project whose name extends it", () => {
    const text = metricsText(projectSection(widgets, 'cash'));
    expect(text).toContain('targetgroup/berth-cash NOT targetgroup/berth-cash-collection');
    expect(metricsText(projectSection(widgets, 'cash-collection'))).not.toContain('NOT');
  });

  it("draws the new project's own threshold on its 5xx graph", () => {
    const graph = projectSection(widgets, 'cash').find(
      (w) => w.properties.title === 'cash: target 5xx (per minute)',
    )!;
    expect(graph.properties.annotations.horizontal[0].value).toBe(1);
  });
});
