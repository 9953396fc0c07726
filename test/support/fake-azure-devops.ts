import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * One fake Azure DevOps for every test that talks to it (`berth connect`, the commit-status reporter): real HTTP on
 * 127.0.0.1. It serves project and repository lookup, service hook subscriptions (list with filters, create,
 * replace, delete; the stored password masked on every read, as Azure DevOps does) and commit statuses, with
 * Basic PAT auth and Azure DevOps-shaped error bodies. It plays one of three servers, which differ in the REST
 * versions they accept:
 *
 * - `services` (Azure DevOps Services): up to 7.1;
 * - `server2022` (Azure DevOps Server 2022): up to 7.0, and 7.1 is refused with Azure DevOps' own 400;
 * - `server2020` (Azure DevOps Server 2020): up to 6.0.
 *
 * It records every request, and can be told to fail, answer HTML or hang on a route, or to answer the next requests
 * with scripted replies.
 */

export type AzureDevOpsFlavor = 'services' | 'server2022' | 'server2020';

/** The highest REST api-version each flavor accepts. */
export const MAX_API_VERSION: Readonly<Record<AzureDevOpsFlavor, string>> = {
  services: '7.1',
  server2022: '7.0',
  server2020: '6.0',
};

export interface RecordedRequest {
  readonly method: string;
  /** Path without the collection prefix, e.g. `/_apis/hooks/subscriptions`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: http.IncomingHttpHeaders;
  /** The body parsed as JSON (the raw text when it is not JSON; undefined when empty). */
  readonly body: unknown;
  readonly text: string;
}

export interface StoredSubscription {
  id: string;
  status: string;
  publisherId: string;
  eventType: string;
  resourceVersion: string;
  consumerId: string;
  consumerActionId: string;
  publisherInputs: Record<string, string>;
  consumerInputs: Record<string, string>;
  createdDate: string;
  modifiedDate: string;
}

export interface PostedStatus {
  /** The project segment, when the request had one. */
  readonly project?: string;
  /** The repository segment as requested (GUID or name). */
  readonly repository: string;
  /** The GUID of the repository it resolved to. */
  readonly repositoryId: string;
  readonly commitId: string;
  readonly body: Record<string, unknown>;
}

/** A scripted answer: a status with headers and body, or no answer at all (`hang`). */
export type FakeReply =
  { readonly status: number; readonly headers?: Record<string, string>; readonly body?: string } | 'hang';

interface Fault {
  readonly method?: string;
  readonly path: RegExp;
  readonly reply: FakeReply;
}

export interface FakeAzureDevOpsOptions {
  /** The collection path segment: the organization for Azure DevOps Services. */
  readonly collection: string;
  readonly pat: string;
  /** @default 'services' */
  readonly flavor?: AzureDevOpsFlavor;
  /** Project name -> GUID. */
  readonly projects?: Record<string, string>;
  readonly repositories?: readonly { project: string; name: string; id: string }[];
}

export const MASK = '********';

export class FakeAzureDevOps {
  readonly requests: RecordedRequest[] = [];
  readonly subscriptions = new Map<string, StoredSubscription>();
  readonly statuses: PostedStatus[] = [];
  flavor: AzureDevOpsFlavor;
  private readonly faults: Fault[] = [];
  private readonly scripted: FakeReply[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: http.Server,
    private readonly opts: FakeAzureDevOpsOptions,
  ) {
    this.flavor = opts.flavor ?? 'services';
  }

  static async start(opts: FakeAzureDevOpsOptions): Promise<FakeAzureDevOps> {
    const server = http.createServer();
    const fake = new FakeAzureDevOps(server, opts);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => void fake.handle(req, res));
    server.on('connection', (s: Socket) => {
      fake.sockets.add(s);
      s.on('close', () => fake.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** `http://127.0.0.1:<port>`. */
  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** `http://127.0.0.1:<port>/<collection>`: a base URL that reaches this server directly. */
  get baseUrl(): string {
    return `${this.origin}/${this.opts.collection}`;
  }

  /** A fetch that sends every request for `publicOrigin` (a config's https origin) to this server. */
  fetchFor(publicOrigin: string): typeof fetch {
    const origin = this.origin;
    return (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (!url.startsWith(publicOrigin)) throw new Error(`test fetch: unexpected URL ${url}`);
      return fetch(origin + url.slice(publicOrigin.length), init);
    };
  }

  /** Requests matching `method` and `path` answer `status` with an Azure DevOps error body, from now on. */
  fail(
    method: string | undefined,
    path: RegExp,
    status: number,
    message?: string,
    headers: Record<string, string> = {},
  ): void {
    const body =
      message === undefined
        ? undefined
        : JSON.stringify({
            $id: '1',
            innerException: null,
            message,
            typeName: 'Microsoft.VisualStudio.Services.ServiceHooks.WebApi.SubscriptionInputException',
            typeKey: 'SubscriptionInputException',
            errorCode: 0,
            eventId: 3000,
          });
    this.faults.push({
      method,
      path,
      reply: {
        status,
        headers: body ? { 'Content-Type': 'application/json; charset=utf-8', ...headers } : headers,
        body,
      },
    });
  }

  /** Requests matching `path` answer `status` with an HTML page (Azure DevOps' sign-in page). */
  answerHtml(path: RegExp, status: number): void {
    this.faults.push({
      path,
      reply: { status, headers: { 'Content-Type': 'text/html' }, body: '<html><body>Sign in</body></html>' },
    });
  }

  /** Requests matching `path` never get an answer. */
  hang(path: RegExp): void {
    this.faults.push({ path, reply: 'hang' });
  }

  /** The next requests, whatever they ask, get these replies in order (before any check); then normal service. */
  reply(...replies: FakeReply[]): this {
    this.scripted.push(...replies);
    return this;
  }

  /** Forgets recorded requests, statuses, scripted replies and faults (not subscriptions). */
  reset(): void {
    this.requests.length = 0;
    this.statuses.length = 0;
    this.scripted.length = 0;
    this.faults.length = 0;
  }

  /** Adds a subscription as if made earlier (by the UI, another tool or a previous run). */
  seed(
    sub: Partial<StoredSubscription> & Pick<StoredSubscription, 'consumerInputs' | 'publisherInputs'>,
  ): StoredSubscription {
    const now = new Date().toISOString();
    const stored: StoredSubscription = {
      id: randomUUID(),
      status: 'enabled',
      publisherId: 'tfs',
      eventType: 'git.push',
      resourceVersion: '1.0',
      consumerId: 'webHooks',
      consumerActionId: 'httpRequest',
      createdDate: now,
      modifiedDate: now,
      ...sub,
    };
    this.subscriptions.set(stored.id, stored);
    return stored;
  }

  /** Requests that changed something. */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const text = await readBody(req);
    const prefix = `/${this.opts.collection}`;
    const path = url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length) : url.pathname;
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const method = req.method ?? 'GET';
    this.requests.push({
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      text,
    });

    const scripted = this.scripted.shift();
    const fault =
      scripted ?? this.faults.find((f) => (!f.method || f.method === method) && f.path.test(path))?.reply;
    if (fault === 'hang') return; // the socket stays open until close()
    if (fault) {
      res.writeHead(fault.status, fault.headers ?? {});
      res.end(fault.body ?? '');
      return;
    }
    if (!url.pathname.startsWith(`${prefix}/`))
      return this.error(res, 404, `No collection at ${url.pathname}.`);
    const expected = `Basic ${Buffer.from(`:${this.opts.pat}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'Content-Type': 'text/html' });
      res.end('<html>Access denied</html>');
      return;
    }
    const version = url.searchParams.get('api-version');
    if (!version) return this.error(res, 400, 'The api-version query parameter is required.');
    const max = MAX_API_VERSION[this.flavor];
    if (versionNumber(version) > versionNumber(max)) {
      return json(res, 400, {
        $id: '1',
        innerException: null,
        message: `The requested REST API version of ${version.replace(/-preview.*$/, '')} is out of range for this server. The latest REST API version this server supports is ${max}.`,
        typeName:
          'Microsoft.VisualStudio.Services.WebApi.VssVersionOutOfRangeException, Microsoft.VisualStudio.Services.WebApi',
        typeKey: 'VssVersionOutOfRangeException',
        errorCode: 0,
        eventId: 3000,
      });
    }
    this.route(method, path, url.searchParams, body, res);
  }

  private findRepository(project: string, key: string) {
    return (this.opts.repositories ?? []).find(
      (r) =>
        r.project.toLowerCase() === project.toLowerCase() &&
        (r.name.toLowerCase() === key.toLowerCase() || r.id.toLowerCase() === key.toLowerCase()),
    );
  }

  private route(
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
    res: http.ServerResponse,
  ): void {
    const projects = this.opts.projects ?? {};
    let m: RegExpExecArray | null;
    if (method === 'GET' && (m = /^\/_apis\/projects\/([^/]+)$/.exec(path))) {
      const name = decodeURIComponent(m[1]);
      const id = projects[name];
      if (!id) return this.error(res, 404, `TF200016: The following project does not exist: ${name}.`);
      return json(res, 200, { id, name, state: 'wellFormed', visibility: 'private' });
    }
    if (method === 'GET' && (m = /^\/([^/]+)\/_apis\/git\/repositories\/([^/]+)$/.exec(path))) {
      const project = decodeURIComponent(m[1]);
      const key = decodeURIComponent(m[2]);
      const projectId = projects[project];
      const repo = this.findRepository(project, key);
      if (!projectId || !repo) {
        return this.error(
          res,
          404,
          `TF401019: The Git repository with name or identifier ${key} does not exist or you do not have permissions for the operation you are attempting.`,
        );
      }
      return json(res, 200, { id: repo.id, name: repo.name, project: { id: projectId, name: project } });
    }
    if (
      method === 'POST' &&
      (m = /^(?:\/([^/]+))?\/_apis\/git\/repositories\/([^/]+)\/commits\/([^/]+)\/statuses$/.exec(path))
    ) {
      // Without a project segment, only a repository GUID identifies the repository.
      const project = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
      const key = decodeURIComponent(m[2]);
      const repo =
        project === undefined
          ? (this.opts.repositories ?? []).find((r) => r.id.toLowerCase() === key.toLowerCase())
          : this.findRepository(project, key);
      if (!repo) {
        return this.error(
          res,
          404,
          `TF401019: The Git repository with name or identifier ${key} does not exist or you do not have permissions for the operation you are attempting.`,
        );
      }
      const b = (body ?? {}) as Record<string, unknown>;
      this.statuses.push({
        ...(project === undefined ? {} : { project }),
        repository: key,
        repositoryId: repo.id,
        commitId: decodeURIComponent(m[3]),
        body: b,
      });
      return json(res, 201, { id: this.statuses.length, ...b });
    }
    if (path === '/_apis/hooks/subscriptions' && method === 'GET') {
      const filters = ['publisherId', 'eventType', 'consumerId', 'consumerActionId'] as const;
      const value = [...this.subscriptions.values()]
        .filter((s) => filters.every((f) => !query.get(f) || query.get(f) === s[f]))
        .map(masked);
      return json(res, 200, { count: value.length, value });
    }
    if (path === '/_apis/hooks/subscriptions' && method === 'POST') {
      const problem = invalid(body);
      if (problem) return this.error(res, 400, problem);
      const sub = this.seed(fromBody(body as Partial<StoredSubscription>));
      return json(res, 200, masked(sub));
    }
    if ((m = /^\/_apis\/hooks\/subscriptions\/([^/]+)$/.exec(path))) {
      const id = decodeURIComponent(m[1]);
      const existing = this.subscriptions.get(id);
      if (!existing) return this.error(res, 404, `Subscription ${id} was not found.`);
      if (method === 'GET') return json(res, 200, masked(existing));
      if (method === 'DELETE') {
        this.subscriptions.delete(id);
        res.writeHead(204);
        res.end();
        return;
      }
      if (method === 'PUT') {
        const problem = invalid(body);
        if (problem) return this.error(res, 400, problem);
        const b = body as Partial<StoredSubscription>;
        const updated: StoredSubscription = {
          ...existing,
          ...fromBody(b),
          id: existing.id,
          status: b.status ?? existing.status,
          createdDate: existing.createdDate,
          modifiedDate: new Date().toISOString(),
        };
        this.subscriptions.set(existing.id, updated);
        return json(res, 200, masked(updated));
      }
    }
    this.error(res, 404, `No route for ${method} ${path}.`);
  }

  private error(res: http.ServerResponse, status: number, message: string): void {
    json(res, status, {
      $id: '1',
      innerException: null,
      message,
      typeName: 'Microsoft.TeamFoundation.Core.WebApi.ProjectDoesNotExistWithNameException',
      typeKey: 'ProjectDoesNotExistWithNameException',
      errorCode: 0,
      eventId: 3000,
    });
  }
}

/** `7.1-preview.1` -> 7.1. */
function versionNumber(v: string): number {
  const n = Number.parseFloat(v);
  return Number.isFinite(n) ? n : Number.POSITIVE_INFINITY;
}

function fromBody(
  b: Partial<StoredSubscription>,
): Omit<StoredSubscription, 'id' | 'status' | 'createdDate' | 'modifiedDate'> {
  return {
    publisherId: b.publisherId!,
    eventType: b.eventType!,
    resourceVersion: b.resourceVersion!,
    consumerId: b.consumerId!,
    consumerActionId: b.consumerActionId!,
    publisherInputs: { ...b.publisherInputs },
    consumerInputs: { ...b.consumerInputs },
  };
}

/** What real Azure DevOps refuses with a 400, roughly. */
function invalid(body: unknown): string | undefined {
  const b = body as Partial<StoredSubscription> | undefined;
  if (!b || typeof b !== 'object') return 'The request body is missing.';
  for (const f of ['publisherId', 'eventType', 'consumerId', 'consumerActionId'] as const) {
    if (typeof b[f] !== 'string') return `Value cannot be null. Parameter name: ${f}`;
  }
  if (!b.publisherInputs?.projectId) return 'The publisher input projectId is required.';
  if (!b.consumerInputs?.url) return "The consumer input 'url' is required.";
  return undefined;
}

function masked(s: StoredSubscription): StoredSubscription {
  const consumerInputs = { ...s.consumerInputs };
  if (consumerInputs.basicAuthPassword) consumerInputs.basicAuthPassword = MASK;
  return { ...s, consumerInputs, publisherInputs: { ...s.publisherInputs, tfsSubscriptionId: s.id } };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
