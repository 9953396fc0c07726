import { credentialsMatch, parseSecretValue, type BasicCredentials } from './auth';

/**
 * Keeps each project's webhook credentials briefly, so a warm function calls Secrets Manager about once a
 * minute per project, while a rotated password works at once:
 *
 * - a value is used for `ttlMs` (60 s) after it was fetched;
 * - when given credentials do not match a value older than `refreshAfterMs` (5 s), the value is fetched again
 *   once and compared again. Fetches per secret are at least `refreshAfterMs` apart on that path, so wrong
 *   credentials cannot force a Secrets Manager call per request;
 * - a failed or invalid fetch is remembered for `failureBackoffMs` (1 s) and answered from memory meanwhile.
 */

/** Reads a secret's string value; rejects on any Secrets Manager problem. */
export type SecretFetcher = (secretId: string, signal: AbortSignal) => Promise<string | undefined>;

export interface SecretCacheOptions {
  readonly ttlMs?: number;
  readonly refreshAfterMs?: number;
  readonly failureBackoffMs?: number;
  readonly now?: () => number;
}

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

interface Entry {
  readonly credentials: BasicCredentials;
  readonly fetchedAt: number;
}

export class SecretCache {
  readonly #fetch: SecretFetcher;
  readonly #ttlMs: number;
  readonly #refreshAfterMs: number;
  readonly #failureBackoffMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #lastAttempt = new Map<string, number>();
  readonly #failures = new Map<string, { readonly at: number; readonly error: Error }>();
  readonly #inFlight = new Map<string, Promise<Entry>>();

  constructor(fetch: SecretFetcher, options: SecretCacheOptions = {}) {
    this.#fetch = fetch;
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#refreshAfterMs = options.refreshAfterMs ?? 5_000;
    this.#failureBackoffMs = options.failureBackoffMs ?? 1_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * True when `given` matches the secret's credentials. Rejects with SecretUnavailableError or
   * SecretInvalidError when the secret cannot be used.
   */
  async verify(secretId: string, given: BasicCredentials, signal: AbortSignal): Promise<boolean> {
    const entry = await this.#current(secretId, signal);
    if (credentialsMatch(given, entry.credentials)) return true;
    // Maybe the password was just rotated: look again, at most once per refreshAfterMs per secret.
    const last = Math.max(this.#lastAttempt.get(secretId) ?? 0, entry.fetchedAt);
    if (this.#now() - last < this.#refreshAfterMs) return false;
    const fresh = await this.#load(secretId, signal);
    return credentialsMatch(given, fresh.credentials);
  }

  /** Forgets everything (tests, and nothing else). */
  clear(): void {
    this.#entries.clear();
    this.#lastAttempt.clear();
    this.#failures.clear();
  }

  async #current(secretId: string, signal: AbortSignal): Promise<Entry> {
    const entry = this.#entries.get(secretId);
    if (entry !== undefined && this.#now() - entry.fetchedAt < this.#ttlMs) return entry;
    return this.#load(secretId, signal);
  }

  #load(secretId: string, signal: AbortSignal): Promise<Entry> {
    const pending = this.#inFlight.get(secretId);
    if (pending) return pending;
    const failure = this.#failures.get(secretId);
    if (failure !== undefined && this.#now() - failure.at < this.#failureBackoffMs) {
      return Promise.reject(failure.error);
    }
    const promise = this.#fetchEntry(secretId, signal).finally(() => this.#inFlight.delete(secretId));
    this.#inFlight.set(secretId, promise);
    return promise;
  }

  async #fetchEntry(secretId: string, signal: AbortSignal): Promise<Entry> {
    const startedAt = this.#now();
    this.#lastAttempt.set(secretId, startedAt);
    let value: string | undefined;
    try {
      value = await this.#fetch(secretId, signal);
    } catch (cause) {
      throw this.#failed(secretId, new SecretUnavailableError(secretId, { cause }));
    }
    const credentials = parseSecretValue(value);
    if (credentials === undefined) throw this.#failed(secretId, new SecretInvalidError(secretId));
    const entry = { credentials, fetchedAt: startedAt };
    this.#entries.set(secretId, entry);
    this.#failures.delete(secretId);
    return entry;
  }

  #failed(secretId: string, error: Error): Error {
    this.#failures.set(secretId, { at: this.#now(), error });
    return error;
  }
}
