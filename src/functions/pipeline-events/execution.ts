import {
  type ActionExecutionDetail,
  type CodePipelineClient,
  GetPipelineExecutionCommand,
  ListActionExecutionsCommand,
  type PipelineExecution,
} from '@aws-sdk/client-codepipeline';
import { NO_COMMIT, PIPELINE_VARIABLES, RELEASE_MODES, type ReleaseMode } from '../../contracts';
import { describeError } from './text';

/**
 * Variables executions started before RELEASE_MODE existed carried; read only so that older executions still show
 * them (the configured branch is the truth: Checkout takes it from the configuration).
 */
const LEGACY_VARIABLES = { branch: 'BRANCH', repository: 'REPOSITORY' } as const;

/** What the pipeline execution itself says: the variables it was started with. */
export interface ExecutionFacts {
  /** `COMMIT_ID`, absent when the execution was started without one (`none`, or by hand). */
  readonly commit?: string;
  /** `RELEASE_MODE` (`release`, `rollback`, `redeploy`); absent when unset or not one of those. */
  readonly mode?: ReleaseMode;
  /** Legacy `BRANCH` of executions started before this version; new executions carry none. */
  readonly branch?: string;
  /** Legacy `REPOSITORY` of executions started before this version. */
  readonly repository?: string;
  readonly statusSummary?: string;
  /** How the execution started: `StartPipelineExecution` (the webhook), `CreatePipeline`, ... */
  readonly triggerType?: string;
}

/** The action that made the execution fail. */
export interface FailedAction {
  readonly stage: string;
  readonly action: string;
  /** The action's own summary and error message, when it gave any. */
  readonly summary?: string;
  /** The action's external page (e.g. the CodeBuild build), when it gave one. */
  readonly url?: string;
}

/** The result of looking an execution up; each half may have failed on its own. */
export interface ExecutionLookup {
  readonly facts?: ExecutionFacts;
  readonly factsError?: string;
  readonly failedAction?: FailedAction;
  readonly failedActionError?: string;
}

/** Reads the pipeline variables of an execution. */
export function factsOf(execution: PipelineExecution | undefined): ExecutionFacts {
  const value = (name: string): string | undefined => {
    const v = execution?.variables?.find((x) => x.name === name)?.resolvedValue?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const summary = execution?.statusSummary?.trim();
  const commit = value(PIPELINE_VARIABLES.commit);
  const mode = value(PIPELINE_VARIABLES.mode);
  return {
    commit: commit === NO_COMMIT ? undefined : commit,
    mode: (RELEASE_MODES as readonly string[]).includes(mode ?? '') ? (mode as ReleaseMode) : undefined,
    branch: value(LEGACY_VARIABLES.branch),
    repository: value(LEGACY_VARIABLES.repository),
    statusSummary: summary === undefined || summary === '' ? undefined : summary,
    triggerType: execution?.trigger?.triggerType,
  };
}

const time = (d: Date | undefined): number => (d instanceof Date ? d.getTime() : 0);

/** The most recent failed action of an execution (a retried stage can have failed before). */
export function findFailedAction(details: readonly ActionExecutionDetail[]): FailedAction | undefined {
  const failed = details
    .filter((d) => d.status === 'Failed')
    .sort(
      (a, b) =>
        time(b.lastUpdateTime ?? b.startTime) - time(a.lastUpdateTime ?? a.startTime) ||
        time(b.startTime) - time(a.startTime),
    );
  const d = failed[0];
  if (d === undefined) return undefined;
  const result = d.output?.executionResult;
  const parts = [result?.errorDetails?.message, result?.externalExecutionSummary]
    .map((s) => s?.trim())
    .filter((s): s is string => s !== undefined && s !== '');
  const unique = parts.filter((s, i) => parts.indexOf(s) === i);
  const code = result?.errorDetails?.code?.trim();
  const summary = unique.length > 0 ? unique.join('\n') : code ? `Error code ${code}` : undefined;
  const url = result?.externalExecutionUrl?.trim();
  return {
    stage: d.stageName ?? 'unknown stage',
    action: d.actionName ?? 'unknown action',
    ...(summary ? { summary } : {}),
    ...(url ? { url } : {}),
  };
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

/** Pages through the execution's action executions (bounded) and picks the failed one. */
export async function getFailedAction(
  client: CodePipelineClient,
  pipeline: string,
  executionId: string,
  maxPages = 10,
): Promise<FailedAction | undefined> {
  const details: ActionExecutionDetail[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const out = await client.send(
      new ListActionExecutionsCommand({
        pipelineName: pipeline,
        filter: { pipelineExecutionId: executionId },
        maxResults: 100,
        nextToken,
      }),
    );
    details.push(...(out.actionExecutionDetails ?? []));
    nextToken = out.nextToken;
    if (!nextToken) break;
  }
  return findFailedAction(details);
}

/** Resolves with the promise's value or rejects when `ms` have passed first. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
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
    withTimeout(getExecutionFacts(client, pipeline, executionId), options.timeoutMs, 'GetPipelineExecution'),
    options.failedAction
      ? withTimeout(getFailedAction(client, pipeline, executionId), options.timeoutMs, 'ListActionExecutions')
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
