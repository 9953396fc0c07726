import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Azure DevOps (Services or Server) on 127.0.0.1 for the CLI tests: project and repository lookup and
 * service hook subscriptions (list, create, replace), with Basic PAT auth, the `api-version` check, Azure
 * DevOps-shaped error bodies and the stored password masked on every read. It records each request and can
 * be told to fail or hang on a route.
 */

export interface RecordedRequest {
  readonly method: string;
  /** Path without the collection prefix, e.g. `/_apis/hooks/subscriptions`. */
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: unknown;
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

interface Fault {
  method?: string;
  path: RegExp;
  status: number;
  body?: string;
  contentType?: string;
  hang?: boolean;
}

export interface FakeAzureDevOpsOptions {
  /** The collection path segment: the organization for Azure DevOps Services. */
  readonly collection: string;
  readonly pat: string;
  /** Project name -> GUID. */
  readonly projects: Record<string, string>;
  readonly repositories: readonly { project: string; name: string; id: string }[];
}

export const MASK = '********';

export class FakeAzureDevOps {
  readonly requests: RecordedRequest[] = [];
  readonly subscriptions = new Map<string, StoredSubscription>();
  private readonly faults: Fault[] = [];
  private readonly sockets = new Set<import('node:net').Socket>();

  private constructor(
    private readonly server: http.Server,
    private readonly opts: FakeAzureDevOpsOptions,
  ) {}

  static async start(opts: FakeAzureDevOpsOptions): Promise<FakeAzureDevOps> {
    const server = http.createServer();
    const fake = new FakeAzureDevOps(server, opts);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => void fake.handle(req, res));
    server.on('connection', (s) => {
      fake.sockets.add(s);
      s.on('close', () => fake.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** `http://127.0.0.1:<port>`: the origin the tests' fetch sends Azure DevOps calls to. */
  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A fetch that sends every request for `publicOrigin` (the config's https origin) to this server. */
  fetchFor(publicOrigin: string): typeof fetch {
    const origin = this.origin;
    return (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (!url.startsWith(publicOrigin)) throw new Error(`test fetch: unexpected URL ${url}`);
      return fetch(origin + url.slice(publicOrigin.length), init);
    };
  }

  /** The next and later requests matching `method` and `path` answer `status` with an Azure DevOps error body. */
  fail(method: string | undefined, path: RegExp, status: number, message?: string): void {
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
    this.faults.push({ method, path, status, body, contentType: 'application/json; charset=utf-8' });
  }

  /** Requests matching `path` answer `status` with an HTML page (Azure DevOps' sign-in page). */
  answerHtml(path: RegExp, status: number): void {
    this.faults.push({ path, status, body: '<html><body>Sign in</body></html>', contentType: 'text/html' });
  }

  /** Requests matching `path` never get an answer. */
  hang(path: RegExp): void {
    this.faults.push({ path, status: 0, hang: true });
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
    });

    const fault = this.faults.find((f) => (!f.method || f.method === method) && f.path.test(path));
    if (fault?.hang) return; // the socket stays open until close()
    if (fault) {
      res.writeHead(fault.status, fault.body ? { 'Content-Type': fault.contentType ?? 'text/plain' } : {});
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
    if (url.searchParams.get('api-version') !== '7.1') {
      return this.error(res, 400, 'The api-version query parameter is required (7.1).');
    }
    this.route(method, path, url.searchParams, body, res);
  }

  private route(
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
    res: http.ServerResponse,
  ): void {
    let m: RegExpExecArray | null;
    if (method === 'GET' && (m = /^\/_apis\/projects\/([^/]+)$/.exec(path))) {
      const name = decodeURIComponent(m[1]);
      const id = this.opts.projects[name];
      if (!id) return this.error(res, 404, `TF200016: The following project does not exist: ${name}.`);
      return json(res, 200, { id, name, state: 'wellFormed', visibility: 'private' });
    }
    if (method === 'GET' && (m = /^\/([^/]+)\/_apis\/git\/repositories\/([^/]+)$/.exec(path))) {
      const project = decodeURIComponent(m[1]);
      const key = decodeURIComponent(m[2]);
      const projectId = this.opts.projects[project];
      const repo = this.opts.repositories.find(
        (r) => r.project === project && (r.name === key || r.id.toLowerCase() === key.toLowerCase()),
      );
      if (!projectId || !repo) {
        return this.error(
          res,
          404,
          `TF401019: The Git repository with name or identifier ${key} does not exist or you do not have permissions for the operation you are attempting.`,
        );
      }
      return json(res, 200, { id: repo.id, name: repo.name, project: { id: projectId, name: project } });
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
    if (method === 'PUT' && (m = /^\/_apis\/hooks\/subscriptions\/([^/]+)$/.exec(path))) {
      const existing = this.subscriptions.get(decodeURIComponent(m[1]));
      if (!existing) return this.error(res, 404, `Subscription ${m[1]} was not found.`);
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
