import { platformNames, projectNames } from '../config/names';
import { isWeb, type ParsedConfig, type ParsedProject } from '../config/schema';

/**
 * Every alarm's physical name, `<prefix>-<where>-<what>`, derived from the config alone. The platform's alarm
 * status widget lists project alarms by these names (it never imports a project stack), ECS deployment alarms
 * refer to them as static strings, and docs/operations.md documents them by pattern.
 */

export interface PlatformAlarmNames {
  readonly api5xxRate: string;
  readonly apiLatencyP99: string;
  readonly apiThrottled: string;
  readonly webhookErrors: string;
  readonly webhookThrottled: string;
  readonly webhookDuration: string;
  readonly albElb5xx: string;
  readonly albRejectedConnections: string;
  readonly clusterCpuReservation: string;
  readonly clusterMemoryReservation: string;
  readonly clusterInstancesBelowMin: string;
  /** Only with chat channels (alerts.chat): the alerts function exists then. */
  readonly alertsUndelivered: string;
  readonly pipelineEventsErrors: string;
}

export interface NatAlarmNames {
  readonly portAllocationErrors: string;
  readonly packetsDropped: string;
}

export interface ProjectAlarmNames {
  readonly target5xx: string;
  readonly unhealthyHosts: string;
  readonly responseTimeP99: string;
  readonly cpuHigh: string;
  readonly memoryHigh: string;
  readonly tasksBelowDesired: string;
  /** Notifies nobody: the pipeline-events function's failure message is the notification. */
  readonly pipelineFailed: string;
}

/** The alarms that watch a project's target group: only a routed project (with a `path`) has one. */
export const TARGET_GROUP_ALARMS = ['target5xx', 'unhealthyHosts', 'responseTimeP99'] as const;

export function platformAlarmNames(c: Pick<ParsedConfig, 'prefix'>): PlatformAlarmNames {
  const p = c.prefix;
  return {
    api5xxRate: `${p}-api-5xx-rate`,
    apiLatencyP99: `${p}-api-latency-p99`,
    apiThrottled: `${p}-api-throttled`,
    webhookErrors: `${p}-webhook-errors`,
    webhookThrottled: `${p}-webhook-throttled`,
    webhookDuration: `${p}-webhook-duration`,
    albElb5xx: `${p}-alb-5xx`,
    albRejectedConnections: `${p}-alb-rejected-connections`,
    clusterCpuReservation: `${p}-cluster-cpu-reservation`,
    clusterMemoryReservation: `${p}-cluster-memory-reservation`,
    clusterInstancesBelowMin: `${p}-cluster-instances-below-min`,
    alertsUndelivered: `${p}-alerts-undelivered`,
    pipelineEventsErrors: `${p}-pipeline-events-errors`,
  };
}

/** Alarms of the NAT gateway in the `index`-th public subnet (1 = AZ-a, 2 = AZ-b, as in the subnet names). */
export function natAlarmNames(c: Pick<ParsedConfig, 'prefix'>, index: number): NatAlarmNames {
  const where = `${c.prefix}-nat-${index}`;
  return {
    portAllocationErrors: `${where}-port-allocation-errors`,
    packetsDropped: `${where}-packets-dropped`,
  };
}

export function projectAlarmNames(
  c: Pick<ParsedConfig, 'prefix'>,
  project: Pick<ParsedProject, 'name'>,
): ProjectAlarmNames {
  const q = projectNames(c, project).qualified;
  return {
    target5xx: `${q}-target-5xx`,
    unhealthyHosts: `${q}-unhealthy-hosts`,
    responseTimeP99: `${q}-response-time-p99`,
    cpuHigh: `${q}-cpu-high`,
    memoryHigh: `${q}-memory-high`,
    tasksBelowDesired: `${q}-tasks-below-desired`,
    pipelineFailed: `${q}-pipeline-failed`,
  };
}

/**
 * The names of the alarms a project actually has: a worker (no `path`) has no target group, so none of
 * {@link TARGET_GROUP_ALARMS}. What the dashboard's status widget and `berth status` should list.
 */
export function projectAlarmNamesOf(
  c: Pick<ParsedConfig, 'prefix'>,
  project: Pick<ParsedProject, 'name' | 'path'>,
): string[] {
  const names = projectAlarmNames(c, project);
  const skip: readonly string[] = isWeb(project) ? [] : TARGET_GROUP_ALARMS;
  return Object.entries(names)
    .filter(([key]) => !skip.includes(key))
    .map(([, name]) => name);
}

/** The dashboard's name (one per Berth install). */
export function dashboardName(c: Pick<ParsedConfig, 'prefix'>): string {
  return platformNames(c).dashboardName;
}
