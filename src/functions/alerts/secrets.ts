/**
 * The channels' incoming-webhook URLs, each in its own secret `<prefix>/alerts/<channel>` as JSON `{"url": "..."}`
 * (`""` until `berth alerts set-webhook` stored one). Read through Powertools Parameters (a `SecretsProvider`, whose
 * cache keeps a value `maxAgeSeconds` across invocations; failures are not cached). An empty URL is read again on
 * the next alert rather than served from the cache, so a URL stored just now is used at once. No error message
 * ever quotes a value.
 */

/** The key of the URL inside the secret's JSON value. */
export const URL_JSON_KEY = 'url';

/** Thrown when a channel's secret is not `{"url": "..."}`; its message never holds the value. */
export class ChannelSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelSecretError';
  }
}

/** The URL in a secret's value; `''` while not set. Never echoes the value (JSON.parse's message would). */
export function parseChannelSecret(secretString: string | undefined): string {
  if (secretString === undefined) throw new ChannelSecretError('the secret has no string value');
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    throw new ChannelSecretError('the secret value is not JSON; expected {"url": "<incoming webhook URL>"}');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ChannelSecretError(
      'the secret value is not a JSON object; expected {"url": "<incoming webhook URL>"}',
    );
  }
  const url = (json as Record<string, unknown>)[URL_JSON_KEY];
  if (url === undefined || url === null) return '';
  if (typeof url !== 'string') throw new ChannelSecretError(`the secret's "${URL_JSON_KEY}" is not a string`);
  return url.trim();
}

/** What the handler needs: a channel's URL by its secret. */
export interface ChannelUrls {
  /** The URL, `''` when not set yet. Rejects with a {@link ChannelSecretError} or the read's own error. */
  url(secretId: string): Promise<string>;
}

/** The part of Powertools' `SecretsProvider` used here. */
export interface SecretsGetter {
  get(name: string, options?: { maxAge?: number; forceFetch?: boolean }): Promise<unknown>;
}

/** Reads URLs through `provider`, keeping each `maxAgeSeconds`; an empty one is fetched again next time. */
export function powertoolsChannelUrls(provider: SecretsGetter, maxAgeSeconds = 60): ChannelUrls {
  const emptyLastTime = new Set<string>();
  const read = async (secretId: string): Promise<string | undefined> => {
    try {
      const forceFetch = emptyLastTime.has(secretId);
      const value = await provider.get(secretId, {
        maxAge: maxAgeSeconds,
        ...(forceFetch ? { forceFetch } : {}),
      });
      return typeof value === 'string' ? value : undefined;
    } catch (error) {
      // Powertools wraps the SDK's error in a GetParameterError: surface the SDK's (name and message).
      const cause = (error as { cause?: unknown })?.cause;
      throw cause instanceof Error ? cause : error;
    }
  };
  return {
    async url(secretId) {
      const url = parseChannelSecret(await read(secretId));
      if (url === '') emptyLastTime.add(secretId);
      else emptyLastTime.delete(secretId);
      return url;
    },
  };
}
