import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { platformNames } from '../config/names';
import {
  pipelineOutcomeMetrics,
  RELEASE_STAGES,
  releaseStageMetrics,
  serviceUtilizationMetrics,
  targetGroupSearches,
  taskCountMetrics,
  webhookOutcomeMetrics,
} from './metrics';
import { WEBHOOK_DEADLINE_MS, type PlatformThresholds, type ProjectThresholds } from './thresholds';

/*
 * Why hand-written widgets and not cdk-monitoring-constructs: that library builds a dashboard (and alarms) from
 * constructs it is handed (a FargateService, an ApplicationTargetGroup, ...). Berth's one dashboard lives in the
 * shared platform stack, which must never import from a project stack (references flow shared -> project only).
 * So every project section here addresses its metrics by names the platform stack derives from the config
 * ({@link MonitoredProject}): ECS metrics by ClusterName + ServiceName, target-group metrics by a SEARCH on the
 * target group's name, pipeline outcomes by the Berth custom metrics' dimensions. The library offers no such
 * name-based path, would pull a dependency for a dozen graph widgets, and would make its own alarm naming and
 * missing-data choices, which Berth makes per alarm on purpose. aws-cdk-lib's CloudWatch L2 widgets are all this
 * needs.
 */

/** The platform-wide series the dashboard graphs (built once in PlatformMonitoring, shared with its alarms). */
export interface PlatformMetrics {
  readonly apiRequests: cloudwatch.IMetric;
  readonly api4xx: cloudwatch.IMetric;
  readonly api5xx: cloudwatch.IMetric;
  readonly apiThrottled: cloudwatch.IMetric;
  readonly apiLatencyP50: cloudwatch.IMetric;
  readonly apiLatencyP99: cloudwatch.IMetric;
  readonly webhookInvocations: cloudwatch.Metric;
  /** `WebhookRetryable`: requests our side failed and answered 503. */
  readonly webhookRetryable: cloudwatch.Metric;
  /** Lambda `Errors`: crashes (the handler answers its own failures, so these are bugs or timeouts). */
  readonly webhookErrors: cloudwatch.IMetric;
  /** Lambda `Throttles`: the account's concurrency (the function has no reserved concurrency). */
  readonly webhookThrottles: cloudwatch.IMetric;
  /** 429 answers of the webhook routes, from the API access log. */
  readonly webhookThrottled: cloudwatch.IMetric;
  readonly webhookDurationP99: cloudwatch.IMetric;
  readonly albRequests: cloudwatch.IMetric;
  readonly albElb5xx: cloudwatch.IMetric;
  readonly albTarget5xx: cloudwatch.IMetric;
  readonly albRejectedConnections: cloudwatch.IMetric;
  readonly albTargetResponseTimeP99: cloudwatch.IMetric;
  readonly clusterCpuReservation: cloudwatch.IMetric;
  readonly clusterMemoryReservation: cloudwatch.IMetric;
  readonly clusterCpuUtilization: cloudwatch.IMetric;
  readonly clusterMemoryUtilization: cloudwatch.IMetric;
  readonly instancesInService: cloudwatch.IMetric;
  readonly instancesDesired: cloudwatch.IMetric;
  readonly nat: readonly {
    readonly index: number;
    readonly portAllocationErrors: cloudwatch.IMetric;
    readonly packetsDropped: cloudwatch.IMetric;
    readonly bytesOut: cloudwatch.IMetric;
    readonly activeConnections: cloudwatch.IMetric;
  }[];
}

/** The alerts function's series (only with chat channels). */
export interface AlertsMetrics {
  readonly delivered: cloudwatch.Metric;
  readonly failed: cloudwatch.Metric;
  readonly notSet: cloudwatch.Metric;
  readonly errors: cloudwatch.Metric;
}

/** A routed project's route on the shared ALB, as its dashboard section shows it. */
export interface MonitoredRoute {
  /** The path the ALB routes to the project (shown as `<path>/*`). */
  readonly path: string;
  /** Its target group's name (`targetGroupName()`, src/config/names.ts): its metrics are searched by it. */
  readonly targetGroupName: string;
}

/**
 * One project as the dashboard shows it, by names and thresholds the platform stack derives from the config (the
 * platform never imports a project stack, so it refers to the project's resources by name).
 */
export interface MonitoredProject {
  /** The project's name: its section's title and the `Project` dimension of its pipeline and release metrics. */
  readonly name: string;
  /** Its ECS service's name (the `ServiceName` dimension of its ECS and Container Insights metrics). */
  readonly serviceName: string;
  /** Its pipeline's name, shown in its section's header. */
  readonly pipelineName: string;
  /** The names of the alarms it has (they live in its own stack), listed in its alarm status widget. */
  readonly alarmNames: readonly string[];
  /** Its alarm thresholds (defaults merged with its overrides), drawn on its graphs. */
  readonly thresholds: ProjectThresholds;
  /** Its route and target group; undefined for a worker (no target group, so no request graphs). */
  readonly route?: MonitoredRoute;
}

export interface BerthDashboardProps {
  /** The config's prefix; the dashboard is named after it. */
  readonly prefix: string;
  /** The platform-wide series to graph (shared with the platform alarms). */
  readonly metrics: PlatformMetrics;
  /** The alerts function's outcomes; undefined without chat channels (no such function, no such metric). */
  readonly alerts?: AlertsMetrics;
  /** The platform alarms, shown in the platform section's alarm status widget. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** The platform alarms' thresholds, drawn on the platform graphs. */
  readonly thresholds: PlatformThresholds;
  /** The Auto Scaling group's minimum size, drawn on the container instances graph. */
  readonly minCapacity: number;
  /** The Auto Scaling group's maximum size, drawn on the container instances graph. */
  readonly maxCapacity: number;
  /** The projects: one section each, in the given (config) order. */
  readonly projects: readonly MonitoredProject[];
  /**
   * The platform generation, shown in the header: the NAT graphs name gateways of the network stack, so a change
   * that replaces one must change this template too. @default - none
   */
  readonly generation?: string;
}

const FULL = 24;
const HALF = 12;
const THIRD = 8;
const GRAPH_HEIGHT = 6;
const RED = '#d62728';
const GREEN = '#2ca02c';
const GREY = '#7f7f7f';

/**
 * Berth's one CloudWatch dashboard: a header, the platform section (alarm status, API, webhook, ALB, cluster, NAT
 * gateways, chat alerts) and one section per project of the config: its alarms; for a routed project its requests,
 * 5xx and p99 response time (a worker has no target group, so no such graphs); CPU and memory, running vs desired
 * tasks, pipeline successes and failures, and each release stage's duration and outcomes. A project added to
 * `berth.yaml` adds its section on the next deploy of the platform stack.
 */
export class BerthDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: BerthDashboardProps) {
    super(scope, id);
    const m = props.metrics;
    const t = props.thresholds;
    const names = platformNames({ prefix: props.prefix });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: names.dashboardName,
      defaultInterval: Duration.hours(6),
      // Each graph keeps its own period ("per 5 min", "per hour"), whatever the time range.
      periodOverride: cloudwatch.PeriodOverride.INHERIT,
    });
    const row = (...widgets: cloudwatch.IWidget[]) => this.dashboard.addWidgets(...widgets);
    const heading = (markdown: string) =>
      row(new cloudwatch.TextWidget({ markdown, width: FULL, height: 1 }));

    row(
      new cloudwatch.TextWidget({
        markdown: [
          `# Berth: ${props.prefix}`,
          `Alarms go to the SNS topic \`${names.alarmTopicName}\`; what each means and what to check first: docs/operations.md.`,
          `Sections: platform (API, webhook, ALB, cluster, NAT${props.alerts ? ', chat alerts' : ''}), then one per project: ${props.projects.map((p) => p.name).join(', ')}.` +
            (props.generation ? ` Platform generation: ${props.generation}.` : ''),
        ].join('\n\n'),
        width: FULL,
        height: 3,
      }),
    );
    row(
      new cloudwatch.AlarmStatusWidget({
        title: 'Platform alarms',
        alarms: [...props.alarms],
        width: FULL,
        height: 3,
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
      }),
    );

    heading('## Platform: HTTP API');
    row(
      graph('API requests (per 5 min)', [m.apiRequests]),
      graph('API 4xx, 5xx and 429 (throttled)', [m.api4xx, m.api5xx, m.apiThrottled], {
        annotations: [{ value: t.apiThrottledPer5Min, label: '429 alarm', color: RED }],
      }),
      graph('API latency (ms)', [m.apiLatencyP50, m.apiLatencyP99], {
        annotations: [{ value: t.apiLatencyP99Ms, label: 'p99 alarm', color: RED }],
      }),
    );

    heading(`## Platform: webhook (\`${names.webhookFunctionName}\`)`);
    row(
      graph('Webhook outcomes (per 5 min)', webhookOutcomeMetrics({ prefix: props.prefix }), {
        stacked: true,
      }),
      graph(
        'Webhook failures: ours (503, crashes, Lambda throttles) and 429s',
        [
          m.webhookRetryable.with({ color: RED }),
          m.webhookErrors,
          m.webhookThrottles,
          m.webhookThrottled,
          m.webhookInvocations.with({ color: GREY }),
        ],
        { annotations: [{ value: t.webhookErrors, label: 'alarm (503 + crashes + throttles)', color: RED }] },
      ),
      graph('Webhook duration (ms)', [m.webhookDurationP99], {
        annotations: [
          { value: t.webhookDurationP99Ms, label: 'duration alarm', color: RED },
          { value: WEBHOOK_DEADLINE_MS, label: 'handler deadline (503)', color: GREY },
        ],
      }),
    );

    heading('## Platform: internal ALB');
    row(
      graph('ALB requests (per 5 min)', [m.albRequests]),
      graph('ALB errors', [m.albElb5xx, m.albTarget5xx, m.albRejectedConnections], {
        annotations: [{ value: t.albElb5xxPer5Min, label: 'ELB 5xx alarm', color: RED }],
      }),
      graph('ALB target response time (s)', [m.albTargetResponseTimeP99]),
    );

    heading(`## Platform: ECS cluster \`${names.clusterName}\``);
    row(
      graph('Cluster reservation (%)', [m.clusterCpuReservation, m.clusterMemoryReservation], {
        annotations: [
          {
            value: Math.min(t.clusterCpuReservationPercent, t.clusterMemoryReservationPercent),
            label: 'alarm (at maxCapacity)',
            color: RED,
          },
        ],
        max: 100,
      }),
      graph('Cluster utilization (%)', [m.clusterCpuUtilization, m.clusterMemoryUtilization], { max: 100 }),
      graph('Container instances', [m.instancesInService, m.instancesDesired], {
        annotations: [
          { value: props.minCapacity, label: 'minCapacity', color: RED },
          { value: props.maxCapacity, label: 'maxCapacity', color: GREY },
        ],
      }),
    );

    if (m.nat.length > 0) {
      heading('## Platform: NAT gateways');
      row(
        graph(
          'NAT port allocation errors and dropped packets',
          m.nat.flatMap((n) => [n.portAllocationErrors, n.packetsDropped]),
        ),
        graph(
          'NAT bytes out to destinations',
          m.nat.map((n) => n.bytesOut),
        ),
        graph(
          'NAT active connections',
          m.nat.map((n) => n.activeConnections),
        ),
      );
    }

    if (props.alerts) {
      const a = props.alerts;
      heading(`## Platform: chat alerts (\`${names.alertsFunctionName}\`)`);
      row(
        graph(
          'Chat alerts (per 5 min, all channels)',
          [a.delivered.with({ color: GREEN }), a.failed.with({ color: RED }), a.notSet, a.errors],
          {
            annotations: [{ value: t.alertsUndelivered, label: 'undelivered alarm', color: RED }],
            width: FULL,
          },
        ),
      );
    }

    for (const project of props.projects) this.addProject(props, project);
  }

  private addProject(props: BerthDashboardProps, project: MonitoredProject): void {
    const prefix = { prefix: props.prefix };
    const named = { name: project.name };
    const clusterName = platformNames(prefix).clusterName;
    const th = project.thresholds;
    const route = project.route;
    const tg = route
      ? targetGroupSearches(
          route.targetGroupName,
          props.projects
            .filter((p) => p.name !== project.name)
            .flatMap((p) => (p.route ? [p.route.targetGroupName] : [])),
        )
      : undefined;
    const utilization = serviceUtilizationMetrics(clusterName, project.serviceName, Duration.minutes(5));
    const tasks = taskCountMetrics(clusterName, project.serviceName);
    const pipeline = pipelineOutcomeMetrics(prefix, named, Duration.hours(1));
    const what = route ? `\`${route.path}/*\`` : 'worker (no path)';

    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `## Project ${project.name}: ${what}, service \`${project.serviceName}\`, pipeline \`${project.pipelineName}\``,
        width: FULL,
        height: 1,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: `${project.name} alarms`,
        // By derived name: the alarms live in the project's stack, which the platform never imports.
        alarms: project.alarmNames.map((name) =>
          cloudwatch.Alarm.fromAlarmName(this, `${project.name}-${name}`, name),
        ),
        width: FULL,
        height: 2,
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
      }),
    );
    if (tg) {
      this.dashboard.addWidgets(
        graph(`${project.name}: requests (per minute)`, [tg.requests]),
        graph(`${project.name}: target 5xx (per minute)`, [tg.target5xx], {
          annotations: [{ value: th.target5xxPerMinute, label: '5xx alarm', color: RED }],
        }),
        graph(`${project.name}: response time p99 (s)`, [tg.responseTimeP99], {
          annotations: [{ value: th.targetResponseTimeP99Seconds, label: 'p99 alarm', color: RED }],
        }),
      );
    }
    this.dashboard.addWidgets(
      graph(`${project.name}: CPU and memory (%)`, [utilization.cpu, utilization.memory], {
        annotations: [
          { value: th.cpuPercent, label: 'CPU alarm', color: RED },
          { value: th.memoryPercent, label: 'memory alarm', color: RED },
        ],
        max: 100,
      }),
      graph(`${project.name}: tasks running vs desired`, [tasks.running, tasks.desired]),
      graph(
        `${project.name}: pipeline executions (per hour)`,
        [pipeline.succeeded.with({ color: GREEN }), pipeline.failed.with({ color: RED })],
        { stacked: true },
      ),
    );
    const stages = RELEASE_STAGES.map((stage) => releaseStageMetrics(prefix, named, stage));
    this.dashboard.addWidgets(
      graph(
        `${project.name}: release stage duration (longest per hour, s)`,
        stages.map((s) => s.seconds),
        { width: HALF },
      ),
      graph(
        `${project.name}: release stage outcomes (per hour)`,
        stages.flatMap((s) => [s.succeeded, s.failed]),
        { stacked: true, width: HALF },
      ),
    );
  }
}

interface GraphOptions {
  readonly annotations?: cloudwatch.HorizontalAnnotation[];
  readonly stacked?: boolean;
  readonly max?: number;
  /** @default THIRD */
  readonly width?: number;
}

function graph(
  title: string,
  left: cloudwatch.IMetric[],
  options: GraphOptions = {},
): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({
    title,
    left,
    leftAnnotations: options.annotations,
    leftYAxis: { min: 0, max: options.max, showUnits: false },
    stacked: options.stacked ?? false,
    width: options.width ?? THIRD,
    height: GRAPH_HEIGHT,
  });
}
