import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { REPOSITORY_ID_JSON_KEY } from '../../contracts';

/**
 * HTTP Basic authentication for Azure DevOps service hooks (they can send no signature, only basic auth or a
 * header): parsing the header, parsing the stored secret, and a constant-time comparison.
 */

export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

/** The realm in `WWW-Authenticate` on every 401. */
export const AUTH_REALM = 'berth';

const BASIC = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i;

/** Case-insensitive header lookup (HTTP API lower-cases names, but tests and other callers may not). */
export function headerValue(
  headers: Readonly<Record<string, string | undefined>> | undefined,
  name: string,
): string | undefined {
  if (!headers) return undefined;
  const direct = headers[name];
  if (typeof direct === 'string') return direct;
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === wanted && typeof v === 'string') return v;
  }
  return undefined;
}

/** The credentials of an `Authorization: Basic base64(user:password)` header; undefined when absent or malformed. */
export function parseBasicAuth(header: string | undefined): BasicCredentials | undefined {
  if (typeof header !== 'string') return undefined;
  const m = BASIC.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The webhook secret's value: the Basic credentials, and the repository GUID once `berth connect` stored it. */
export interface StoredCredentials extends BasicCredentials {
  /** Lower-case GUID, from the secret's `repositoryId` (ignored unless it is a GUID). */
  readonly repositoryId?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The stored secret's value, JSON `{"username": "...", "password": "...", "repositoryId"?: "<guid>"}` with
 * non-empty strings; undefined otherwise. Never reports why in words that could quote the value.
 */
export function parseSecretValue(value: string | undefined): StoredCredentials | undefined {
  if (typeof value !== 'string') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { username, password, [REPOSITORY_ID_JSON_KEY]: repositoryId } = json as Record<string, unknown>;
  if (typeof username !== 'string' || typeof password !== 'string' || username === '' || password === '') {
    return undefined;
  }
  return typeof repositoryId === 'string' && GUID.test(repositoryId)
    ? { username, password, repositoryId: repositoryId.toLowerCase() }
    : { username, password };
}

/** Equality whose time depends neither on where the strings differ nor on the attacker-chosen length. */
function constantTimeEqual(given: string, expected: string): boolean {
  // Hashing first gives equal-length inputs to timingSafeEqual whatever the lengths are.
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** True when both user name and password match; both are always compared (no early exit). */
export function credentialsMatch(given: BasicCredentials, expected: BasicCredentials): boolean {
  const user = constantTimeEqual(given.username, expected.username);
  const pass = constantTimeEqual(given.password, expected.password);
  return user && pass;
}

/**
 * Credentials no caller can know (random per cold start). A request for a project that does not exist is compared
 * against them, so that it does the same work and gets the same 401 as wrong credentials for one that does.
 */
export const UNKNOWN_PROJECT_CREDENTIALS: BasicCredentials = {
  username: 'berth-no-such-project',
  password: randomBytes(24).toString('base64'),
};
