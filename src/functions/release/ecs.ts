import { DescribeServicesCommand, type ECSClient, type Service } from '@aws-sdk/client-ecs';
import { plural } from './text';

/** The parts of an ECS service Deploy logs and Verify judges. */
export interface ServiceView {
  readonly status: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly pendingCount: number;
  readonly deploymentCount: number;
  readonly primary?: {
    readonly id: string;
    readonly rolloutState?: string;
    readonly rolloutStateReason?: string;
    readonly desiredCount: number;
    readonly runningCount: number;
    readonly pendingCount: number;
    readonly failedTasks: number;
    readonly taskDefinition?: string;
  };
  /** The service's latest events, newest first. */
  readonly events: readonly { readonly at?: Date; readonly message: string }[];
}

export const LATEST_EVENTS = 5;

export function serviceView(service: Service): ServiceView {
  const primary = (service.deployments ?? []).find((d) => d.status === 'PRIMARY');
  return {
    status: service.status ?? 'UNKNOWN',
    desiredCount: service.desiredCount ?? 0,
    runningCount: service.runningCount ?? 0,
    pendingCount: service.pendingCount ?? 0,
    deploymentCount: (service.deployments ?? []).length,
    ...(primary
      ? {
          primary: {
            id: primary.id ?? 'unknown',
            ...(primary.rolloutState !== undefined ? { rolloutState: primary.rolloutState } : {}),
            ...(primary.rolloutStateReason !== undefined
              ? { rolloutStateReason: primary.rolloutStateReason }
              : {}),
            desiredCount: primary.desiredCount ?? 0,
            runningCount: primary.runningCount ?? 0,
            pendingCount: primary.pendingCount ?? 0,
            failedTasks: primary.failedTasks ?? 0,
            ...(primary.taskDefinition !== undefined ? { taskDefinition: primary.taskDefinition } : {}),
          },
        }
      : {}),
    events: (service.events ?? [])
      .slice(0, LATEST_EVENTS)
      .map((e) => ({ ...(e.createdAt ? { at: e.createdAt } : {}), message: e.message ?? '' })),
  };
}

/** The service, or undefined when ECS does not have it (MISSING) or it is no longer ACTIVE. */
export async function describeService(
  ecs: ECSClient,
  cluster: string,
  service: string,
): Promise<ServiceView | undefined> {
  const out = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
  const found = (out.services ?? []).find((s) => s.status !== 'INACTIVE');
  return found === undefined ? undefined : serviceView(found);
}

/** `1 of 2 tasks running, rolloutState IN_PROGRESS, 2 deployments`. */
export function progressText(view: ServiceView): string {
  const p = view.primary;
  const parts = [
    `${view.runningCount} of ${plural(view.desiredCount, 'task')} running`,
    `rolloutState ${p?.rolloutState ?? 'unknown'}`,
    plural(view.deploymentCount, 'deployment'),
  ];
  if (p && p.failedTasks > 0) parts.push(plural(p.failedTasks, 'failed task'));
  return parts.join(', ');
}

/** The latest events as lines of a message. */
export function eventLines(view: ServiceView): string[] {
  return view.events.map((e) => `- ${e.at ? `${e.at.toISOString()} ` : ''}${e.message}`);
}
