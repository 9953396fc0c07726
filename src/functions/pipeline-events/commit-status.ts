import type { ReleaseMode } from '../../contracts';
import type { CommitStatus, RetryPolicy } from '../../shared/azure-devops';
import type { PipelineExecutionState } from './event';
import type { FailedAction } from './execution';
import { oneLine, shortCommit, truncate } from './text';

/**
 * What the commit status says for an execution state. Posting it is the shared Azure DevOps client's job
 * (src/shared/azure-devops.ts): `POST {base}/{project}/_apis/git/repositories/{repositoryId}/commits/{commit}/statuses`.
 */

/** Azure DevOps Git status states this function posts (`notSet` is never used). */
export type CommitStatusState = 'pending' | 'succeeded' | 'failed' | 'error' | 'notApplicable';

/** The `context.genre` of every status Berth posts; `context.name` is the project. */
export const COMMIT_STATUS_GENRE = 'berth';
/** Azure DevOps keeps at most this many characters of a status description. */
export const DESCRIPTION_MAX_LENGTH = 256;

/** Retries of a commit status: a few quick attempts that fit the function's budget. */
export const COMMIT_STATUS_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  attemptTimeoutMs: 3000,
  baseDelayMs: 500,
  maxDelayMs: 4000,
  maxRetryAfterMs: 5000,
};

/** What an execution releases: its mode (`release` when unknown) and its commit. */
export interface ReleaseKind {
  readonly mode?: ReleaseMode;
  readonly commit?: string;
}

/** `Pipeline P`, `Rollback to abc1234 by pipeline P` or `Redeploy of abc1234 by pipeline P`. */
export function executionName(pipeline: string, kind: ReleaseKind = {}): string {
  const commit = kind.commit ? shortCommit(kind.commit) : 'this commit';
  switch (kind.mode) {
    case 'rollback':
      return `Rollback to ${commit} by pipeline ${pipeline}`;
    case 'redeploy':
      return `Redeploy of ${commit} by pipeline ${pipeline}`;
    default:
      return `Pipeline ${pipeline}`;
  }
}

/**
 * The status for an execution state, or `undefined` when the state posts none (STOPPING: the STOPPED that
 * follows does). `failedAction` only matters for FAILED; `kind` says when the execution is a rollback or redeploy.
 */
export function commitStatusFor(
  state: PipelineExecutionState,
  pipeline: string,
  failedAction?: FailedAction,
  kind: ReleaseKind = {},
): { state: CommitStatusState; description: string } | undefined {
  const d = (state: CommitStatusState, text: string) => ({
    state,
    description: truncate(oneLine(text), DESCRIPTION_MAX_LENGTH),
  });
  const what = executionName(pipeline, kind);
  const release = kind.mode === undefined || kind.mode === 'release';
  switch (state) {
    case 'STARTED':
      return d('pending', release ? `${what} is building and deploying this commit` : `${what} started`);
    case 'RESUMED':
      return d('pending', `${what} resumed`);
    case 'SUCCEEDED':
      return d(
        'succeeded',
        release
          ? `${what} built and deployed this commit`
          : kind.mode === 'rollback'
            ? `${what} succeeded: this commit is deployed again`
            : `${what} succeeded: new tasks run this commit`,
      );
    case 'FAILED': {
      if (!failedAction) return d('failed', `${what} failed`);
      const where = `${what} failed at stage ${failedAction.stage} (action ${failedAction.action})`;
      return d('failed', failedAction.summary ? `${where}: ${failedAction.summary}` : where);
    }
    case 'STOPPED':
      return d('error', `${what} was stopped`);
    case 'CANCELED':
      return d('error', `${what}: the execution was canceled (stopped)`);
    case 'SUPERSEDED':
      return d('notApplicable', `${what}: superseded by a newer execution`);
    case 'STOPPING':
      return undefined;
  }
}

export function commitStatusBody(
  status: { state: CommitStatusState; description: string },
  targetUrl: string,
  project: string,
): CommitStatus {
  return {
    state: status.state,
    description: status.description,
    targetUrl,
    context: { name: project, genre: COMMIT_STATUS_GENRE },
  };
}
