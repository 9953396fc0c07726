import { z } from 'zod';

/**
 * A small client for the few Azure DevOps REST calls the CLI makes (api-version 7.1): project and
 * repository lookup, and service hook subscriptions. Every call goes to the configured base URL
 * (`https://dev.azure.com/<org>` or an Azure DevOps Server collection URL), authenticates with Basic
 * `base64(":" + PAT)`, and gives up after a timeout. Failures come back as `AzureDevOpsError`, which
 * carries the HTTP status and Azure DevOps' own `message`, never a request header or body.
 */

export const API_VERSION = '7.1';
export const DEFAULT_TIMEOUT_MS = 30_000;

/** The publisher, event and consumer of the one kind of subscription Berth makes. */
export const SUBSCRIPTION_KIND = {
  publisherId: 'tfs',
  eventType: 'git.push',
  resourceVersion: '1.0',
  consumerId: 'webHooks',
  consumerActionId: 'httpRequest',
} as const;

export interface SubscriptionBody {
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
    readonly resourceDetailsToSend: 'all';
    readonly messagesToSend: 'none';
    readonly detailedMessagesToSend: 'none';
  };
}

const projectSchema = z.looseObject({ id: z.string().min(1), name: z.string() });
const repositorySchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  project: z.looseObject({ id: z.string(), name: z.string() }).optional(),
});
const subscriptionSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().optional(),
  publisherId: z.string().optional(),
  eventType: z.string().optional(),
  consumerId: z.string().optional(),
  consumerActionId: z.string().optional(),
  publisherInputs: z.record(z.string(), z.unknown()).optional(),
  consumerInputs: z.record(z.string(), z.unknown()).optional(),
});
const subscriptionListSchema = z.looseObject({
  count: z.number().optional(),
  value: z.array(subscriptionSchema),
});

export type AzureDevOpsProject = z.infer<typeof projectSchema>;
export type AzureDevOpsRepository = z.infer<typeof repositorySchema>;
export type Subscription = z.infer<typeof subscriptionSchema>;

/**
 * Why a call failed. `status` is the HTTP status (401 also stands for a sign-in page or redirect, which is
 * how Azure DevOps answers a bad token on some routes); `kind` says whether an answer came at all.
 */
export class AzureDevOpsError extends Error {
  constructor(
    readonly kind: 'http' | 'network' | 'timeout' | 'bad-response',
    readonly status: number | undefined,
    /** Azure DevOps' `message` from the error body, when it sent one. */
    readonly serverMessage: string | undefined,
    /** What was asked, e.g. `GET /_apis/projects/Finance`: a path without the query, never a header. */
    readonly request: string,
    detail: string,
  ) {
    super(detail);
    this.name = 'AzureDevOpsError';
  }
}

export interface AzureDevOpsClientOptions {
  /** `https://dev.azure.com/<org>` or a collection URL, without a trailing slash. */
  readonly baseUrl: string;
  readonly pat: string;
  /** Default: the global fetch. Tests pass one that reaches a local fake. */
  readonly fetch?: typeof fetch;
  /** Per request. Default 30 s. */
  readonly timeoutMs?: number;
}

export class AzureDevOpsClient {
  private readonly baseUrl: string;
  private readonly auth: string;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  constructor(opts: AzureDevOpsClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.auth = `Basic ${Buffer.from(`:${opts.pat}`).toString('base64')}`;
    this.fetchFn = opts.fetch ?? fetch;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** GET `/_apis/projects/{name}`: the project's GUID. */
  async getProject(name: string): Promise<AzureDevOpsProject> {
    return projectSchema.parse(await this.call('GET', `/_apis/projects/${enc(name)}`));
  }

  /** GET `/{project}/_apis/git/repositories/{nameOrId}`: the repository's GUID. */
  async getRepository(project: string, nameOrId: string): Promise<AzureDevOpsRepository> {
    return repositorySchema.parse(
      await this.call('GET', `/${enc(project)}/_apis/git/repositories/${enc(nameOrId)}`),
    );
  }

  /** The organization's Web Hooks subscriptions for `git.push`. */
  async listPushWebhookSubscriptions(): Promise<Subscription[]> {
    const query = {
      publisherId: SUBSCRIPTION_KIND.publisherId,
      eventType: SUBSCRIPTION_KIND.eventType,
      consumerId: SUBSCRIPTION_KIND.consumerId,
      consumerActionId: SUBSCRIPTION_KIND.consumerActionId,
    };
    return subscriptionListSchema.parse(await this.call('GET', '/_apis/hooks/subscriptions', query)).value;
  }

  async createSubscription(body: SubscriptionBody): Promise<Subscription> {
    return subscriptionSchema.parse(await this.call('POST', '/_apis/hooks/subscriptions', {}, body));
  }

  /** PUT replaces the whole subscription; Azure DevOps masks the stored password on GET, so send it again. */
  async replaceSubscription(id: string, body: SubscriptionBody & { status?: string }): Promise<Subscription> {
    return subscriptionSchema.parse(
      await this.call('PUT', `/_apis/hooks/subscriptions/${enc(id)}`, {}, { id, ...body }),
    );
  }

  private async call(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    query: Record<string, string> = {},
    body?: unknown,
  ): Promise<unknown> {
    const request = `${method} ${path}`;
    const params = new URLSearchParams({ ...query, 'api-version': API_VERSION });
    const url = `${this.baseUrl}${path}?${params.toString()}`;
    const headers: Record<string, string> = {
      Authorization: this.auth,
      Accept: 'application/json',
      // Ask for a 401 instead of a redirect to the sign-in page when the token is refused.
      'X-TFS-FedAuthRedirect': 'Suppress',
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';

    let res: Response;
    try {
      res = await this.fetchFn(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      if (err.name === 'TimeoutError' || err.name === 'AbortError') {
        throw new AzureDevOpsError(
          'timeout',
          undefined,
          undefined,
          request,
          `no answer within ${seconds(this.timeoutMs)}`,
        );
      }
      const reason = err.cause?.code ?? err.cause?.message ?? err.message;
      throw new AzureDevOpsError('network', undefined, undefined, request, reason);
    }

    const text = await readText(res, request, this.timeoutMs);
    const contentType = res.headers.get('content-type') ?? '';
    const isJson = contentType.includes('json');
    // A redirect, a 203 or an HTML page instead of JSON is Azure DevOps' sign-in page: the token was refused.
    if ((res.status >= 300 && res.status < 400) || res.status === 203 || (res.ok && !isJson)) {
      throw new AzureDevOpsError(
        'http',
        401,
        undefined,
        request,
        `answered ${res.status} with a sign-in page`,
      );
    }
    if (!res.ok) {
      const serverMessage = isJson ? errorMessage(text) : undefined;
      throw new AzureDevOpsError(
        'http',
        res.status,
        serverMessage,
        request,
        `answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`,
      );
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AzureDevOpsError(
        'bad-response',
        res.status,
        undefined,
        request,
        'answered with a body that is not JSON',
      );
    }
  }
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

/** The subscription body Berth sends, for create and update alike. */
export function subscriptionBody(args: {
  projectId: string;
  repositoryId: string;
  branch: string;
  url: string;
  username: string;
  password: string;
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
      resourceDetailsToSend: 'all',
      messagesToSend: 'none',
      detailedMessagesToSend: 'none',
    },
  };
}

/**
 * Berth's subscriptions among `subs`: those of our kind whose consumer URL is `url` (each project has its own
 * webhook path, so the URL names the project). The one for `repositoryId` comes first, so a repeat run updates it.
 */
export function findOurSubscriptions(
  subs: readonly Subscription[],
  url: string,
  repositoryId: string,
): Subscription[] {
  const norm = (u: unknown) => (typeof u === 'string' ? u.replace(/\/+$/, '') : undefined);
  const ours = subs.filter(
    (s) =>
      (s.publisherId ?? SUBSCRIPTION_KIND.publisherId) === SUBSCRIPTION_KIND.publisherId &&
      (s.eventType ?? SUBSCRIPTION_KIND.eventType) === SUBSCRIPTION_KIND.eventType &&
      (s.consumerId ?? SUBSCRIPTION_KIND.consumerId) === SUBSCRIPTION_KIND.consumerId &&
      norm(s.consumerInputs?.url) === norm(url),
  );
  const sameRepo = (s: Subscription) =>
    String(s.publisherInputs?.repository ?? '').toLowerCase() === repositoryId.toLowerCase();
  return [...ours.filter(sameRepo), ...ours.filter((s) => !sameRepo(s))];
}

/** Azure DevOps error bodies: `{"$id":"1","innerException":null,"message":"...","typeName":"...",...}`. */
function errorMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { message?: unknown; value?: { Message?: unknown } };
    if (typeof body.message === 'string' && body.message.trim()) return body.message.trim();
    if (typeof body.value?.Message === 'string') return body.value.Message.trim();
  } catch {
    // not JSON after all
  }
  return undefined;
}

async function readText(res: Response, request: string, timeoutMs: number): Promise<string> {
  try {
    return await res.text();
  } catch (e) {
    const name = (e as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new AzureDevOpsError(
        'timeout',
        undefined,
        undefined,
        request,
        `no answer within ${seconds(timeoutMs)}`,
      );
    }
    return '';
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}
