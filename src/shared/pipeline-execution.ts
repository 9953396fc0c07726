import {
  type ActionExecutionDetail,
  type CodePipelineClient,
  paginateListActionExecutions,
  type PipelineExecution,
} from '@aws-sdk/client-codepipeline';
import { NO_COMMIT, PIPELINE_VARIABLES, RELEASE_MODES, type ReleaseMode } from '../contracts';

/*
 * Reading a pipeline execution: what it was started with and which action failed. Shared by the pipeline-events
 * function (notifications, commit statuses) and the CLI (status, rollback, redeploy), so both say the same thing
 * about the same execution.
 */

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

/** Pages through the execution's action executions (at most `maxPages` pages) and picks the failed one. */
export async function getFailedAction(
  client: CodePipelineClient,
  pipeline: string,
  executionId: string,
  maxPages = 10,
): Promise<FailedAction | undefined> {
  const details: ActionExecutionDetail[] = [];
  let pages = 0;
  for await (const page of paginateListActionExecutions(
    { client, pageSize: 100 },
    { pipelineName: pipeline, filter: { pipelineExecutionId: executionId } },
  )) {
    details.push(...(page.actionExecutionDetails ?? []));
    if (++pages >= maxPages) break;
  }
  return findFailedAction(details);
}
