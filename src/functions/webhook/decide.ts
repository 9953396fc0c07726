import { createHash } from 'node:crypto';
import { PIPELINE_VARIABLES, type ReleaseMode } from '../../contracts';
import { TEST_SUBSCRIPTION_ID, type PayloadRepository, type WebhookEvent } from './parse';
import { shortBranchName, type WebhookProjectSettings } from './settings';

/**
 * What to do with an authenticated, well-formed event: start the pipeline, or acknowledge it without starting
 * anything. Never a refusal: Azure DevOps puts a subscription on probation for any answer but 2xx, 408, 502, 503
 * and 504, and then drops new events, so every event deliberately ignored gets a 2xx with its reason.
 */

export interface StartRequest {
  readonly pipelineName: string;
  readonly clientRequestToken: string;
  readonly variables: readonly { readonly name: string; readonly value: string }[];
  /** The commit the execution is pinned to (also in `variables`). */
  readonly commit: string;
  /** The configured branch, short form (the push-order key; Checkout takes it from the configuration). */
  readonly branch: string;
  /** The push's `resource.pushId`, when it had one. */
  readonly pushId?: number;
  /**
   * The pushed repository, for the push-order key: its GUID, or `<project>/<name>` in lower case when the payload
   * has none. Push ids count per repository, so pointing a project at another repository starts a new count.
   */
  readonly repository: string;
}

export type Decision =
  | { readonly action: 'start'; readonly request: StartRequest }
  | { readonly action: 'ignore'; readonly reason: string; readonly branch?: string };

const DELETED = /^0{40}$/;
/** The webhook only ever releases. */
const RELEASE: ReleaseMode = 'release';

/**
 * The `clientRequestToken` for starting `service`'s pipeline on `commit` for push `pushId`: hex sha256 of
 * `service:commit:pushId` (or `service:commit` for a push without a pushId); 64 characters of [0-9a-f], within
 * CodePipeline's `^[a-zA-Z0-9-]+$`, 1..128.
 *
 * Azure DevOps redelivers a notification after a 503 or a timeout with the same body, so a redelivery carries the
 * same token and CodePipeline starts at most one execution for it. A later push of a commit that was released
 * before (the branch reset back to it) is another push with another pushId, so it releases that commit again.
 */
export function clientRequestToken(service: string, commit: string, pushId?: number): string {
  const key = pushId === undefined ? `${service}:${commit}` : `${service}:${commit}:${pushId}`;
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * Whether the payload's repository is the project's: by GUID when one is known (the config's `repository.id`, else
 * the `repositoryId` that `berth connect` stored in the webhook secret), which keeps matching after the repository
 * or its Azure DevOps project is renamed; otherwise by project and repository name, case-insensitively.
 */
export function repositoryMatches(
  payload: PayloadRepository,
  settings: WebhookProjectSettings,
  storedRepositoryId?: string,
): boolean {
  const id = settings.repository.id ?? storedRepositoryId;
  if (id !== undefined && payload.id !== undefined) return sameName(payload.id, id);
  return (
    sameName(payload.name, settings.repository.name) &&
    sameName(payload.projectName, settings.repository.project)
  );
}

/** Branch refs compare case-insensitively too: Azure Repos does not allow two branches differing in case. */
function isConfiguredBranch(ref: string, settings: WebhookProjectSettings): boolean {
  return sameName(ref, `refs/heads/${settings.branch}`);
}

/** Shortens sender-provided text quoted in a reason. */
function quote(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}...` : value);
}

/** Decides what an event means for `service`, configured by `settings`. Pure. */
export function decide(
  service: string,
  settings: WebhookProjectSettings,
  event: WebhookEvent,
  storedRepositoryId?: string,
): Decision {
  switch (event.kind) {
    case 'test':
      return {
        action: 'ignore',
        reason: `test delivery from Azure DevOps (subscriptionId ${TEST_SUBSCRIPTION_ID}): the credentials work; nothing was started`,
      };
    case 'merged':
      return {
        action: 'ignore',
        reason: `${event.eventType} does not start a release: the push of the merge commit releases it`,
      };
    case 'other':
      return { action: 'ignore', reason: `event type ${quote(event.eventType)} is not handled` };
    case 'push':
      break;
  }
  if (!repositoryMatches(event.repository, settings, storedRepositoryId)) {
    return {
      action: 'ignore',
      reason: `repository ${quote(event.repository.name)} is not the repository of project ${quote(service)}`,
    };
  }
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
  const commit = ref.newObjectId;
  return {
    action: 'start',
    request: {
      pipelineName: settings.pipelineName,
      clientRequestToken: clientRequestToken(service, commit, event.pushId),
      variables: [
        { name: PIPELINE_VARIABLES.commit, value: commit },
        { name: PIPELINE_VARIABLES.mode, value: RELEASE },
      ],
      commit,
      branch: settings.branch,
      repository: (
        event.repository.id ?? `${event.repository.projectName}/${event.repository.name}`
      ).toLowerCase(),
      ...(event.pushId === undefined ? {} : { pushId: event.pushId }),
    },
  };
}
