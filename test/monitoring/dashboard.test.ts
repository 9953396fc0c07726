import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { BerthApp } from '../../src/app';
import { projectNames } from '../../src/config/names';
import { RELEASE_METRICS, WEBHOOK_METRICS } from '../../src/contracts';
import { platformAlarmNames, projectAlarmNamesOf } from '../../src/monitoring/alarm-names';
import { platformGeneration } from '../../src/monitoring/generation';
import { RELEASE_STAGES } from '../../src/monitoring/metrics';
import { targetGroupName } from '../../src/config/names';
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

/** The metric rows (not expressions) of the graph widgets: [namespace, name, dim, value, ..., options?]. */
const metricRows = (widgets: Widget[]) =>
  widgets
    .flatMap((w) => (w.properties.metrics ?? []) as unknown[][])
    .map((row) => row.filter((x) => typeof x === 'string') as string[])
    .filter((row) => row.length >= 2);

/** Every Lambda function name the app creates: the only values a Powertools `service` dimension can have. */
const functionNames = (app: BerthApp) =>
  new Set(
    [app.platform, ...app.projects.values()].flatMap((st) =>
      Object.values(template(st).findResources('AWS::Lambda::Function')).map(
        (f) => f.Properties.FunctionName,
      ),
    ),
  );

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
  let app: BerthApp;
  let t: Template;
  let widgets: Widget[];
  beforeAll(() => {
    app = buildApp(config);
    t = template(app.platform);
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
        'Webhook failures: ours (503, crashes, Lambda throttles) and 429s',
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
      'WebhookRetryable',
      'WebhookThrottledRequests',
    ]) {
      expect(text).toContain(metric);
    }
    for (const outcome of Object.values(WEBHOOK_METRICS)) {
      expect(text).toContain(`["Berth","${outcome}","service","berth-webhook"`);
    }
    const platformAlarms = widgets.find((w) => w.properties.title === 'Platform alarms')!;
    // Every platform alarm but alerts-undelivered (no chat channel in the seed), and two per NAT gateway.
    expect(platformAlarms.properties.alarms).toHaveLength(
      Object.keys(platformAlarmNames(config)).length - 1 + 4,
    );
    expect(titles(widgets).some((x) => String(x).startsWith('Chat alerts'))).toBe(false);
  });

  it('names the platform generation in its header (its NAT graphs read gateway ids from the network stack)', () => {
    expect(widgets[0].properties.markdown).toContain(`Platform generation: ${platformGeneration(config)}.`);
  });

  it('graphs no Berth metric that cannot exist: every service dimension is a function the app creates', () => {
    const names = functionNames(app);
    const berth = metricRows(widgets).filter((row) => row[0] === 'Berth');
    expect(berth.length).toBeGreaterThan(0);
    for (const row of berth) {
      const service = row[row.indexOf('service') + 1];
      expect(row.indexOf('service'), row.join(' ')).toBeGreaterThan(1);
      expect(names.has(service), row.join(' ')).toBe(true);
    }
  });

  it.each(config.projects.map((p) => [p.name, p] as const))(
    'has a section for project %s, addressed by derived names',
    (name, project) => {
      const n = projectNames(config, project);
      const section = projectSection(widgets, name);
      const text = metricsText(section);
      // Target-group metrics by SEARCH on the target group's name (its id suffix is unknown to the platform).
      const tg = targetGroupName(config, project);
      for (const metric of ['RequestCount', 'HTTPCode_Target_5XX_Count', 'TargetResponseTime']) {
        expect(text).toContain(
          `SEARCH('{AWS/ApplicationELB,LoadBalancer,TargetGroup} MetricName=\\"${metric}\\" targetgroup/${tg}'`,
        );
      }
      // The name the project stack gives its target group.
      const tgs = Object.values(
        template(app.projects.get(name)!).findResources('AWS::ElasticLoadBalancingV2::TargetGroup'),
      );
      expect(tgs.map((r) => r.Properties.Name)).toEqual([tg]);
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
        projectAlarmNamesOf(config, project).map((a) => `arn:aws:cloudwatch:us-east-1:TOKEN:alarm:${a}`),
      );
    },
  );

  it.each(config.projects.map((p) => [p.name, p] as const))(
    "graphs each release stage of project %s: its duration and its outcomes, from the stage function's metrics",
    (name, project) => {
      const text = metricsText(projectSection(widgets, name));
      for (const stage of RELEASE_STAGES) {
        const fn = projectNames(config, project).releaseFunction(stage.toLowerCase());
        for (const metric of Object.values(RELEASE_METRICS)) {
          expect(text).toContain(
            `["Berth","${metric}","Project","${name}","Stage","${stage}","service","${fn}"`,
          );
        }
      }
      const titlesOf = titles(projectSection(widgets, name));
      expect(titlesOf).toContain(`${name}: release stage duration (longest per hour, s)`);
      expect(titlesOf).toContain(`${name}: release stage outcomes (per hour)`);
    },
  );
});

describe('the dashboard with a routed project and a worker added in berth.yaml', () => {
  const config = configWith((raw) => {
    (raw.projects as unknown[]).push(
      {
        name: 'till',
        path: '/api/till',
        priority: 30,
        repository: { project: 'Finance', name: 'till' },
        alarms: { target5xxPerMinute: 1 },
      },
      { name: 'mailer', repository: { project: 'Ops', name: 'mailer' } },
    );
    raw.alerts = { emails: [], chat: [{ name: 'ops', type: 'slack' }] };
  });
  let app: BerthApp;
  let widgets: Widget[];
  beforeAll(() => {
    app = buildApp(config);
    widgets = dashboardBody(template(app.platform)).widgets;
  });

  it('adds a section for each new project and keeps the others', () => {
    for (const p of config.projects) projectSection(widgets, p.name);
    expect(
      widgets.filter((w) => w.type === 'text' && w.properties.markdown.startsWith('## Project ')),
    ).toHaveLength(4);
  });

  it("keeps the new project's target-group search on its own target group, not on another project's", () => {
    const till = config.projects.find((p) => p.name === 'till')!;
    const text = metricsText(projectSection(widgets, 'till'));
    const searched = [...text.matchAll(/targetgroup\/([A-Za-z0-9-]+)/g)].map((m) => m[1]);
    expect(searched.length).toBeGreaterThan(0);
    expect(new Set(searched)).toEqual(new Set([targetGroupName(config, till)]));
  });

  it("draws the new project's own threshold on its 5xx graph", () => {
    const graph = projectSection(widgets, 'till').find(
      (w) => w.properties.title === 'till: target 5xx (per minute)',
    )!;
    expect(graph.properties.annotations.horizontal[0].value).toBe(1);
  });

  it('gives the worker no target-group graphs (it has none) and no target-group alarms in its status', () => {
    const section = projectSection(widgets, 'mailer');
    expect(section[0].properties.markdown).toContain('## Project mailer: worker (no path)');
    expect(metricsText(section)).not.toContain('AWS/ApplicationELB');
    expect(titles(section)).not.toContain('mailer: requests (per minute)');
    const status = section.find((w) => w.type === 'alarm')!;
    expect(status.properties.alarms.map((a: string) => a.split(':alarm:')[1])).toEqual([
      'berth-mailer-cpu-high',
      'berth-mailer-memory-high',
      'berth-mailer-tasks-below-desired',
      'berth-mailer-pipeline-failed',
    ]);
    expect(titles(section)).toEqual(
      expect.arrayContaining([
        'mailer: CPU and memory (%)',
        'mailer: tasks running vs desired',
        'mailer: release stage duration (longest per hour, s)',
      ]),
    );
  });

  it('graphs the chat alerts (delivered, failed, URL not set, crashes) once a chat channel exists', () => {
    const graph = widgets.find((w) => w.properties.title === 'Chat alerts (per 5 min, all channels)')!;
    const text = metricsText([graph]);
    for (const metric of ['AlertDelivered', 'AlertDeliveryFailed', 'AlertChannelNotSet']) {
      expect(text).toContain(`["Berth","${metric}","service","berth-alerts"`);
    }
    expect(text).toContain('"AWS/Lambda","Errors","FunctionName"');
  });

  it('graphs no Berth metric that cannot exist, workers and chat alerts included', () => {
    const names = functionNames(app);
    for (const row of metricRows(widgets).filter((r) => r[0] === 'Berth')) {
      expect(names.has(row[row.indexOf('service') + 1]), row.join(' ')).toBe(true);
    }
  });
});
