import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { credentialsMatch, parseSecretValue, type BasicCredentials, type StoredCredentials } from './auth';

/**
 * Each project's webhook credentials, read through Powertools Parameters (a `SecretsProvider`, whose cache keeps a
 * value for `maxAgeSeconds`, 60 s), so a warm function calls Secrets Manager about once a minute per project, while
 * a rotated password works at once:
 *
 * - given credentials are compared with the cached value;
 * - when they do not match, the value is fetched again (`forceFetch`) and compared again, but at most once per
 *   `refreshAfterMs` (5 s) per secret: wrong credentials cannot force a Secrets Manager call per request.
 *
 * Failures are not cached (Powertools caches values only): during a Secrets Manager outage each request tries once.
 */

/** Secrets Manager could not be read (throttled, denied, missing, slow): retryable, 503. */
export class SecretUnavailableError extends Error {
  constructor(
    readonly secretId: string,
    options: { cause: unknown },
  ) {
    super(`could not read secret ${secretId}`, options);
    this.name = 'SecretUnavailableError';
  }
}

/** The secret's value is not JSON with non-empty string `username` and `password` (the value is never quoted). */
export class SecretInvalidError extends Error {
  constructor(readonly secretId: string) {
    super(`secret ${secretId} is not JSON with non-empty string "username" and "password"`);
    this.name = 'SecretInvalidError';
  }
}

export interface CredentialsOptions {
  /** How long Powertools keeps a value, s. @default 60 */
  readonly maxAgeSeconds?: number;
  /** Forced refetches of one secret on a mismatch are at least this far apart, ms. @default 5000 */
  readonly refreshAfterMs?: number;
  readonly now?: () => number;
}

export type Verification = { readonly ok: true; readonly stored: StoredCredentials } | { readonly ok: false };

export class WebhookCredentials {
  readonly #provider: SecretsProvider;
  readonly #maxAge: number;
  readonly #refreshAfterMs: number;
  readonly #now: () => number;
  readonly #lastForced = new Map<string, number>();
  /** The last raw value seen per secret and its parse, so an unchanged value is not parsed per request. */
  readonly #parsed = new Map<string, { readonly raw: string; readonly value: StoredCredentials }>();

  constructor(provider: SecretsProvider, options: CredentialsOptions = {}) {
    this.#provider = provider;
    this.#maxAge = options.maxAgeSeconds ?? 60;
    this.#refreshAfterMs = options.refreshAfterMs ?? 5_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Whether `given` matches the secret's credentials (and, when it does, the stored value with its repository id).
   * Rejects with SecretUnavailableError or SecretInvalidError when the secret cannot be used, or with the signal's
   * reason when the request's deadline passes first.
   */
  async verify(secretId: string, given: BasicCredentials, signal: AbortSignal): Promise<Verification> {
    const stored = await this.#read(secretId, false, signal);
    if (credentialsMatch(given, stored)) return { ok: true, stored };
    // Maybe the password was just rotated: look again, at most once per refreshAfterMs per secret.
    const now = this.#now();
    const last = this.#lastForced.get(secretId);
    if (last !== undefined && now - last < this.#refreshAfterMs) return { ok: false };
    this.#lastForced.set(secretId, now);
    const fresh = await this.#read(secretId, true, signal);
    return credentialsMatch(given, fresh) ? { ok: true, stored: fresh } : { ok: false };
  }

  async #read(secretId: string, forceFetch: boolean, signal: AbortSignal): Promise<StoredCredentials> {
    let raw: unknown;
    try {
      raw = await abortable(this.#provider.get(secretId, { maxAge: this.#maxAge, forceFetch }), signal);
    } catch (error) {
      if (signal.aborted && error === signal.reason) {
        throw new SecretUnavailableError(secretId, { cause: error });
      }
      // Powertools wraps the SDK's error in a GetParameterError; keep the SDK's as the cause.
      const cause = (error as { name?: unknown; cause?: unknown })?.cause ?? error;
      throw new SecretUnavailableError(secretId, { cause });
    }
    if (typeof raw !== 'string') throw new SecretInvalidError(secretId);
    const seen = this.#parsed.get(secretId);
    if (seen !== undefined && seen.raw === raw) return seen.value;
    const value = parseSecretValue(raw);
    if (value === undefined) throw new SecretInvalidError(secretId);
    this.#parsed.set(secretId, { raw, value });
    return value;
  }
}

/** Settles with `promise`, or rejects with the signal's reason when it aborts first. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => undefined);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e as Error);
      },
    );
  });
}
