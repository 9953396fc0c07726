import {
  backoffDelay,
  isRetryableStatus,
  parseRetryAfter,
  type HttpDeps,
  type RetryPolicy,
} from '../../shared/azure-devops';
import { describeError, oneLine, redact, truncate } from './text';

/**
 * One POST of a JSON body to an incoming-webhook URL, with bounded retries:
 * - each attempt (request and response) is aborted after `attemptTimeoutMs`, and never runs past `deadline`;
 * - network errors, timeouts, 408, 429 and 5xx are retried with exponential backoff (equal jitter), at most
 *   `maxAttempts` in all; a `Retry-After` (seconds or an HTTP date) is honoured up to `maxRetryAfterMs`, and a longer
 *   one, or a wait past the deadline, ends the retries;
 * - any other 4xx is final (the URL or the payload is wrong: a retry would not change it);
 * - a legacy Office 365 connector answers 200 with an error text instead of a status (e.g. "... HTTP error 429");
 *   its only success body is `1`.
 * The result never holds the URL: it is a secret (whoever has it can post), so every reason is redacted.
 */

export type { HttpDeps, RetryPolicy };

/** Chat webhooks answer within a second or two; three attempts of 5 s fit the function's 30 s timeout. */
export const DEFAULT_POST_POLICY: RetryPolicy = {
  maxAttempts: 3,
  attemptTimeoutMs: 5000,
  baseDelayMs: 500,
  maxDelayMs: 4000,
  maxRetryAfterMs: 10_000,
};

export type PostResult =
  | { readonly outcome: 'delivered'; readonly attempts: number; readonly status: number }
  | {
      readonly outcome: 'failed';
      readonly attempts: number;
      readonly reason: string;
      /** The last HTTP status, when there was an answer. */
      readonly status?: number;
    };

export interface PostOptions {
  readonly policy?: Partial<RetryPolicy>;
  /** Epoch ms after which no attempt starts and none runs on. @default no deadline */
  readonly deadline?: number;
  /** The URL is a legacy Office 365 connector (see above). */
  readonly legacyConnector?: boolean;
}

const MAX_BODY_CHARS = 300;

/** The URL and its parts that identify it: none of them may appear in a reason. */
function urlSecrets(url: string): string[] {
  try {
    const u = new URL(url);
    return [
      url,
      u.href,
      `${u.host}${u.pathname}`,
      u.pathname,
      u.search,
      ...u.searchParams.values(),
      // Each long path segment on its own (tokens, workflow ids), should an error quote only a part.
      ...u.pathname.split('/').filter((p) => p.length >= 12),
    ].filter((s) => s.length >= 8);
  } catch {
    return [url];
  }
}

type Attempt =
  | { kind: 'ok'; status: number }
  | { kind: 'retry'; reason: string; status?: number; retryAfterMs?: number }
  | { kind: 'final'; reason: string; status?: number };

export async function postJson(
  url: string,
  body: unknown,
  deps: HttpDeps,
  options: PostOptions = {},
): Promise<PostResult> {
  const policy: RetryPolicy = { ...DEFAULT_POST_POLICY, ...options.policy };
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  const secrets = urlSecrets(url);
  const safe = (text: string) => truncate(oneLine(redact(text, secrets)), 500);
  const payload = JSON.stringify(body);

  let attempts = 0;
  let last: Extract<Attempt, { kind: 'retry' }> | undefined;
  while (attempts < policy.maxAttempts) {
    const timeLeft = deadline - deps.now();
    if (timeLeft <= 0) break;
    attempts++;
    const result = await attempt(url, payload, deps, Math.min(policy.attemptTimeoutMs, timeLeft), options);
    if (result.kind === 'ok') return { outcome: 'delivered', attempts, status: result.status };
    if (result.kind === 'final') {
      return {
        outcome: 'failed',
        attempts,
        reason: safe(result.reason),
        ...(result.status !== undefined ? { status: result.status } : {}),
      };
    }
    last = result;
    if (attempts >= policy.maxAttempts) break;
    let wait = backoffDelay(attempts, policy, deps.random);
    if (result.retryAfterMs !== undefined) {
      if (result.retryAfterMs > policy.maxRetryAfterMs) {
        return failedAfter(
          attempts,
          `${result.reason}; Retry-After ${Math.ceil(result.retryAfterMs / 1000)} s is longer than this function waits`,
          result.status,
          safe,
        );
      }
      wait = Math.max(wait, result.retryAfterMs);
    }
    if (deps.now() + wait >= deadline) {
      return failedAfter(attempts, `${result.reason}; no time left for another attempt`, result.status, safe);
    }
    await deps.sleep(wait);
  }
  return failedAfter(
    attempts,
    last
      ? `${last.reason} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`
      : 'no time left for an attempt',
    last?.status,
    safe,
  );
}

function failedAfter(
  attempts: number,
  reason: string,
  status: number | undefined,
  safe: (t: string) => string,
): PostResult {
  return { outcome: 'failed', attempts, reason: safe(reason), ...(status !== undefined ? { status } : {}) };
}

async function attempt(
  url: string,
  payload: string,
  deps: HttpDeps,
  timeoutMs: number,
  options: PostOptions,
): Promise<Attempt> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(1, timeoutMs));
  try {
    let response: Response;
    try {
      response = await deps.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
        signal: controller.signal,
        redirect: 'error',
      });
    } catch (err) {
      return controller.signal.aborted
        ? { kind: 'retry', reason: `no answer within ${timeoutMs} ms` }
        : { kind: 'retry', reason: `network error: ${describeError(err)}` };
    }
    let text = '';
    try {
      text = await response.text();
    } catch (err) {
      if (controller.signal.aborted) return { kind: 'retry', reason: `no answer within ${timeoutMs} ms` };
      if (response.ok) text = '';
      else
        return {
          kind: 'retry',
          reason: `reading the answer failed: ${describeError(err)}`,
          status: response.status,
        };
    }
    const status = response.status;
    const answer = truncate(oneLine(text), MAX_BODY_CHARS);
    if (response.ok) {
      if (options.legacyConnector && answer !== '' && answer !== '1') {
        // Office 365 connectors report their errors in a 200's body.
        return /\b429\b/.test(answer)
          ? { kind: 'retry', reason: `throttled (HTTP 200 with "${answer}")`, status }
          : { kind: 'final', reason: `refused (HTTP 200 with "${answer}")`, status };
      }
      return { kind: 'ok', status };
    }
    const what = `HTTP ${status}${answer ? ` "${answer}"` : ''}`;
    if (isRetryableStatus(status) || status === 408) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), deps.now());
      return { kind: 'retry', reason: what, status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    }
    return { kind: 'final', reason: `refused: ${what}`, status };
  } finally {
    clearTimeout(timer);
  }
}
