import type { Subscription, SubscriptionInput } from '../shared/azure-devops';

/**
 * What `berth connect` adds to the shared Azure DevOps client (src/shared/azure-devops.ts): the one kind of service
 * hook subscription Berth makes, the marker that recognizes Berth's own subscriptions, and the body it sends.
 */

export {
  AzureDevOpsClient,
  AzureDevOpsError,
  CONNECT_PAT_SCOPES,
  PIPELINE_PAT_SCOPES,
  listScopes,
  type AzureDevOpsProject,
  type AzureDevOpsRepository,
  type Subscription,
} from '../shared/azure-devops';

/** The publisher, event and consumer of the one kind of subscription Berth makes. */
export const SUBSCRIPTION_KIND = {
  publisherId: 'tfs',
  eventType: 'git.push',
  resourceVersion: '1.0',
  consumerId: 'webHooks',
  consumerActionId: 'httpRequest',
} as const;

/**
 * The header that marks a subscription as Berth's, for one project: `X-Berth-Project: <prefix>/<project>`. It sits
 * in the subscription's `httpHeaders` (one `Key:value` per line), so Azure DevOps also sends it with every delivery;
 * that is fine, it is not a secret. It is how `connect` finds its own subscription again whatever URL, branch or
 * repository it points at (after `api.domain` is added, every URL changes).
 */
export const MARKER_HEADER = 'X-Berth-Project';

/** The marker's value for a project: `<prefix>/<project>`. */
export function markerValue(prefix: string, project: string): string {
  return `${prefix}/${project}`;
}

export interface SubscriptionBody extends SubscriptionInput {
  readonly publisherId: typeof SUBSCRIPTION_KIND.publisherId;
  readonly eventType: typeof SUBSCRIPTION_KIND.eventType;
  readonly resourceVersion: typeof SUBSCRIPTION_KIND.resourceVersion;
  readonly consumerId: typeof SUBSCRIPTION_KIND.consumerId;
  readonly consumerActionId: typeof SUBSCRIPTION_KIND.consumerActionId;
  readonly publisherInputs: {
    readonly projectId: string;
    readonly repository: string;
    readonly branch: string;
  };
  readonly consumerInputs: {
    readonly url: string;
    readonly basicAuthUsername: string;
    readonly basicAuthPassword: string;
    readonly httpHeaders: string;
    readonly resourceDetailsToSend: 'all';
    readonly messagesToSend: 'none';
    readonly detailedMessagesToSend: 'none';
  };
}

/**
 * The `branch` publisher input for git.push. Berth sends the plain branch name (`main`), as the config holds
 * it. Microsoft's REST reference does not say which form the filter takes; some third-party examples use
 * `refs/heads/main`. Only a check against a real organization settles it (the subscription's description in
 * Project settings > Service hooks must name the branch); if it must be the full ref, change it here alone.
 * Either way the webhook checks the pushed ref against the configured branch itself.
 */
export function branchFilter(branch: string): string {
  return branch;
}

/** The subscription body Berth sends, for create and update alike. `marker` is {@link markerValue}'s. */
export function subscriptionBody(args: {
  projectId: string;
  repositoryId: string;
  branch: string;
  url: string;
  username: string;
  password: string;
  marker: string;
}): SubscriptionBody {
  return {
    ...SUBSCRIPTION_KIND,
    publisherInputs: {
      projectId: args.projectId,
      repository: args.repositoryId,
      branch: branchFilter(args.branch),
    },
    consumerInputs: {
      url: args.url,
      basicAuthUsername: args.username,
      basicAuthPassword: args.password,
      httpHeaders: `${MARKER_HEADER}:${args.marker}`,
      resourceDetailsToSend: 'all',
      messagesToSend: 'none',
      detailedMessagesToSend: 'none',
    },
  };
}

/** The headers of a subscription's `httpHeaders` input (`Key:value` per line), names lower-cased. */
export function parseHttpHeaders(text: string | undefined): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of (text ?? '').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

function isOurKind(s: Subscription): boolean {
  return (
    (s.publisherId ?? SUBSCRIPTION_KIND.publisherId) === SUBSCRIPTION_KIND.publisherId &&
    (s.eventType ?? SUBSCRIPTION_KIND.eventType) === SUBSCRIPTION_KIND.eventType &&
    (s.consumerId ?? SUBSCRIPTION_KIND.consumerId) === SUBSCRIPTION_KIND.consumerId &&
    (s.consumerActionId ?? SUBSCRIPTION_KIND.consumerActionId) === SUBSCRIPTION_KIND.consumerActionId
  );
}

export interface BerthSubscriptions {
  /** The one to keep and update: marked for this project (an enabled one and the one on the repository first). */
  readonly keep?: Subscription;
  /** Other subscriptions marked for this project: stale duplicates, to delete. */
  readonly stale: readonly Subscription[];
  /**
   * Subscriptions made before the marker existed: no marker, but sending to this project's webhook path
   * (`.../webhook/<project>`, whatever the host) for the same repository. The first is adopted when no marked one
   * exists; the others are left alone (they carry no proof they are Berth's) and reported.
   */
  readonly unmarked: readonly Subscription[];
}

/**
 * Finds Berth's subscriptions for one project among `subs` by the marker header (and, for subscriptions made by
 * earlier versions, by webhook path and repository), never by the full URL.
 */
export function findBerthSubscriptions(
  subs: readonly Subscription[],
  find: { marker: string; webhookPath: string; repositoryId: string },
): BerthSubscriptions {
  const ofKind = subs.filter(isOurKind);
  const marked = ofKind.filter(
    (s) => parseHttpHeaders(s.consumerInputs?.httpHeaders).get(MARKER_HEADER.toLowerCase()) === find.marker,
  );
  const sameRepo = (s: Subscription) =>
    (s.publisherInputs?.repository ?? '').toLowerCase() === find.repositoryId.toLowerCase();
  const rank = (s: Subscription) => (sameRepo(s) ? 0 : 2) + (s.status === 'enabled' ? 0 : 1);
  const ordered = [...marked].sort((a, b) => rank(a) - rank(b));
  const path = `/${find.webhookPath.replace(/^\/+|\/+$/g, '')}`;
  const unmarked = ofKind.filter((s) => {
    if (
      marked.includes(s) ||
      parseHttpHeaders(s.consumerInputs?.httpHeaders).has(MARKER_HEADER.toLowerCase())
    ) {
      return false;
    }
    let pathname: string;
    try {
      pathname = new URL(s.consumerInputs?.url ?? '').pathname.replace(/\/+$/, '');
    } catch {
      return false;
    }
    return pathname.endsWith(path) && sameRepo(s);
  });
  return { keep: ordered[0], stale: ordered.slice(1), unmarked };
}

/** The fields of an existing subscription that differ from `body` (the password cannot be compared: it is masked). */
export function changedFields(existing: Subscription, body: SubscriptionBody): string[] {
  const changes: string[] = [];
  const p = existing.publisherInputs ?? {};
  const c = existing.consumerInputs ?? {};
  if ((p.projectId ?? '').toLowerCase() !== body.publisherInputs.projectId.toLowerCase())
    changes.push('project');
  if ((p.repository ?? '').toLowerCase() !== body.publisherInputs.repository.toLowerCase())
    changes.push('repository');
  if ((p.branch ?? '') !== body.publisherInputs.branch) changes.push('branch');
  if ((c.url ?? '').replace(/\/+$/, '') !== body.consumerInputs.url.replace(/\/+$/, '')) changes.push('url');
  if ((c.basicAuthUsername ?? '') !== body.consumerInputs.basicAuthUsername) changes.push('username');
  if ((c.httpHeaders ?? '').trim() !== body.consumerInputs.httpHeaders) changes.push('marker');
  if ((existing.resourceVersion ?? body.resourceVersion) !== body.resourceVersion)
    changes.push('resourceVersion');
  if (existing.status !== undefined && existing.status !== 'enabled') changes.push('status');
  return changes;
}
