import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { type CloudWatchClient, paginateDescribeAlarms } from '@aws-sdk/client-cloudwatch';
import {
  type CodePipelineClient,
  GetPipelineExecutionCommand,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  type PipelineExecutionSummary,
} from '@aws-sdk/client-codepipeline';
import { DescribeServicesCommand, type ECSClient, type Service } from '@aws-sdk/client-ecs';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { platformNames, projectNames, targetGroupName } from '../../config/names';
import { factsOf, findFailedAction } from '../../shared/pipeline-execution';
import { isWeb, type ParsedConfig, type ParsedProject } from '../../config/schema';
import { NO_RELEASE, STACK_PARAMETERS } from '../../contracts';
import { errorMessage, errorName, stackParameter, translateAwsError } from '../aws';
import { shortCommit } from '../../shared/text';
import { iso } from '../format';
import { alertsWarning } from '../../shared/alert-channels';
import type { ServiceHookStatus } from './service-hooks';

/**
 * What `berth status` reads from a deployed account, per project: the live release (the stack's ImageTag), the
 * last pipeline executions, the ECS service's counts and rollout, the target group's health (routed projects),
 * and the alarms in ALARM. A resource that is not there (stack not deployed, not released yet, pipeline never
 * ran) is a state in the report, never an error; credentials and other AWS failures are the CLI's usual
 * sentences.
 */

export const EXECUTIONS_SHOWN = 5;
/** Projects looked at in parallel (each makes up to 9 calls). */
const CONCURRENCY = 4;

export interface StatusClients {
  readonly cloudFormation: CloudFormationClient;
  readonly codePipeline: CodePipelineClient;
  readonly ecs: ECSClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly cloudWatch: CloudWatchClient;
}

export interface ExecutionStatus {
  readonly id: string;
  /** CodePipeline's: InProgress, Succeeded, Failed, Stopped, Stopping, Superseded, Cancelled. */
  readonly status: string;
  /** COMMIT_ID as the webhook set it (`none` when started without one). */
  readonly commit?: string;
  readonly shortCommit?: string;
  readonly branch?: string;
  /** RELEASE_MODE: release, rollback or redeploy (absent for executions started before the modes existed). */
  readonly mode?: string;
  readonly startTime?: string;
  readonly lastUpdateTime?: string;
  /** How it started: `StartPipelineExecution` (the webhook or the CLI), `CreatePipeline`, ... */
  readonly trigger?: string;
  /** For a failed execution, the stage and action that failed; for one in progress, where it is. */
  readonly stage?: string;
  readonly action?: string;
  /** The failure, in CodePipeline's or CodeBuild's words (first line). */
  readonly summary?: string;
}

export interface PipelineStatus {
  readonly name: string;
  readonly deployed: boolean;
  readonly executions: readonly ExecutionStatus[];
}

export interface ServiceStatus {
  readonly name: string;
  readonly cluster: string;
  readonly deployed: boolean;
  readonly status?: string;
  readonly running?: number;
  readonly desired?: number;
  readonly pending?: number;
  /** Of the PRIMARY deployment: IN_PROGRESS, COMPLETED or FAILED. */
  readonly rolloutState?: string;
  readonly rolloutStateReason?: string;
  /** `family:revision` of the PRIMARY deployment's task definition. */
  readonly taskDefinition?: string;
  /** Deployments ECS is still running (more than 1 while a rollout is under way). */
  readonly deployments?: number;
  readonly lastEvent?: { readonly at?: string; readonly message: string };
}

export interface TargetStatus {
  readonly id: string;
  readonly port?: number;
  readonly state: string;
  readonly reason?: string;
  readonly description?: string;
}

export interface TargetGroupStatus {
  readonly name: string;
  readonly deployed: boolean;
  /** Targets per state (healthy, unhealthy, initial, draining, unused, unavailable). */
  readonly counts: Readonly<Record<string, number>>;
  /** Every target that is not healthy, with the ALB's reason. */
  readonly notHealthy: readonly TargetStatus[];
}

export interface AlarmStatus {
  readonly name: string;
  readonly reason?: string;
  readonly since?: string;
}

export interface ReleaseStatus {
  readonly stack: string;
  /** False when the project stack does not exist (or is being created or deleted). */
  readonly deployed: boolean;
  readonly stackStatus?: string;
  /** The live commit (the stack's ImageTag); null before the first release. */
  readonly live: string | null;
  readonly shortLive?: string;
}

export interface ProjectStatus {
  readonly name: string;
  /** `web` (a path on the load balancer) or `worker` (no path, no target group). */
  readonly kind: 'web' | 'worker';
  readonly path?: string;
  readonly release: ReleaseStatus;
  readonly pipeline: PipelineStatus;
  readonly service: ServiceStatus;
  /** Routed projects only. */
  readonly targetGroup?: TargetGroupStatus;
  readonly alarms: readonly AlarmStatus[];
  /** The Azure DevOps service hook, when AZURE_DEVOPS_PAT was set. */
  readonly serviceHook?: ServiceHookStatus;
}

export interface AlertsStatus {
  readonly emails: number;
  readonly chatChannels: number;
  /** No e-mail address and no chat channel: alarms change state with nobody told. */
  readonly reachNobody: boolean;
  /** The sentence to show when they reach nobody (the one synth and `berth plan` print). */
  readonly warning?: string;
}

export interface StatusReport {
  readonly region: string;
  readonly cluster: string;
  readonly projects: readonly ProjectStatus[];
  /** Alarms in ALARM that belong to no project (the platform's), and who alarms reach. */
  readonly platform: { readonly alarms: readonly AlarmStatus[]; readonly alerts: AlertsStatus };
  /** Whether the service hooks were checked (AZURE_DEVOPS_PAT set), and why not or what failed. */
  readonly serviceHooks: { readonly checked: boolean; readonly error?: string };
}

/** Everything `berth status` shows, for `projects` (all of the config's, or the one asked for). */
export async function collectStatus(
  config: ParsedConfig,
  projects: readonly ParsedProject[],
  clients: StatusClients,
  region: string,
): Promise<Omit<StatusReport, 'serviceHooks'>> {
  const cluster = platformNames(config).clusterName;
  const [services, alarms, perProject] = await Promise.all([
    serviceStatuses(
      clients.ecs,
      cluster,
      projects.map((p) => projectNames(config, p).service),
      region,
    ),
    alarmsInAlarm(clients.cloudWatch, `${config.prefix}-`, region),
    mapLimit(projects, CONCURRENCY, async (p) => {
      const names = projectNames(config, p);
      const [release, pipeline, targetGroup] = await Promise.all([
        releaseStatus(clients.cloudFormation, names.stack, region),
        pipelineStatus(clients.codePipeline, names.pipeline, region),
        isWeb(p)
          ? targetGroupStatus(clients.elbv2, targetGroupName(config, p), region)
          : Promise.resolve(undefined),
      ]);
      return { release, pipeline, targetGroup };
    }),
  ]);

  const owners = assignAlarms(
    alarms,
    config.prefix,
    config.projects.map((p) => p.name),
  );
  const warning = alertsWarning(config);
  return {
    region,
    cluster,
    projects: projects.map((p, i) => ({
      name: p.name,
      kind: isWeb(p) ? ('web' as const) : ('worker' as const),
      ...(p.path !== undefined ? { path: p.path } : {}),
      release: perProject[i].release,
      pipeline: perProject[i].pipeline,
      service: services.get(projectNames(config, p).service)!,
      ...(perProject[i].targetGroup ? { targetGroup: perProject[i].targetGroup } : {}),
      alarms: owners.get(p.name) ?? [],
    })),
    platform: {
      alarms: owners.get(PLATFORM) ?? [],
      alerts: {
        emails: config.alerts.emails.length,
        chatChannels: config.alerts.chat.length,
        reachNobody: warning !== undefined,
        ...(warning ? { warning } : {}),
      },
    },
  };
}

/** Statuses in which a stack has no usable parameters yet (first create) or is going away. */
const STACK_ABSENT = new Set([
  'CREATE_IN_PROGRESS',
  'CREATE_FAILED',
  'ROLLBACK_COMPLETE',
  'DELETE_IN_PROGRESS',
  'DELETE_COMPLETE',
  'REVIEW_IN_PROGRESS',
]);

/** The project stack's ImageTag; a missing stack is a state, not an error. */
export async function releaseStatus(
  cfn: CloudFormationClient,
  stackName: string,
  region: string,
): Promise<ReleaseStatus> {
  let stack;
  try {
    stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  } catch (e) {
    if (errorName(e) === 'ValidationError' && /does not exist/i.test(errorMessage(e))) {
      return { stack: stackName, deployed: false, live: null };
    }
    throw translateAwsError(e, {
      action: 'cloudformation:DescribeStacks',
      resource: `the stack ${stackName}`,
      region,
    });
  }
  if (!stack || STACK_ABSENT.has(stack.StackStatus ?? '')) {
    return { stack: stackName, deployed: false, stackStatus: stack?.StackStatus, live: null };
  }
  const tag = stackParameter(stack, STACK_PARAMETERS.imageTag);
  const live = tag === undefined || tag === NO_RELEASE ? null : tag;
  return {
    stack: stackName,
    deployed: true,
    stackStatus: stack.StackStatus,
    live,
    ...(live ? { shortLive: shortCommit(live) } : {}),
  };
}

const PLATFORM = '';

/**
 * Alarms by owner: `<prefix>-<project>-...` belongs to that project (the longest matching project name wins,
 * so `a-b-...` is not taken for `a`), anything else to the platform (key '').
 */
export function assignAlarms(
  alarms: readonly AlarmStatus[],
  prefix: string,
  projectNamesInConfig: readonly string[],
): Map<string, AlarmStatus[]> {
  const byLength = [...projectNamesInConfig].sort((a, b) => b.length - a.length);
  const owners = new Map<string, AlarmStatus[]>();
  for (const alarm of alarms) {
    const owner = byLength.find((p) => alarm.name.startsWith(`${prefix}-${p}-`)) ?? PLATFORM;
    owners.set(owner, [...(owners.get(owner) ?? []), alarm]);
  }
  return owners;
}

/** The last executions, newest first, each with its commit and, when it failed or runs, its stage. */
export async function pipelineStatus(
  cp: CodePipelineClient,
  pipelineName: string,
  region: string,
): Promise<PipelineStatus> {
  const fail =
    (action: string) =>
    (e: unknown): never => {
      throw translateAwsError(e, {
        action: `codepipeline:${action}`,
        resource: `the pipeline ${pipelineName}`,
        region,
      });
    };
  let summaries: PipelineExecutionSummary[];
  try {
    const res = await cp.send(
      new ListPipelineExecutionsCommand({ pipelineName, maxResults: EXECUTIONS_SHOWN }),
    );
    summaries = (res.pipelineExecutionSummaries ?? []).slice(0, EXECUTIONS_SHOWN);
  } catch (e) {
    if (errorName(e) === 'PipelineNotFoundException')
      return { name: pipelineName, deployed: false, executions: [] };
    return fail('ListPipelineExecutions')(e);
  }

  const executions = await Promise.all(
    summaries.map(async (s): Promise<ExecutionStatus> => {
      const id = s.pipelineExecutionId ?? '';
      const status = s.status ?? 'Unknown';
      // V2 summaries carry no variables; the execution itself does.
      const execution = await cp
        .send(new GetPipelineExecutionCommand({ pipelineName, pipelineExecutionId: id }))
        .then((r) => r.pipelineExecution)
        .catch((e: unknown) =>
          errorName(e) === 'PipelineExecutionNotFoundException' ? undefined : fail('GetPipelineExecution')(e),
        );
      const facts = factsOf(execution);
      const commit = facts.commit;
      const where =
        status === 'Failed' || status === 'InProgress'
          ? await currentAction(cp, pipelineName, id, status).catch(fail('ListActionExecutions'))
          : undefined;
      const summary = firstLine(
        where?.summary ?? (status === 'Failed' ? (execution?.statusSummary ?? s.statusSummary) : undefined),
      );
      return {
        id,
        status,
        commit,
        shortCommit: commit && /^[0-9a-f]{7,40}$/i.test(commit) ? commit.slice(0, 7) : commit,
        branch: facts.branch,
        mode: facts.mode,
        startTime: iso(s.startTime),
        lastUpdateTime: iso(s.lastUpdateTime),
        trigger: s.trigger?.triggerType,
        stage: where?.stage,
        action: where?.action,
        summary,
      };
    }),
  );
  return { name: pipelineName, deployed: true, executions };
}

/** The action that failed (or runs) in one execution: the latest one in that state. */
async function currentAction(
  cp: CodePipelineClient,
  pipelineName: string,
  pipelineExecutionId: string,
  status: string,
): Promise<{ stage?: string; action?: string; summary?: string } | undefined> {
  const res = await cp.send(
    new ListActionExecutionsCommand({ pipelineName, filter: { pipelineExecutionId } }),
  );
  // The same choice of failed action (and summary) as the failure notifications make.
  if (status === 'Failed') return findFailedAction(res.actionExecutionDetails ?? []);
  const matching = (res.actionExecutionDetails ?? [])
    .filter((a) => a.status === 'InProgress')
    .sort((a, b) => (b.startTime?.getTime() ?? 0) - (a.startTime?.getTime() ?? 0));
  const found = matching[0];
  if (!found) return undefined;
  return { stage: found.stageName, action: found.actionName };
}

/** DescribeServices in batches of 10; a missing cluster or service is reported as not deployed. */
export async function serviceStatuses(
  ecs: ECSClient,
  cluster: string,
  serviceNames: readonly string[],
  region: string,
): Promise<Map<string, ServiceStatus>> {
  const out = new Map<string, ServiceStatus>();
  const missing = (name: string): ServiceStatus => ({ name, cluster, deployed: false });
  for (let i = 0; i < serviceNames.length; i += 10) {
    const batch = serviceNames.slice(i, i + 10);
    let services: Service[];
    try {
      const res = await ecs.send(new DescribeServicesCommand({ cluster, services: batch }));
      services = res.services ?? [];
    } catch (e) {
      if (errorName(e) === 'ClusterNotFoundException') {
        for (const name of serviceNames) out.set(name, missing(name));
        return out;
      }
      throw translateAwsError(e, {
        action: 'ecs:DescribeServices',
        resource: `the cluster ${cluster}`,
        region,
      });
    }
    for (const name of batch) {
      const s = services.find((x) => x.serviceName === name);
      if (!s || s.status === 'INACTIVE') {
        out.set(name, missing(name));
        continue;
      }
      const primary = s.deployments?.find((d) => d.status === 'PRIMARY') ?? s.deployments?.[0];
      const event = s.events?.[0];
      out.set(name, {
        name,
        cluster,
        deployed: true,
        status: s.status,
        running: s.runningCount ?? 0,
        desired: s.desiredCount ?? 0,
        pending: s.pendingCount ?? 0,
        rolloutState: primary?.rolloutState,
        rolloutStateReason: primary?.rolloutStateReason,
        taskDefinition: taskDefinitionName(primary?.taskDefinition ?? s.taskDefinition),
        deployments: s.deployments?.length ?? 0,
        lastEvent: event?.message ? { at: iso(event.createdAt), message: event.message } : undefined,
      });
    }
  }
  return out;
}

/** The project's target group (by its name, `targetGroupName()`) and the health of its targets. */
export async function targetGroupStatus(
  elb: ElasticLoadBalancingV2Client,
  name: string,
  region: string,
): Promise<TargetGroupStatus> {
  const ctx = { resource: `the target group ${name}`, region };
  let arn: string | undefined;
  try {
    const res = await elb.send(new DescribeTargetGroupsCommand({ Names: [name] }));
    arn = res.TargetGroups?.[0]?.TargetGroupArn;
  } catch (e) {
    if (errorName(e) !== 'TargetGroupNotFoundException') {
      throw translateAwsError(e, { ...ctx, action: 'elasticloadbalancing:DescribeTargetGroups' });
    }
  }
  if (!arn) return { name, deployed: false, counts: {}, notHealthy: [] };

  let descriptions;
  try {
    descriptions =
      (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }))).TargetHealthDescriptions ??
      [];
  } catch (e) {
    if (errorName(e) === 'TargetGroupNotFoundException')
      return { name, deployed: false, counts: {}, notHealthy: [] };
    throw translateAwsError(e, { ...ctx, action: 'elasticloadbalancing:DescribeTargetHealth' });
  }
  const counts: Record<string, number> = {};
  const notHealthy: TargetStatus[] = [];
  for (const d of descriptions) {
    const state = d.TargetHealth?.State ?? 'unknown';
    counts[state] = (counts[state] ?? 0) + 1;
    if (state !== 'healthy') {
      notHealthy.push({
        id: d.Target?.Id ?? '(unknown)',
        port: d.Target?.Port,
        state,
        reason: d.TargetHealth?.Reason,
        description: d.TargetHealth?.Description,
      });
    }
  }
  return { name, deployed: true, counts, notHealthy };
}

/** Every metric and composite alarm in ALARM whose name starts with `namePrefix`. */
export async function alarmsInAlarm(
  cw: CloudWatchClient,
  namePrefix: string,
  region: string,
): Promise<AlarmStatus[]> {
  const alarms: AlarmStatus[] = [];
  try {
    for await (const res of paginateDescribeAlarms(
      { client: cw },
      { AlarmNamePrefix: namePrefix, StateValue: 'ALARM', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
    )) {
      for (const a of [...(res.MetricAlarms ?? []), ...(res.CompositeAlarms ?? [])]) {
        if (!a.AlarmName) continue;
        alarms.push({ name: a.AlarmName, reason: a.StateReason, since: iso(a.StateUpdatedTimestamp) });
      }
    }
  } catch (e) {
    throw translateAwsError(e, {
      action: 'cloudwatch:DescribeAlarms',
      resource: `the alarms ${namePrefix}*`,
      region,
    });
  }
  return alarms.sort((a, b) => a.name.localeCompare(b.name));
}

/** `arn:...:task-definition/family:12` as `family:12`. */
function taskDefinitionName(arn: string | undefined): string | undefined {
  return arn?.split('/').pop();
}

function firstLine(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const line = s.split('\n')[0].trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
