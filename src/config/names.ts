import { PIPELINE_VARIABLES } from '../contracts';
import type { ParsedConfig, ParsedProject } from './schema';

/**
 * Every physical name Berth derives from the config, in one place. The shared stacks use these to refer to
 * project resources without importing from project stacks (references flow one way), and the CLI uses them
 * to find what a deploy made.
 */

export interface PlatformNames {
  readonly networkStack: string;
  readonly platformStack: string;
  readonly clusterName: string;
  readonly webhookFunctionName: string;
  readonly pipelineEventsFunctionName: string;
  readonly alertsFunctionName: string;
  readonly alarmTopicName: string;
  readonly dashboardName: string;
  /** DynamoDB table where the webhook keeps the last push seen per project and branch. */
  readonly webhookStateTable: string;
  /** Log group of ECS Exec sessions (encrypted). */
  readonly execLogGroup: string;
  /** Output of the platform stack that holds the API's base URL. */
  readonly apiUrlOutput: string;
}

export interface ProjectNames {
  readonly stack: string;
  /** `<prefix>-<project>`: pipeline, CodeBuild projects, functions and alarm names start with it. */
  readonly qualified: string;
  readonly pipeline: string;
  readonly service: string;
  /** Task definition family. */
  readonly taskFamily: string;
  readonly ecrRepository: string;
  readonly patSecret: string;
  readonly webhookSecret: string;
  readonly appSecret: string;
  /**
   * SSM parameter logging the releases: each release writes the released commit as a new version (`none`
   * before the first). The live release is the project stack's `ImageTag` parameter; this is its history.
   */
  readonly releaseParameter: string;
  /** The service's container log group. */
  readonly logGroup: string;
  readonly webhookPath: string;
  /** CodeBuild project of a shell stage (`checkout`, `test`, `build-amd64`, `build-arm64`). */
  codeBuildProject(stage: string): string;
  /** Release function of a stage (`scan`, `push`, `deploy`, `verify`). */
  releaseFunction(stage: string): string;
  /** Log group of a pipeline stage: each stage writes only its own. */
  stageLogGroup(stage: string): string;
}

export function platformNames(c: Pick<ParsedConfig, 'prefix'>): PlatformNames {
  const p = c.prefix;
  return {
    networkStack: `${p}-network`,
    platformStack: `${p}-platform`,
    clusterName: p,
    webhookFunctionName: `${p}-webhook`,
    pipelineEventsFunctionName: `${p}-pipeline-events`,
    alertsFunctionName: `${p}-alerts`,
    alarmTopicName: `${p}-alarms`,
    dashboardName: p,
    webhookStateTable: `${p}-webhook-state`,
    execLogGroup: `/${p}/ecs-exec`,
    apiUrlOutput: 'ApiUrl',
  };
}

export function projectNames(
  c: Pick<ParsedConfig, 'prefix'>,
  project: Pick<ParsedProject, 'name'>,
): ProjectNames {
  const q = `${c.prefix}-${project.name}`;
  return {
    stack: q,
    qualified: q,
    pipeline: q,
    service: project.name,
    taskFamily: q,
    ecrRepository: `${c.prefix}/${project.name}`,
    patSecret: `${c.prefix}/${project.name}/azure-devops-pat`,
    webhookSecret: `${c.prefix}/${project.name}/webhook`,
    appSecret: `${c.prefix}/${project.name}/app`,
    releaseParameter: `/${c.prefix}/${project.name}/release`,
    logGroup: `/${c.prefix}/${project.name}/service`,
    webhookPath: `/webhook/${project.name}`,
    codeBuildProject: (stage) => `${q}-${stage}`,
    releaseFunction: (stage) => `${q}-${stage}`,
    stageLogGroup: (stage) => `/${c.prefix}/${project.name}/pipeline/${stage}`,
  };
}

/**
 * A routed project's target group name: `<prefix>-<project>` cut to 29 characters, then `-ip` (its targets are task
 * IPs; the name differs from the instance-target groups of earlier versions, so upgrading can replace them). The
 * target group stays the same across path, health-check path and port changes: a new one would be empty when the
 * listener rule switches to it (CloudFormation updates the rule before the service), so the path would answer 503
 * until new tasks registered. Its port is a constant: ECS registers each task on the container port.
 */
export function targetGroupName(
  c: Pick<ParsedConfig, 'prefix'>,
  project: Pick<ParsedProject, 'name'>,
): string {
  return `${`${c.prefix}-${project.name}`.slice(0, 29)}-ip`;
}

/** Secret holding the incoming-webhook URL of an alert chat channel. */
export function alertChannelSecret(c: Pick<ParsedConfig, 'prefix'>, channel: string): string {
  return `${c.prefix}/alerts/${channel}`;
}

/** The Azure DevOps base URL: the configured one (Azure DevOps Server) or the cloud organization URL. */
export function azureDevOpsBaseUrl(c: Pick<ParsedConfig, 'azureDevOps'>): string {
  return c.azureDevOps.url ?? `https://dev.azure.com/${c.azureDevOps.organization}`;
}

/** The HTTPS clone URL of a project's repository. */
export function cloneUrl(c: Pick<ParsedConfig, 'azureDevOps'>, p: Pick<ParsedProject, 'repository'>): string {
  const enc = encodeURIComponent;
  return `${azureDevOpsBaseUrl(c)}/${enc(p.repository.project)}/_git/${enc(p.repository.name)}`;
}

export { PIPELINE_VARIABLES };
