import { z } from 'zod';
import { PIPELINE_EVENTS_ENV, type PipelineEventsProjectSettings } from '../../contracts';
import {
  AZURE_DEVOPS_API_VERSIONS,
  DEFAULT_API_VERSION,
  type AzureDevOpsApiVersion,
} from '../../shared/azure-devops';

/**
 * The environment contract between the CDK side and the pipeline-events function: the variable names and the
 * per-pipeline settings are the contracts' (src/contracts.ts), re-exported here. The CDK side sets them (plus
 * `POWERTOOLS_SERVICE_NAME` and `POWERTOOLS_METRICS_NAMESPACE`); the function validates them once, on its first
 * invocation. This module is pure.
 */
export { PIPELINE_EVENTS_ENV, type PipelineEventsProjectSettings };

export interface PipelineEventsSettings {
  /** Keyed by pipeline name (`<prefix>-<project>`). Events of other pipelines are ignored. */
  readonly pipelines: Readonly<Record<string, PipelineEventsProjectSettings>>;
  /** Azure DevOps base URL without a trailing slash, e.g. `https://dev.azure.com/my-org`. */
  readonly azureDevOpsUrl: string;
  /** The REST api-version (`azureDevOps.apiVersion` in berth.yaml); 7.0 when the variable is unset. */
  readonly azureDevOpsApiVersion: AzureDevOpsApiVersion;
  /** The platform SNS topic failures are published to. */
  readonly topicArn: string;
}

const nonEmpty = (what: string) =>
  z.string({ error: `${what}: a non-empty string` }).min(1, `${what}: a non-empty string`);

const projectSettingsSchema = z.object({
  project: nonEmpty('project'),
  branch: nonEmpty('branch'),
  repository: z.object({
    project: nonEmpty('repository.project'),
    name: nonEmpty('repository.name'),
  }),
  patSecretId: nonEmpty('patSecretId'),
  webhookSecretId: nonEmpty('webhookSecretId'),
});

const pipelinesSchema = z.record(nonEmpty('pipeline name'), projectSettingsSchema);

const urlSchema = z
  .string({ error: 'an http(s) URL' })
  .trim()
  .refine((v) => /^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(v), {
    error: 'an http(s) URL such as https://dev.azure.com/my-org',
  })
  .transform((v) => v.replace(/\/+$/, ''));

const topicArnSchema = z
  .string({ error: 'an SNS topic ARN' })
  .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$/, { error: 'an SNS topic ARN' });

/** Thrown when the environment is not what the CDK side promised. */
export class PipelineEventsSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineEventsSettingsError';
  }
}

function describe(issues: z.ZodError['issues']): string {
  return issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

/** Validates the function's environment; throws a {@link PipelineEventsSettingsError} naming the variable. */
export function parsePipelineEventsSettings(
  env: Readonly<Record<string, string | undefined>>,
): PipelineEventsSettings {
  const rawPipelines = env[PIPELINE_EVENTS_ENV.pipelines];
  if (rawPipelines === undefined || rawPipelines.trim() === '') {
    throw new PipelineEventsSettingsError(`${PIPELINE_EVENTS_ENV.pipelines} is not set`);
  }
  let json: unknown;
  try {
    json = JSON.parse(rawPipelines);
  } catch {
    throw new PipelineEventsSettingsError(`${PIPELINE_EVENTS_ENV.pipelines} is not valid JSON`);
  }
  const pipelines = pipelinesSchema.safeParse(json);
  if (!pipelines.success) {
    throw new PipelineEventsSettingsError(
      `${PIPELINE_EVENTS_ENV.pipelines}: ${describe(pipelines.error.issues)}`,
    );
  }
  const url = urlSchema.safeParse(env[PIPELINE_EVENTS_ENV.azureDevOpsUrl]);
  if (!url.success) {
    throw new PipelineEventsSettingsError(
      `${PIPELINE_EVENTS_ENV.azureDevOpsUrl}: ${describe(url.error.issues)}`,
    );
  }
  const topic = topicArnSchema.safeParse(env[PIPELINE_EVENTS_ENV.topicArn]);
  if (!topic.success) {
    throw new PipelineEventsSettingsError(`${PIPELINE_EVENTS_ENV.topicArn}: ${describe(topic.error.issues)}`);
  }
  const rawVersion = env[PIPELINE_EVENTS_ENV.azureDevOpsApiVersion]?.trim();
  const version = rawVersion === undefined || rawVersion === '' ? DEFAULT_API_VERSION : rawVersion;
  if (!(AZURE_DEVOPS_API_VERSIONS as readonly string[]).includes(version)) {
    throw new PipelineEventsSettingsError(
      `${PIPELINE_EVENTS_ENV.azureDevOpsApiVersion}: one of ${AZURE_DEVOPS_API_VERSIONS.join(', ')}`,
    );
  }
  return {
    pipelines: pipelines.data,
    azureDevOpsUrl: url.data,
    azureDevOpsApiVersion: version as AzureDevOpsApiVersion,
    topicArn: topic.data,
  };
}

/**
 * The environment variables for the given settings (for the CDK side). `topicArn` may be a CDK token:
 * it is passed through as is. Lambda limits all variables together to 4 KB.
 */
export function pipelineEventsEnvironment(
  settings: Omit<PipelineEventsSettings, 'azureDevOpsApiVersion'> & {
    readonly azureDevOpsApiVersion?: string;
  },
): Record<string, string> {
  return {
    [PIPELINE_EVENTS_ENV.pipelines]: JSON.stringify(settings.pipelines),
    [PIPELINE_EVENTS_ENV.azureDevOpsUrl]: settings.azureDevOpsUrl.replace(/\/+$/, ''),
    [PIPELINE_EVENTS_ENV.azureDevOpsApiVersion]: settings.azureDevOpsApiVersion ?? DEFAULT_API_VERSION,
    [PIPELINE_EVENTS_ENV.topicArn]: settings.topicArn,
  };
}
