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
  readonly alarmTopicName: string;
  readonly dashboardName: string;
  /** Output of the platform stack that holds the API's base URL. */
  readonly apiUrlOutput: string;
}

export interface ProjectNames {
  readonly stack: string;
  /** `<prefix>-<project>`: pipeline, ECS service and alarm names start with it. */
  readonly qualified: string;
  readonly pipeline: string;
  readonly service: string;
  readonly ecrRepository: string;
  readonly patSecret: string;
  readonly webhookSecret: string;
  readonly appSecret: string;
  /** SSM parameter holding the image tag the pipeline released last (`none` before the first release). */
  readonly imageTagParameter: string;
  readonly logGroup: string;
  readonly webhookPath: string;
}

export function platformNames(c: Pick<ParsedConfig, 'prefix'>): PlatformNames {
  const p = c.prefix;
  return {
    networkStack: `${p}-network`,
    platformStack: `${p}-platform`,
    clusterName: p,
    webhookFunctionName: `${p}-webhook`,
    pipelineEventsFunctionName: `${p}-pipeline-events`,
    alarmTopicName: `${p}-alarms`,
    dashboardName: p,
    apiUrlOutput: 'ApiUrl',
  };
}

export function projectNames(
  c: Pick<ParsedConfig, 'prefix'>,
  project: Pick<ParsedProject, 'name'>,
): ProjectNames {
  const q = `${c.prefix}-${project.name}`;
  return {
    stack: `${q}`,
    qualified: q,
    pipeline: q,
    service: project.name,
    ecrRepository: `${c.prefix}/${project.name}`,
    patSecret: `${c.prefix}/${project.name}/azure-devops-pat`,
    webhookSecret: `${c.prefix}/${project.name}/webhook`,
    appSecret: `${c.prefix}/${project.name}/app`,
    imageTagParameter: `/${c.prefix}/${project.name}/image-tag`,
    logGroup: `/${c.prefix}/${project.name}/service`,
    webhookPath: `/webhook/${project.name}`,
  };
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

/** The value the image-tag parameter holds until the first release. */
export const NO_RELEASE = 'none';

/** Names of the pipeline variables the webhook sets and the stages read. */
export const PIPELINE_VARIABLES = {
  commit: 'COMMIT_ID',
  branch: 'BRANCH',
  repository: 'REPOSITORY',
} as const;
