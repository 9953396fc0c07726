import { type CodePipelineClient, GetPipelineExecutionCommand } from '@aws-sdk/client-codepipeline';
import {
  type ExecutionFacts,
  type FailedAction,
  factsOf,
  getFailedAction,
} from '../../shared/pipeline-execution';
import { withTimeout } from '../../shared/timeout';
import { describeError } from './text';

export type { ExecutionFacts, FailedAction } from '../../shared/pipeline-execution';

/** The result of looking an execution up; each half may have failed on its own. */
export interface ExecutionLookup {
  readonly facts?: ExecutionFacts;
  readonly factsError?: string;
  readonly failedAction?: FailedAction;
  readonly failedActionError?: string;
}

export async function getExecutionFacts(
  client: CodePipelineClient,
  pipeline: string,
  executionId: string,
): Promise<ExecutionFacts> {
  const out = await client.send(
    new GetPipelineExecutionCommand({ pipelineName: pipeline, pipelineExecutionId: executionId }),
  );
  return factsOf(out.pipelineExecution);
}

/** `withTimeout` with the lookups' message: `<what> timed out after <ms> ms`. */
export function timedOut<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return withTimeout(promise, ms, (after) => `${what} timed out after ${after} ms`);
}

export interface LookupOptions {
  /** Also look for the failed action (only FAILED executions need it). */
  readonly failedAction: boolean;
  /** Each lookup gives up after this long, so that a notification is never held up. */
  readonly timeoutMs: number;
}

/** Looks the execution up; never rejects: a failed half is reported in the result. */
export async function lookupExecution(
  client: CodePipelineClient,
  pipeline: string,
  executionId: string,
  options: LookupOptions,
): Promise<ExecutionLookup> {
  const [facts, failed] = await Promise.allSettled([
    timedOut(getExecutionFacts(client, pipeline, executionId), options.timeoutMs, 'GetPipelineExecution'),
    options.failedAction
      ? timedOut(getFailedAction(client, pipeline, executionId), options.timeoutMs, 'ListActionExecutions')
      : Promise.resolve(undefined),
  ]);
  return {
    ...(facts.status === 'fulfilled' ? { facts: facts.value } : { factsError: describeError(facts.reason) }),
    ...(failed.status === 'fulfilled'
      ? failed.value
        ? { failedAction: failed.value }
        : {}
      : { failedActionError: describeError(failed.reason) }),
  };
}
