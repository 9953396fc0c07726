import { z } from 'zod';

/**
 * The environment contract between the CDK side and the pipeline-events function. The CDK side sets the
 * variables named here (plus `POWERTOOLS_SERVICE_NAME` and `POWERTOOLS_METRICS_NAMESPACE`); the function
 * validates them once, on its first invocation. This module is pure: the CDK side may import it.
 */
export const PIPELINE_EVENTS_ENV = {
  pipelines: 'PIPELINE_EVENTS_PIPELINES',
  azureDevOpsUrl: 'AZURE_DEVOPS_URL',
  topicArn: 'ALARM_TOPIC_ARN',
} as const;

/** What the function knows about one Berth pipeline. */
export interface PipelineEventsProjectSettings {
  /** The Berth project name, e.g. `cash-collection` (the `Project` metric dimension and status context name). */
  readonly project: string;
  /** The Azure DevOps repository the pipeline builds; commit statuses are posted to it. */
  readonly repository: {
    /** The Azure DevOps project. */
    readonly project: string;
    /** The repository name (or id). */
    readonly name: string;
  };
  /** Name or ARN of the project's PAT secret; its value is JSON `{"pat": "<token>"}`. */
  readonly patSecretId: string;
}

export interface PipelineEventsSettings {
  /** Keyed by pipeline name (`<prefix>-<project>`). Events of other pipelines are ignored. */
  readonly pipelines: Readonly<Record<string, PipelineEventsProjectSettings>>;
  /** Azure DevOps base URL without a trailing slash, e.g. `https://dev.azure.com/my-org`. */
  readonly azureDevOpsUrl: string;
  /** The platform SNS topic failures are published to. */
  readonly topicArn: string;
}

const nonEmpty = (what: string) =>
  z.string({ error: `${what}: a non-empty string` }).min(1, `${what}: a non-empty string`);

const projectSettingsSchema = z.strictObject({
  project: nonEmpty('project'),
  repository: z.strictObject({
    project: nonEmpty('repository.project'),
    name: nonEmpty('repository.name'),
  }),
  patSecretId: nonEmpty('patSecretId'),
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
  return { pipelines: pipelines.data, azureDevOpsUrl: url.data, topicArn: topic.data };
}

/**
 * The environment variables for the given settings (for the CDK side). `topicArn` may be a CDK token:
 * it is passed through as is. Lambda limits all variables together to 4 KB.
 */
export function pipelineEventsEnvironment(settings: PipelineEventsSettings): Record<string, string> {
  return {
    [PIPELINE_EVENTS_ENV.pipelines]: JSON.stringify(settings.pipelines),
    [PIPELINE_EVENTS_ENV.azureDevOpsUrl]: settings.azureDevOpsUrl.replace(/\/+$/, ''),
    [PIPELINE_EVENTS_ENV.topicArn]: settings.topicArn,
  };
}
