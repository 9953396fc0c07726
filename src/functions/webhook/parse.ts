/**
 * Pure parsing of what API Gateway hands the webhook: the `{service}` path parameter, the (maybe base64)
 * body with its size limit, and the Azure DevOps service-hook payload, reduced to the fields decisions need.
 */

/** Azure DevOps payloads can be up to 2 MB; anything larger is refused with 413. Counted on decoded bytes. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

export const PUSH_EVENT = 'git.push';
export const PR_MERGED_EVENT = 'git.pullrequest.merged';

const COMMIT_ID = /^[0-9a-fA-F]{40}$/;
/** At most this many field problems are named in a 400, so a huge broken body cannot make a huge answer. */
const MAX_PROBLEMS = 10;

/** The `{service}` path parameter, or the segment after `/webhook/` in the raw path; undefined if absent. */
export function serviceFromPath(
  pathParameters: Readonly<Record<string, string | undefined>> | undefined,
  rawPath: string | undefined,
): string | undefined {
  const fromParam = pathParameters?.service;
  if (typeof fromParam === 'string' && fromParam !== '') return fromParam;
  if (typeof rawPath !== 'string') return undefined;
  const m = /(?:^|\/)webhook\/([^/]+)\/?$/.exec(rawPath);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return undefined;
  }
}

export type BodyResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly tooLarge: true; readonly bytes: number }
  | { readonly ok: false; readonly tooLarge: false; readonly reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes the body (base64 when API Gateway says so) and enforces the size limit on the decoded bytes. */
export function decodeBody(body: string | undefined, isBase64Encoded: boolean | undefined): BodyResult {
  if (typeof body !== 'string' || body === '') {
    return { ok: false, tooLarge: false, reason: 'body is missing' };
  }
  if (!isBase64Encoded) {
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > MAX_BODY_BYTES) return { ok: false, tooLarge: true, bytes };
    return { ok: true, text: body };
  }
  // byteLength(.., 'base64') computes the decoded size without allocating it.
  const estimated = Buffer.byteLength(body, 'base64');
  if (estimated > MAX_BODY_BYTES) return { ok: false, tooLarge: true, bytes: estimated };
  const buf = Buffer.from(body, 'base64');
  if (buf.length > MAX_BODY_BYTES) return { ok: false, tooLarge: true, bytes: buf.length };
  try {
    return { ok: true, text: utf8.decode(buf) };
  } catch {
    return { ok: false, tooLarge: false, reason: 'body is not UTF-8 text' };
  }
}

export interface PayloadRepository {
  readonly id?: string;
  readonly name: string;
  readonly projectName: string;
}

export interface RefUpdate {
  /** Full ref name, e.g. `refs/heads/main`. */
  readonly name: string;
  /** The commit the ref now points at, lower-case 40 hex; 40 zeros when the ref was deleted. */
  readonly newObjectId: string;
}

/** The subscription id of the "Test" button's delivery in Project settings > Service hooks. */
export const TEST_SUBSCRIPTION_ID = '00000000-0000-0000-0000-000000000000';

export type WebhookEvent =
  | {
      readonly kind: 'push';
      readonly id?: string;
      readonly eventType: typeof PUSH_EVENT;
      readonly repository: PayloadRepository;
      readonly refUpdates: readonly RefUpdate[];
      /** `resource.pushId`: Azure DevOps numbers a repository's pushes in order. Absent or unreadable: undefined. */
      readonly pushId?: number;
    }
  | {
      /** The "Test" delivery: Microsoft's sample payload, sent with an all-zero subscription id. */
      readonly kind: 'test';
      readonly id?: string;
      readonly eventType?: string;
    }
  | { readonly kind: 'merged'; readonly id?: string; readonly eventType: typeof PR_MERGED_EVENT }
  | { readonly kind: 'other'; readonly id?: string; readonly eventType: string };

export type ParseResult =
  | { readonly ok: true; readonly event: WebhookEvent }
  | {
      readonly ok: false;
      readonly problems: readonly string[];
      readonly id?: string;
      readonly eventType?: string;
    };

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Walks known paths of an untrusted object, recording each missing or mistyped field by its path. */
class FieldReader {
  readonly problems: string[] = [];

  object(parent: Json | undefined, key: string, path: string): Json | undefined {
    const v = parent?.[key];
    if (isObject(v)) return v;
    if (parent !== undefined) this.problems.push(`${path} (an object)`);
    return undefined;
  }

  string(parent: Json | undefined, key: string, path: string): string | undefined {
    const v = parent?.[key];
    if (typeof v === 'string' && v !== '') return v;
    if (parent !== undefined) this.problems.push(`${path} (a non-empty string)`);
    return undefined;
  }

  /** A 40-hex commit id, lower-cased; all zeros is git's "no commit" (a deleted ref). */
  commit(parent: Json | undefined, key: string, path: string, zeroAllowed: boolean): string | undefined {
    const v = parent?.[key];
    if (typeof v === 'string' && COMMIT_ID.test(v) && (zeroAllowed || !/^0{40}$/.test(v)))
      return v.toLowerCase();
    if (parent !== undefined) this.problems.push(`${path} (a 40-hex commit id)`);
    return undefined;
  }

  repository(resource: Json | undefined): PayloadRepository | undefined {
    const repo = this.object(resource, 'repository', 'resource.repository');
    const name = this.string(repo, 'name', 'resource.repository.name');
    const project = this.object(repo, 'project', 'resource.repository.project');
    const projectName = this.string(project, 'name', 'resource.repository.project.name');
    let id: string | undefined;
    if (repo !== undefined && repo.id !== undefined) id = this.string(repo, 'id', 'resource.repository.id');
    if (name === undefined || projectName === undefined) return undefined;
    return id === undefined ? { name, projectName } : { id, name, projectName };
  }
}

/** `resource.pushId`, a non-negative integer (a numeric string is tolerated); anything else is ignored. */
function pushIdOf(resource: Json | undefined): number | undefined {
  const v = resource?.pushId;
  const n = typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Parses a service-hook payload. The "Test" delivery (all-zero `subscriptionId`) and unsupported event types need
 * nothing more (they are acknowledged, whatever else they hold); `git.pullrequest.merged` is acknowledged too (the
 * push of its merge commit is what releases); `git.push` needs the fields its decision reads, and every missing or
 * mistyped one is named.
 */
export function parseWebhookBody(text: string): ParseResult {
  let json: unknown;
  try {
    // A UTF-8 byte order mark is legal in HTTP bodies but not in JSON.
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return { ok: false, problems: ['body (JSON)'] };
  }
  if (!isObject(json)) return { ok: false, problems: ['body (a JSON object)'] };
  const r = new FieldReader();
  const id = typeof json.id === 'string' && json.id !== '' ? json.id : undefined;
  if (json.subscriptionId === TEST_SUBSCRIPTION_ID) {
    const eventType =
      typeof json.eventType === 'string' && json.eventType !== '' ? json.eventType : undefined;
    return { ok: true, event: { kind: 'test', id, ...(eventType === undefined ? {} : { eventType }) } };
  }
  const eventType = r.string(json, 'eventType', 'eventType');
  if (eventType === undefined) return fail(r, id, undefined);
  if (eventType === PR_MERGED_EVENT) return { ok: true, event: { kind: 'merged', id, eventType } };
  if (eventType !== PUSH_EVENT) return { ok: true, event: { kind: 'other', id, eventType } };

  const resource = r.object(json, 'resource', 'resource');
  const repository = r.repository(resource);
  const raw = resource?.refUpdates;
  const refUpdates: RefUpdate[] = [];
  if (resource !== undefined && (!Array.isArray(raw) || raw.length === 0)) {
    r.problems.push('resource.refUpdates (a non-empty array)');
  } else if (Array.isArray(raw)) {
    raw.forEach((item: unknown, i) => {
      const path = `resource.refUpdates[${i}]`;
      if (!isObject(item)) {
        r.problems.push(`${path} (an object)`);
        return;
      }
      const name = r.string(item, 'name', `${path}.name`);
      const newObjectId = r.commit(item, 'newObjectId', `${path}.newObjectId`, true);
      if (name !== undefined && newObjectId !== undefined) refUpdates.push({ name, newObjectId });
    });
  }
  if (r.problems.length > 0 || repository === undefined) return fail(r, id, eventType);
  const pushId = pushIdOf(resource);
  return {
    ok: true,
    event: {
      kind: 'push',
      id,
      eventType,
      repository,
      refUpdates,
      ...(pushId === undefined ? {} : { pushId }),
    },
  };
}

function fail(r: FieldReader, id: string | undefined, eventType: string | undefined): ParseResult {
  const problems =
    r.problems.length > MAX_PROBLEMS
      ? [...r.problems.slice(0, MAX_PROBLEMS), `and ${r.problems.length - MAX_PROBLEMS} more`]
      : r.problems;
  return {
    ok: false,
    problems,
    ...(id === undefined ? {} : { id }),
    ...(eventType === undefined ? {} : { eventType }),
  };
}
