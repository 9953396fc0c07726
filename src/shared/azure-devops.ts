/**
 * Berth's one Azure DevOps REST client, used by `berth connect` (project and repository lookup, service hook
 * subscriptions) and by the pipeline-events Lambda (commit statuses). The Lambda is bundled with esbuild, so this
 * module imports nothing but the platform and the pure text helpers beside it: no CDK, no CLI, no AWS SDK, no
 * schema library; it talks through `fetch`.
 *
 * Every request:
 * - goes to the configured base URL (`https://dev.azure.com/<org>` or an Azure DevOps Server collection URL) with
 *   `api-version` set to the configured REST version ({@link DEFAULT_API_VERSION} 7.0: Azure DevOps Services and
 *   Server 2022 accept it; Server 2020 needs 6.0);
 * - authenticates with Basic `base64(":" + PAT)` and asks for a 401 rather than a sign-in redirect
 *   (`X-TFS-FedAuthRedirect: Suppress`); a 203, a redirect or an HTML page instead of JSON still means the token
 *   was refused, and is reported so;
 * - is aborted after a timeout per attempt, and retried with exponential backoff (bounded attempts, never past the
 *   caller's deadline) on network errors, timeouts, 429 and 5xx, honouring `Retry-After` (delta-seconds or an HTTP
 *   date) and giving up at once when it asks for a longer wait than the caller can afford. A request that is not
 *   idempotent (creating a subscription) is retried only where nothing can have been processed: 429 and a
 *   connection that could not be opened.
 *
 * Failures are {@link AzureDevOpsError}s carrying the HTTP status, Azure DevOps' own message and what was asked
 * (method and path, no query); the PAT and the Authorization header are redacted from everything they hold.
 */

import { oneLine, redact } from './text';

/** REST versions Berth can speak: Azure DevOps Services accepts all; Server 2022 at most 7.0; Server 2020 at most 6.0. */
export const AZURE_DEVOPS_API_VERSIONS = ['6.0', '7.0', '7.1'] as const;
export type AzureDevOpsApiVersion = (typeof AZURE_DEVOPS_API_VERSIONS)[number];
/** What both Azure DevOps Services and Azure DevOps Server 2022 accept. */
export const DEFAULT_API_VERSION: AzureDevOpsApiVersion = '7.0';
/** The berth.yaml setting that chooses the REST version (named in errors). */
export const API_VERSION_SETTING = 'azureDevOps.apiVersion';

/** Scopes of the PAT a project's pipeline uses (`berth set-pat`): cloning, and posting commit statuses. */
export const PIPELINE_PAT_SCOPES = ['Code (Read)', 'Code (Status)'] as const;
/** Scopes of the PAT `berth connect` uses: project and repository lookup, and managing service hooks. */
export const CONNECT_PAT_SCOPES = [
  'Project and Team (Read)',
  'Code (Read)',
  'Service Hooks (Read, query & manage)',
] as const;

/** `A, B and C`. */
export function listScopes(scopes: readonly string[]): string {
  if (scopes.length <= 1) return scopes.join('');
  return `${scopes.slice(0, -1).join(', ')} and ${scopes[scopes.length - 1]}`;
}

/** `Basic base64(":" + pat)`: any user name works with a PAT; the empty one is conventional. One line, never wrapped. */
export function basicAuthorization(pat: string): string {
  return `Basic ${Buffer.from(`:${pat}`, 'utf8').toString('base64')}`;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Each attempt (request and response body) is aborted after this long. */
  readonly attemptTimeoutMs: number;
  /** Backoff before retry n is about `baseDelayMs * 2^(n-1)`, jittered, at most `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A Retry-After up to this long is honoured; a longer one ends the retries. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  attemptTimeoutMs: 30_000,
  baseDelayMs: 500,
  maxDelayMs: 4000,
  maxRetryAfterMs: 30_000,
};

/** Backoff before the retry that follows attempt `attempt` (1-based): exponential with equal jitter. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * Math.min(Math.max(random(), 0), 1));
}

/** Retry-After in ms: delta-seconds or an HTTP date; `undefined` when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** 429 and 5xx may pass on a retry; any other answer will not change. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/**
 * Why a call failed:
 * - `http`: an error status (`status`, and Azure DevOps' `serverMessage` when it sent one);
 * - `refused-token`: a 203, a redirect or an HTML page instead of JSON: Azure DevOps' sign-in page, the PAT was refused;
 * - `api-version`: the server refused the REST version (400, `VssVersionOutOfRangeException`): change the setting;
 * - `network`, `timeout`: no answer; `bad-response`: an answer of an unexpected shape.
 */
export type AzureDevOpsErrorKind =
  'http' | 'refused-token' | 'api-version' | 'network' | 'timeout' | 'bad-response';

export class AzureDevOpsError extends Error {
  constructor(
    readonly kind: AzureDevOpsErrorKind,
    /** The HTTP status of the last answer, when one came. */
    readonly status: number | undefined,
    /** Azure DevOps' `message` from the error body (redacted, at most 500 characters). */
    readonly serverMessage: string | undefined,
    /** What was asked, e.g. `GET /_apis/projects/Finance`: a path without the query, never a header. */
    readonly request: string,
    /** What went wrong, e.g. `answered 500 Internal Server Error`; a sentence of advice for `api-version`. */
    detail: string,
    /** Attempts made (0 when the deadline left no room for one). */
    readonly attempts: number,
    /** Azure DevOps' exception type (`typeKey`), e.g. `VssVersionOutOfRangeException`. */
    readonly typeKey?: string,
  ) {
    super(detail);
    this.name = 'AzureDevOpsError';
  }

  /** One line for a log: the request, what happened and what Azure DevOps said. */
  describe(): string {
    const said = this.serverMessage ? ` Azure DevOps said: "${this.serverMessage}"` : '';
    return `${this.request}: ${this.message}.${said}`;
  }
}

/** The transport the client needs; tests pass a fetch that reaches a local fake and a sleep that does not wait. */
export interface HttpDeps {
  readonly fetch: typeof fetch;
  readonly sleep: (ms: number) => Promise<void>;
  /** In [0, 1): jitter. */
  readonly random: () => number;
  readonly now: () => number;
}

export interface AzureDevOpsClientOptions {
  /** `https://dev.azure.com/<org>` or a collection URL; a trailing slash is dropped. */
  readonly baseUrl: string;
  readonly pat: string;
  /** @default DEFAULT_API_VERSION ('7.0') */
  readonly apiVersion?: string;
  /** Overrides of {@link DEFAULT_RETRY_POLICY}; `attemptTimeoutMs` is the timeout per attempt. */
  readonly retry?: Partial<RetryPolicy>;
  /** @default the global fetch, setTimeout, Math.random and Date.now */
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
}

export interface AzureDevOpsProject {
  readonly id: string;
  readonly name: string;
}

export interface AzureDevOpsRepository {
  readonly id: string;
  readonly name: string;
  readonly project?: AzureDevOpsProject;
}

/** A service hook subscription as Azure DevOps lists it (the stored password comes back masked). */
export interface Subscription {
  readonly id: string;
  readonly status?: string;
  readonly publisherId?: string;
  readonly eventType?: string;
  readonly resourceVersion?: string;
  readonly consumerId?: string;
  readonly consumerActionId?: string;
  readonly publisherInputs?: Readonly<Record<string, string>>;
  readonly consumerInputs?: Readonly<Record<string, string>>;
}

/** What create and replace send. */
export interface SubscriptionInput {
  readonly publisherId: string;
  readonly eventType: string;
  readonly resourceVersion: string;
  readonly consumerId: string;
  readonly consumerActionId: string;
  readonly publisherInputs: Readonly<Record<string, string>>;
  readonly consumerInputs: Readonly<Record<string, string>>;
  /** `enabled` re-enables a subscription Azure DevOps disabled (replace only). */
  readonly status?: string;
}

export interface SubscriptionQuery {
  readonly publisherId?: string;
  readonly eventType?: string;
  readonly consumerId?: string;
  readonly consumerActionId?: string;
}

/** Azure DevOps Git commit status states (`notSet` is never posted by Berth). */
export type CommitStatusState = 'notSet' | 'pending' | 'succeeded' | 'failed' | 'error' | 'notApplicable';

export interface CommitStatus {
  readonly state: CommitStatusState;
  readonly description: string;
  readonly targetUrl: string;
  readonly context: { readonly name: string; readonly genre: string };
}

export interface CallLimits {
  /** No attempt starts, and no retry is waited for, past this time (per the client's `now`). */
  readonly deadline?: number;
}

interface RequestSpec extends CallLimits {
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

const SERVER_MESSAGE_MAX = 500;
/** Socket errors that mean the request never reached the server, so even a POST may be sent again. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export class AzureDevOpsClient {
  readonly baseUrl: string;
  readonly apiVersion: string;
  readonly #authorization: string;
  readonly #secrets: readonly string[];
  readonly #policy: RetryPolicy;
  readonly #deps: HttpDeps;

  constructor(options: AzureDevOpsClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiVersion = options.apiVersion ?? DEFAULT_API_VERSION;
    this.#authorization = basicAuthorization(options.pat);
    const encoded = this.#authorization.slice('Basic '.length);
    // Longest first, so that a secret containing another is replaced whole.
    this.#secrets = [this.#authorization, encoded, options.pat]
      .filter((s) => s.length > 0)
      .sort((a, b) => b.length - a.length);
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#deps = {
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      random: options.random ?? Math.random,
      now: options.now ?? Date.now,
    };
  }

  /** GET `/_apis/projects/{nameOrId}`. */
  async getProject(nameOrId: string, limits: CallLimits = {}): Promise<AzureDevOpsProject> {
    const request = `GET /_apis/projects/${enc(nameOrId)}`;
    const json = await this.#call('GET', `/_apis/projects/${enc(nameOrId)}`, limits);
    return this.#project(json, request);
  }

  /** GET `/{project}/_apis/git/repositories/{nameOrId}`: a renamed repository keeps its GUID. */
  async getRepository(
    project: string,
    nameOrId: string,
    limits: CallLimits = {},
  ): Promise<AzureDevOpsRepository> {
    const path = `/${enc(project)}/_apis/git/repositories/${enc(nameOrId)}`;
    const json = (await this.#call('GET', path, limits)) as Record<string, unknown> | undefined;
    const id = str(json?.id);
    const name = str(json?.name);
    if (!id || name === undefined) throw this.#badResponse(`GET ${path}`, 'a repository without id or name');
    const p = json?.project as Record<string, unknown> | undefined;
    const pid = str(p?.id);
    const pname = str(p?.name);
    return pid && pname !== undefined ? { id, name, project: { id: pid, name: pname } } : { id, name };
  }

  /** GET `/_apis/hooks/subscriptions`, filtered by Azure DevOps on the given fields. */
  async listSubscriptions(query: SubscriptionQuery = {}, limits: CallLimits = {}): Promise<Subscription[]> {
    const path = '/_apis/hooks/subscriptions';
    const filters: Record<string, string> = {};
    for (const [k, v] of Object.entries(query)) if (typeof v === 'string' && v !== '') filters[k] = v;
    const json = (await this.#call('GET', path, { ...limits, query: filters })) as
      Record<string, unknown> | undefined;
    if (!Array.isArray(json?.value)) throw this.#badResponse(`GET ${path}`, 'a list without "value"');
    return json.value.map((v) => this.#subscription(v, `GET ${path}`));
  }

  /** POST `/_apis/hooks/subscriptions` (not retried once it may have reached the server). */
  async createSubscription(input: SubscriptionInput, limits: CallLimits = {}): Promise<Subscription> {
    const path = '/_apis/hooks/subscriptions';
    const json = await this.#call('POST', path, { ...limits, body: input });
    return this.#subscription(json, `POST ${path}`);
  }

  /**
   * PUT `/_apis/hooks/subscriptions/{id}`: replaces the whole subscription. Azure DevOps masks the stored password
   * when it lists subscriptions, so the caller must send the real one again.
   */
  async replaceSubscription(
    id: string,
    input: SubscriptionInput,
    limits: CallLimits = {},
  ): Promise<Subscription> {
    const path = `/_apis/hooks/subscriptions/${enc(id)}`;
    const json = await this.#call('PUT', path, { ...limits, body: { id, ...input } });
    return this.#subscription(json, `PUT ${path}`);
  }

  /** DELETE `/_apis/hooks/subscriptions/{id}`. */
  async deleteSubscription(id: string, limits: CallLimits = {}): Promise<void> {
    await this.#call('DELETE', `/_apis/hooks/subscriptions/${enc(id)}`, limits);
  }

  /**
   * POST `[/{project}]/_apis/git/repositories/{repository}/commits/{commitId}/statuses`. With the repository's GUID
   * the project segment is left out (Azure DevOps finds the repository by its GUID alone, so a renamed Azure DevOps
   * project does not matter); with a repository name it is needed. Posting again with the same context supersedes
   * the earlier status, so this is retried like an idempotent call. Resolves with the attempts it took.
   */
  async postCommitStatus(
    target: { readonly project?: string; readonly repository: string; readonly commitId: string },
    status: CommitStatus,
    limits: CallLimits = {},
  ): Promise<{ readonly attempts: number; readonly status: number }> {
    const path =
      `${target.project === undefined ? '' : `/${enc(target.project)}`}/_apis/git/repositories/${enc(target.repository)}` +
      `/commits/${enc(target.commitId)}/statuses`;
    const result = await this.#request('POST', path, { ...limits, body: status }, true);
    return { attempts: result.attempts, status: result.status };
  }

  /** Replaces the PAT and its Basic encodings in `text` with `[redacted]`. */
  redact(text: string): string {
    return redact(text, this.#secrets);
  }

  async #call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, spec: RequestSpec): Promise<unknown> {
    return (await this.#request(method, path, spec, method !== 'POST')).json;
  }

  async #request(
    method: string,
    path: string,
    spec: RequestSpec,
    idempotent: boolean,
  ): Promise<{ json: unknown; status: number; attempts: number }> {
    const request = `${method} ${path}`;
    const { now, sleep, random } = this.#deps;
    const policy = this.#policy;
    const deadline = spec.deadline ?? Number.POSITIVE_INFINITY;
    const params = new URLSearchParams({ ...spec.query, 'api-version': this.apiVersion });
    const url = `${this.baseUrl}${path}?${params.toString()}`;
    const headers: Record<string, string> = {
      Authorization: this.#authorization,
      Accept: 'application/json',
      'X-TFS-FedAuthRedirect': 'Suppress',
    };
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    if (body !== undefined) headers['Content-Type'] = 'application/json';

    let last: AzureDevOpsError | undefined;
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      const timeoutMs = Math.min(policy.attemptTimeoutMs, deadline - now());
      if (timeoutMs <= 0) throw this.#outOfTime(last, request, attempt - 1);

      let retryable: boolean;
      let retryAfterMs: number | undefined;
      try {
        const res = await this.#deps.fetch(url, {
          method,
          headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await res.text();
        const outcome = this.#interpret(res, text, request, attempt);
        if (outcome.ok) return { json: outcome.json, status: res.status, attempts: attempt };
        last = outcome.error;
        retryable = isRetryableStatus(res.status) && (idempotent || res.status === 429);
        if (last.kind !== 'http') retryable = false;
        retryAfterMs = retryable ? parseRetryAfter(res.headers.get('retry-after'), now()) : undefined;
      } catch (e) {
        const err = e as Error & { cause?: { code?: unknown; message?: unknown } };
        const code = typeof err.cause?.code === 'string' ? err.cause.code : undefined;
        if (err.name === 'TimeoutError' || err.name === 'AbortError') {
          last = this.#error(
            'timeout',
            undefined,
            undefined,
            request,
            `no answer within ${ms(timeoutMs)}`,
            attempt,
          );
          retryable = idempotent;
        } else {
          const reason =
            code ?? (typeof err.cause?.message === 'string' ? err.cause.message : err.message) ?? 'unknown';
          last = this.#error('network', undefined, undefined, request, reason, attempt);
          retryable = idempotent || (code !== undefined && NOT_SENT.has(code));
        }
      }

      if (!retryable) throw last;
      if (attempt >= policy.maxAttempts) {
        throw this.#again(last, `${last.message}; gave up after ${attempt} attempts`, attempt);
      }
      let delay = backoffDelay(attempt, policy, random);
      if (retryAfterMs !== undefined) {
        if (retryAfterMs > policy.maxRetryAfterMs || now() + retryAfterMs >= deadline) {
          throw this.#again(
            last,
            `${last.message}; Retry-After ${Math.ceil(retryAfterMs / 1000)} s is longer than this call can wait`,
            attempt,
          );
        }
        delay = Math.max(delay, retryAfterMs);
      }
      if (now() + delay >= deadline) throw this.#outOfTime(last, request, attempt);
      await sleep(delay);
    }
    /* v8 ignore next -- the loop always returns or throws */
    throw last ?? this.#error('network', undefined, undefined, request, 'no attempt was made', 0);
  }

  #interpret(
    res: Response,
    text: string,
    request: string,
    attempt: number,
  ): { ok: true; json: unknown } | { ok: false; error: AzureDevOpsError } {
    const contentType = res.headers.get('content-type') ?? '';
    const isJson = /json/i.test(contentType);
    const status = res.status;
    // Azure DevOps answers a refused token with its sign-in page: a 203, a redirect, or HTML with a 200.
    if (status === 203 || (status >= 300 && status < 400) || (res.ok && text.trim() !== '' && !isJson)) {
      return {
        ok: false,
        error: this.#error(
          'refused-token',
          status,
          undefined,
          request,
          `answered ${status} with a sign-in page or redirect instead of JSON: the PAT was refused (is it valid, unexpired and made for this organization?)`,
          attempt,
        ),
      };
    }
    if (res.ok) {
      if (text.trim() === '') return { ok: true, json: undefined };
      try {
        return { ok: true, json: JSON.parse(text) as unknown };
      } catch {
        return {
          ok: false,
          error: this.#error(
            'bad-response',
            status,
            undefined,
            request,
            'answered with a body that is not JSON',
            attempt,
          ),
        };
      }
    }
    const { message, typeKey } = isJson ? errorBody(text) : { message: undefined, typeKey: undefined };
    if (status === 400 && isVersionRefusal(message, typeKey)) {
      const said = message ? ` (Azure DevOps said: "${this.redact(message)}")` : '';
      return {
        ok: false,
        error: this.#error(
          'api-version',
          status,
          message,
          request,
          `refused REST api-version ${this.apiVersion}${said}: set ${API_VERSION_SETTING} in berth.yaml to a version this server accepts (6.0 for Azure DevOps Server 2020, 7.0 for Server 2022; Azure DevOps Services accepts 7.0 and 7.1), then try again`,
          attempt,
          typeKey,
        ),
      };
    }
    return {
      ok: false,
      error: this.#error(
        'http',
        status,
        message,
        request,
        `answered ${status}${res.statusText ? ` ${res.statusText}` : ''}`,
        attempt,
        typeKey,
      ),
    };
  }

  #error(
    kind: AzureDevOpsErrorKind,
    status: number | undefined,
    serverMessage: string | undefined,
    request: string,
    detail: string,
    attempts: number,
    typeKey?: string,
  ): AzureDevOpsError {
    const said = serverMessage === undefined ? undefined : clip(oneLine(this.redact(serverMessage)));
    return new AzureDevOpsError(
      kind,
      status,
      said === '' ? undefined : said,
      this.redact(request),
      this.redact(oneLine(detail)),
      attempts,
      typeKey,
    );
  }

  #again(e: AzureDevOpsError, detail: string, attempts: number): AzureDevOpsError {
    return this.#error(e.kind, e.status, e.serverMessage, e.request, detail, attempts, e.typeKey);
  }

  #outOfTime(last: AzureDevOpsError | undefined, request: string, attempts: number): AzureDevOpsError {
    if (!last)
      return this.#error('timeout', undefined, undefined, request, 'out of time before the first attempt', 0);
    return this.#again(last, `${last.message}; out of time for another attempt`, attempts);
  }

  #badResponse(request: string, what: string): AzureDevOpsError {
    return this.#error('bad-response', undefined, undefined, request, `answered with ${what}`, 1);
  }

  #project(json: unknown, request: string): AzureDevOpsProject {
    const o = json as Record<string, unknown> | undefined;
    const id = str(o?.id);
    const name = str(o?.name);
    if (!id || name === undefined) throw this.#badResponse(request, 'a project without id or name');
    return { id, name };
  }

  #subscription(json: unknown, request: string): Subscription {
    const o = json as Record<string, unknown> | undefined;
    const id = str(o?.id);
    if (!id) throw this.#badResponse(request, 'a subscription without an id');
    const out: Record<string, unknown> = { id };
    for (const k of [
      'status',
      'publisherId',
      'eventType',
      'resourceVersion',
      'consumerId',
      'consumerActionId',
    ] as const) {
      const v = str(o?.[k]);
      if (v !== undefined) out[k] = v;
    }
    out.publisherInputs = strings(o?.publisherInputs);
    out.consumerInputs = strings(o?.consumerInputs);
    return out as unknown as Subscription;
  }
}

/** Azure DevOps error bodies: `{"$id":"1","innerException":null,"message":"...","typeName":"...","typeKey":"..."}`. */
function errorBody(text: string): { message?: string; typeKey?: string } {
  try {
    const body = JSON.parse(text) as {
      message?: unknown;
      typeKey?: unknown;
      typeName?: unknown;
      value?: { Message?: unknown };
    };
    const message =
      typeof body.message === 'string' && body.message.trim()
        ? body.message.trim()
        : typeof body.value?.Message === 'string'
          ? body.value.Message.trim()
          : undefined;
    const typeKey =
      typeof body.typeKey === 'string'
        ? body.typeKey
        : typeof body.typeName === 'string'
          ? body.typeName.split(',')[0].split('.').pop()
          : undefined;
    return { message, typeKey };
  } catch {
    return {};
  }
}

/** "The requested REST API version of 7.1 is out of range for this server..." (VssVersionOutOfRangeException). */
export function isVersionRefusal(message: string | undefined, typeKey: string | undefined): boolean {
  if (typeKey !== undefined && /VersionOutOfRange/i.test(typeKey)) return true;
  if (message === undefined) return false;
  return (
    /REST API version .*out of range/i.test(message) ||
    /api-version .*(out of range|not supported|is not supported|unsupported)/i.test(message)
  );
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof v !== 'object' || v === null) return out;
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function ms(value: number): string {
  return value >= 1000 && value % 1000 === 0 ? `${value / 1000} s` : `${value} ms`;
}

function clip(text: string): string {
  return text.length > SERVER_MESSAGE_MAX ? `${text.slice(0, SERVER_MESSAGE_MAX - 3)}...` : text;
}
