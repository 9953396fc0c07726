/** Classifying AWS SDK v3 errors without importing every service's exception classes. */

interface SdkErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** The error's name (`ScanNotFoundException`, `ValidationError`...), `UnknownError` when it has none. */
export function errorName(err: unknown): string {
  const e = err as SdkErrorShape | null | undefined;
  return typeof e?.name === 'string' && e.name !== '' ? e.name : 'UnknownError';
}

export function errorMessage(err: unknown): string {
  const e = err as SdkErrorShape | null | undefined;
  return typeof e?.message === 'string' ? e.message : String(err);
}

/** True for `err` named one of `names`. */
export function isError(err: unknown, ...names: string[]): boolean {
  return names.includes(errorName(err));
}

const TRANSIENT_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'InternalServiceError',
  'ServerException',
  'ServerError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * True when trying again later may help: throttling, a 5xx, a timeout or a network error. (The SDK has already
 * retried such errors a few times; the release functions keep polling past them until their deadline.)
 */
export function isTransient(err: unknown): boolean {
  const e = err as SdkErrorShape | null | undefined;
  if (e === null || e === undefined || typeof e !== 'object') return false;
  if (e.$retryable !== undefined && e.$retryable !== null && e.$retryable !== false) return true;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number' && (status === 429 || status >= 500)) return true;
  if (TRANSIENT_NAMES.has(errorName(err))) return true;
  return typeof e.code === 'string' && TRANSIENT_CODES.has(e.code);
}
