import type { PipelineExecutionState } from './event';
import type { FailedAction } from './execution';
import { describeError, oneLine, redact, truncate } from './text';

/** Azure DevOps Git status states this function posts (`notSet` is never used). */
export type CommitStatusState = 'pending' | 'succeeded' | 'failed' | 'error' | 'notApplicable';

/** The `context.genre` of every status Berth posts; `context.name` is the project. */
export const COMMIT_STATUS_GENRE = 'berth';
export const COMMIT_STATUS_API_VERSION = '7.1';
/** Azure DevOps keeps at most this many characters of a status description. */
export const DESCRIPTION_MAX_LENGTH = 256;

export interface CommitStatusBody {
  readonly state: CommitStatusState;
  readonly description: string;
  readonly targetUrl: string;
  readonly context: { readonly name: string; readonly genre: string };
}

/**
 * The status for an execution state, or `undefined` when the state posts none (STOPPING: the STOPPED
 * that follows does). `failedAction` only matters for FAILED.
 */
export function commitStatusFor(
  state: PipelineExecutionState,
  pipeline: string,
  failedAction?: FailedAction,
): { state: CommitStatusState; description: string } | undefined {
  const d = (state: CommitStatusState, text: string) => ({
    state,
    description: truncate(oneLine(text), DESCRIPTION_MAX_LENGTH),
  });
  switch (state) {
    case 'STARTED':
      return d('pending', `Pipeline ${pipeline} is building and deploying this commit`);
    case 'RESUMED':
      return d('pending', `Pipeline ${pipeline} resumed`);
    case 'SUCCEEDED':
      return d('succeeded', `Pipeline ${pipeline} built and deployed this commit`);
    case 'FAILED': {
      if (!failedAction) return d('failed', `Pipeline ${pipeline} failed`);
      const where = `Pipeline ${pipeline} failed at stage ${failedAction.stage} (action ${failedAction.action})`;
      return d('failed', failedAction.summary ? `${where}: ${failedAction.summary}` : where);
    }
    case 'STOPPED':
      return d('error', `Pipeline ${pipeline} was stopped`);
    case 'CANCELED':
      return d('error', `Pipeline ${pipeline} execution was canceled (stopped)`);
    case 'SUPERSEDED':
      return d('notApplicable', `Pipeline ${pipeline}: superseded by a newer execution`);
    case 'STOPPING':
      return undefined;
  }
}

export function commitStatusBody(
  status: { state: CommitStatusState; description: string },
  targetUrl: string,
  project: string,
): CommitStatusBody {
  return {
    state: status.state,
    description: status.description,
    targetUrl,
    context: { name: project, genre: COMMIT_STATUS_GENRE },
  };
}

/** `POST {baseUrl}/{project}/_apis/git/repositories/{repository}/commits/{commit}/statuses?api-version=7.1` */
export function commitStatusUrl(
  baseUrl: string,
  repository: { readonly project: string; readonly name: string },
  commitId: string,
): string {
  const enc = encodeURIComponent;
  return (
    `${baseUrl.replace(/\/+$/, '')}/${enc(repository.project)}/_apis/git/repositories/${enc(repository.name)}` +
    `/commits/${enc(commitId)}/statuses?api-version=${COMMIT_STATUS_API_VERSION}`
  );
}

/** `Basic base64(":" + pat)`: any user name works with a PAT; the empty one is conventional. */
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
  attemptTimeoutMs: 3000,
  baseDelayMs: 500,
  maxDelayMs: 4000,
  maxRetryAfterMs: 5000,
};

export interface HttpDeps {
  readonly fetch: typeof fetch;
  readonly sleep: (ms: number) => Promise<void>;
  /** In [0, 1): jitter. */
  readonly random: () => number;
  readonly now: () => number;
}

export type PostOutcome =
  | { readonly ok: true; readonly attempts: number; readonly httpStatus: number }
  | { readonly ok: false; readonly attempts: number; readonly httpStatus?: number; readonly reason: string };

/** Backoff before the retry that follows attempt `attempt` (1-based): exponential with equal jitter. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * Math.min(Math.max(random(), 0), 1));
}

/** Retry-After in ms: delta-seconds or an HTTP date; `undefined` when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** 429 and 5xx may pass; any other answer will not change on a retry. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

const SNIPPET_LENGTH = 300;

export interface CommitStatusRequest {
  readonly url: string;
  readonly pat: string;
  readonly body: CommitStatusBody;
}

/**
 * Posts a commit status with bounded retries: network errors, timeouts, 429 and 5xx are retried with
 * backoff (up to `maxAttempts`, never past `deadline`); other answers are final. Never throws. The
 * reason it returns is safe to log: the PAT and the Authorization header are redacted from it.
 */
export async function postCommitStatus(
  request: CommitStatusRequest,
  deps: HttpDeps,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  deadline = Number.POSITIVE_INFINITY,
): Promise<PostOutcome> {
  const authorization = basicAuthorization(request.pat);
  const secrets = [request.pat, authorization, authorization.slice('Basic '.length)];
  const body = JSON.stringify(request.body);
  let lastReason = 'no attempt was made';
  let lastStatus: number | undefined;
  const fail = (attempts: number, reason: string): PostOutcome => ({
    ok: false,
    attempts,
    reason: redact(reason, secrets),
    ...(lastStatus !== undefined ? { httpStatus: lastStatus } : {}),
  });

  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    const timeoutMs = Math.min(policy.attemptTimeoutMs, deadline - deps.now());
    if (timeoutMs <= 0) return fail(attempt - 1, `${lastReason}; out of time for another attempt`);

    let retryable: boolean;
    let retryAfterMs: number | undefined;
    try {
      const res = await deps.fetch(request.url, {
        method: 'POST',
        headers: {
          Authorization: authorization,
          'Content-Type': 'application/json',
          Accept: 'application/json',
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      lastStatus = res.status;
      // 203 is Azure DevOps' sign-in page for a bad PAT; a redirect is one too.
      if (res.status >= 200 && res.status < 300 && res.status !== 203) {
        return { ok: true, attempts: attempt, httpStatus: res.status };
      }
      const snippet = truncate(oneLine(text), SNIPPET_LENGTH);
      const hint =
        res.status === 203 || (res.status >= 300 && res.status < 400)
          ? ' (a sign-in page or redirect: is the PAT valid?)'
          : res.status === 401 || res.status === 403
            ? ' (check the PAT and its Code (status) scope)'
            : '';
      lastReason = `HTTP ${res.status}${hint}${snippet ? `: ${snippet}` : ''}`;
      retryable = isRetryableStatus(res.status);
      retryAfterMs = retryable ? parseRetryAfter(res.headers.get('retry-after'), deps.now()) : undefined;
    } catch (err) {
      const name = err instanceof Error ? err.name : '';
      lastReason =
        name === 'TimeoutError' || name === 'AbortError'
          ? `no answer within ${timeoutMs} ms`
          : `network error: ${describeError(err)}`;
      retryable = true;
    }

    if (!retryable) return fail(attempt, lastReason);
    if (attempt >= policy.maxAttempts) {
      return fail(attempt, `${lastReason}; gave up after ${attempt} attempts`);
    }
    let delay = backoffDelay(attempt, policy, deps.random);
    if (retryAfterMs !== undefined) {
      if (retryAfterMs > policy.maxRetryAfterMs) {
        return fail(
          attempt,
          `${lastReason}; Retry-After ${Math.ceil(retryAfterMs / 1000)} s is too long to wait`,
        );
      }
      delay = Math.max(delay, retryAfterMs);
    }
    if (deps.now() + delay >= deadline) {
      return fail(attempt, `${lastReason}; out of time for another attempt`);
    }
    await deps.sleep(delay);
  }
  return fail(policy.maxAttempts, lastReason);
}
