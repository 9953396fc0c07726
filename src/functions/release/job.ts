import {
  type CodePipelineClient,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import { isError } from './aws-errors';
import { truncate } from './text';

/**
 * The CodePipeline job protocol of a "Lambda invoke" action. The event carries the job id, the action's
 * `UserParameters`, a continuation token on a re-invocation and, in `artifactCredentials`, temporary
 * credentials: only the first three are ever read, and the event itself is never logged or kept.
 */

/** CodePipeline's limits (`PutJobSuccessResult`, `PutJobFailureResult`). */
export const SUMMARY_MAX_LENGTH = 2048;
export const FAILURE_MESSAGE_MAX_LENGTH = 5000;
export const CONTINUATION_TOKEN_MAX_LENGTH = 2048;

/** What the release functions take from a CodePipeline job event. */
export interface Job {
  readonly id: string;
  readonly accountId: string;
  readonly userParameters: string | undefined;
  readonly continuationToken: string | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The job's id, account, parameters and continuation token; undefined when `event` is not a job event. */
export function readJob(event: unknown): Job | undefined {
  if (!isObject(event)) return undefined;
  const job = event['CodePipeline.job'];
  if (!isObject(job)) return undefined;
  const id = text(job.id);
  if (id === undefined) return undefined;
  const data = isObject(job.data) ? job.data : {};
  const action = isObject(data.actionConfiguration) ? data.actionConfiguration : {};
  const configuration = isObject(action.configuration) ? action.configuration : {};
  return {
    id,
    accountId: text(job.accountId) ?? '',
    userParameters:
      typeof configuration.UserParameters === 'string' ? configuration.UserParameters : undefined,
    continuationToken: text(data.continuationToken),
  };
}

/** Reports a job's result to CodePipeline. */
export interface JobReporter {
  /** Success; with a `continuationToken` the action is not finished and CodePipeline invokes the function again. */
  succeed(jobId: string, summary: string, continuationToken?: string): Promise<void>;
  fail(jobId: string, message: string): Promise<void>;
}

/** The job was already reported or has expired: reporting again cannot succeed, and retrying will not help. */
export function isFinishedJobError(err: unknown): boolean {
  return isError(err, 'InvalidJobStateException', 'JobNotFoundException');
}

/** Reports through CodePipeline's API; texts are cut to CodePipeline's limits. Rejects when the call fails. */
export function codePipelineReporter(client: CodePipelineClient): JobReporter {
  return {
    async succeed(jobId, summary, continuationToken) {
      if (continuationToken !== undefined && continuationToken.length > CONTINUATION_TOKEN_MAX_LENGTH) {
        throw new Error(
          `continuation token of ${continuationToken.length} characters is over CodePipeline's limit`,
        );
      }
      await client.send(
        new PutJobSuccessResultCommand({
          jobId,
          executionDetails: { summary: truncate(summary, SUMMARY_MAX_LENGTH) },
          ...(continuationToken !== undefined ? { continuationToken } : {}),
        }),
      );
    },
    async fail(jobId, message) {
      await client.send(
        new PutJobFailureResultCommand({
          jobId,
          failureDetails: { type: 'JobFailed', message: truncate(message, FAILURE_MESSAGE_MAX_LENGTH) },
        }),
      );
    },
  };
}
