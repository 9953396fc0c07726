import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Thrown when a PAT secret cannot be read or is not `{"pat": "<token>"}`. Its message never holds the value. */
export class PatSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatSecretError';
  }
}

/**
 * Reads the PAT out of a secret's value, JSON `{"pat": "<token>"}`. Returns `''` while the operator has not
 * set it yet. Never echoes the value in an error (JSON.parse's own message would quote it).
 */
export function parsePatSecret(secretString: string | undefined): string {
  if (secretString === undefined) throw new PatSecretError('the secret has no string value');
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    throw new PatSecretError('the secret value is not JSON; expected {"pat": "<token>"}');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new PatSecretError('the secret value is not a JSON object; expected {"pat": "<token>"}');
  }
  const pat = (json as Record<string, unknown>).pat;
  if (pat === undefined) return '';
  if (typeof pat !== 'string') throw new PatSecretError('the secret\'s "pat" is not a string');
  return pat.trim();
}

export interface PatProvider {
  /** The project's PAT, `''` when not set yet. Rejects with a {@link PatSecretError} or the SDK's error. */
  get(secretId: string): Promise<string>;
}

export interface PatProviderOptions {
  /** How long a value is reused across invocations. @default 5 minutes */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/** Reads PAT secrets, caching each value (not failures) for `ttlMs` across invocations. */
export function createPatProvider(
  client: SecretsManagerClient,
  options: PatProviderOptions = {},
): PatProvider {
  const ttlMs = options.ttlMs ?? 5 * 60 * 1000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { readonly value: Promise<string>; readonly expires: number }>();
  return {
    get(secretId) {
      const hit = cache.get(secretId);
      if (hit && hit.expires > now()) return hit.value;
      const value = client
        .send(new GetSecretValueCommand({ SecretId: secretId }))
        .then((out) => parsePatSecret(out.SecretString));
      cache.set(secretId, { value, expires: now() + ttlMs });
      value.catch(() => {
        if (cache.get(secretId)?.value === value) cache.delete(secretId);
      });
      return value;
    },
  };
}
