import { createHash } from 'node:crypto';
import { PIPELINE_VARIABLES } from '../../config/names';
import type { PayloadRepository, WebhookEvent } from './parse';
import { shortBranchName, type WebhookProjectSettings } from './settings';

/** What to do with an authenticated, well-formed event: start, ignore (202) or refuse (403). */

export interface StartRequest {
  readonly pipelineName: string;
  readonly clientRequestToken: string;
  readonly variables: readonly { readonly name: string; readonly value: string }[];
  /** The commit the execution is pinned to (also in `variables`). */
  readonly commit: string;
  /** Short branch name (also in `variables`). */
  readonly branch: string;
}

export type Decision =
  | { readonly action: 'start'; readonly request: StartRequest }
  | { readonly action: 'ignore'; readonly reason: string; readonly branch?: string }
  | { readonly action: 'forbid'; readonly reason: string };

const DELETED = /^0{40}$/;

/**
 * The `clientRequestToken` for starting `service`'s pipeline on `commit`: hex sha256 of `service:commit`
 * (64 characters of [0-9a-f], within CodePipeline's `^[a-zA-Z0-9-]+$`, 1..128).
 *
 * Derived from the commit rather than the event id on purpose: completing a pull request sends both a
 * `git.pullrequest.merged` and a `git.push` event (different ids) for the same merge commit, and Azure DevOps
 * redelivers an event after a 503 or a timeout. CodePipeline treats a repeated token as the same request,
 * so all of these start at most one execution of that commit. (The flip side: pushing a branch back to a
 * commit that was already built, within CodePipeline's idempotency window, does not start it again; run
 * the pipeline by hand for such a rollback.)
 */
export function clientRequestToken(service: string, commit: string): string {
  return createHash('sha256').update(`${service}:${commit}`, 'utf8').digest('hex');
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Azure DevOps names are case-insensitive; a configured repository id must match the payload's (a GUID). */
export function repositoryMatches(payload: PayloadRepository, settings: WebhookProjectSettings): boolean {
  const want = settings.repository;
  if (!sameName(payload.name, want.name) || !sameName(payload.projectName, want.project)) return false;
  if (want.id !== undefined && (payload.id === undefined || !sameName(payload.id, want.id))) return false;
  return true;
}

/** Branch refs compare case-insensitively too: Azure Repos does not allow two branches differing in case. */
function isConfiguredBranch(ref: string, settings: WebhookProjectSettings): boolean {
  return sameName(ref, `refs/heads/${settings.branch}`);
}

function start(
  service: string,
  settings: WebhookProjectSettings,
  commit: string,
  repository: string,
): Decision {
  return {
    action: 'start',
    request: {
      pipelineName: settings.pipelineName,
      clientRequestToken: clientRequestToken(service, commit),
      variables: [
        { name: PIPELINE_VARIABLES.commit, value: commit },
        { name: PIPELINE_VARIABLES.branch, value: settings.branch },
        { name: PIPELINE_VARIABLES.repository, value: repository },
      ],
      commit,
      branch: settings.branch,
    },
  };
}

/** Shortens sender-provided text quoted in a reason. */
function quote(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}...` : value);
}

/** Decides what an event means for `service`, configured by `settings`. Pure. */
export function decide(service: string, settings: WebhookProjectSettings, event: WebhookEvent): Decision {
  if (event.kind === 'other') {
    return { action: 'ignore', reason: `event type ${quote(event.eventType)} is not handled` };
  }
  if (!repositoryMatches(event.repository, settings)) {
    return { action: 'forbid', reason: `repository is not the one configured for service ${quote(service)}` };
  }
  if (event.kind === 'push') {
    const ref = event.refUpdates.find((u) => isConfiguredBranch(u.name, settings));
    if (ref === undefined) {
      const pushed = event.refUpdates.map((u) => shortBranchName(u.name));
      return {
        action: 'ignore',
        reason: `push does not update branch ${quote(settings.branch)}`,
        ...(pushed.length === 1 ? { branch: pushed[0] } : {}),
      };
    }
    if (DELETED.test(ref.newObjectId)) {
      return {
        action: 'ignore',
        reason: `branch ${quote(settings.branch)} was deleted`,
        branch: settings.branch,
      };
    }
    return start(service, settings, ref.newObjectId, event.repository.name);
  }
  // git.pullrequest.merged
  if (!isConfiguredBranch(event.targetRefName, settings)) {
    return {
      action: 'ignore',
      reason: `pull request does not target branch ${quote(settings.branch)}`,
      branch: shortBranchName(event.targetRefName),
    };
  }
  if (event.status !== 'completed' || event.mergeCommit === undefined) {
    return {
      action: 'ignore',
      reason: `pull request is ${quote(event.status)}, not completed`,
      branch: settings.branch,
    };
  }
  return start(service, settings, event.mergeCommit, event.repository.name);
}
