import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { PAT_JSON_KEY, REPOSITORY_ID_JSON_KEY } from '../../contracts';

/**
 * The two secrets the commit-status reporter reads per project, through Powertools Parameters (a
 * `SecretsProvider`, whose cache keeps each value `maxAgeSeconds`, 300 s, across invocations; failures are not
 * cached): the pipeline's PAT (`{"pat": "<token>"}`, stored by `berth set-pat`) and the webhook secret, whose
 * `repositoryId` (stored by `berth connect`) names the repository by GUID. No error message ever quotes a value.
 */

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
  const pat = (json as Record<string, unknown>)[PAT_JSON_KEY];
  if (pat === undefined) return '';
  if (typeof pat !== 'string') throw new PatSecretError(`the secret's "${PAT_JSON_KEY}" is not a string`);
  return pat.trim();
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The repository GUID in a webhook secret's value (lower-case), or undefined when it has none; never throws. */
export function parseRepositoryId(secretString: string | undefined): string | undefined {
  if (secretString === undefined) return undefined;
  try {
    const json = JSON.parse(secretString) as Record<string, unknown> | null;
    const id = json?.[REPOSITORY_ID_JSON_KEY];
    return typeof id === 'string' && GUID.test(id) ? id.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

export interface ProjectSecrets {
  /** The project's PAT, `''` when not set yet. Rejects with a {@link PatSecretError} or the read's error. */
  pat(secretId: string): Promise<string>;
  /** The repository GUID `berth connect` stored in the webhook secret; undefined before it ran. Rejects when unreadable. */
  repositoryId(secretId: string): Promise<string | undefined>;
}

/** Reads both secrets through `provider`, keeping each value `maxAgeSeconds`. */
export function powertoolsSecrets(provider: SecretsProvider, maxAgeSeconds = 300): ProjectSecrets {
  const read = async (secretId: string): Promise<string | undefined> => {
    try {
      const value = await provider.get(secretId, { maxAge: maxAgeSeconds });
      return typeof value === 'string' ? value : undefined;
    } catch (error) {
      // Powertools wraps the SDK's error in a GetParameterError: surface the SDK's (name and message).
      const cause = (error as { cause?: unknown })?.cause;
      throw cause instanceof Error ? cause : error;
    }
  };
  return {
    pat: async (secretId) => parsePatSecret(await read(secretId)),
    repositoryId: async (secretId) => parseRepositoryId(await read(secretId)),
  };
}
