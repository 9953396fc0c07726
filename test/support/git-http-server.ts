import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A git smart-HTTP server for tests, shaped like Azure DevOps: it serves the bare repositories under
 * `projectRoot` through `git http-backend` (CGI) on 127.0.0.1 and demands HTTP Basic auth whose password
 * is the given PAT (any user name, as Azure DevOps accepts). A request without it gets
 * 401 + `WWW-Authenticate` (or the status in `refuseWith`), and never reaches git.
 */
export interface GitHttpServerOptions {
  /** Folder holding the bare repositories; a URL path maps to `projectRoot + path`. */
  readonly projectRoot: string;
  /** The only password accepted. */
  readonly pat: string;
  /** Status answered to a missing or wrong PAT. Default 401 (with a WWW-Authenticate challenge). */
  readonly refuseWith?: 401 | 403;
  /**
   * Pass the client's `Git-Protocol` header to git (protocol v2, which serves any reachable commit by
   * its SHA). With `false` the server speaks protocol v0 and refuses to serve a commit that is not
   * a branch tip, as stricter servers do. Default true.
   */
  readonly protocolV2?: boolean;
  /**
   * `git upload-pack` settings: with `allowAnySha1InWant` the server serves any commit it has by its SHA,
   * whatever protocol the client speaks (Azure Repos does), even one reachable only from `refs/pull/N/merge`;
   * `allowReachableSha1InWant` serves any commit reachable from an advertised ref. Default: git's (neither).
   */
  readonly uploadPack?: {
    readonly allowAnySha1InWant?: boolean;
    readonly allowReachableSha1InWant?: boolean;
  };
  /** Serve HTTPS with this key and certificate (PEM) instead of HTTP. */
  readonly tls?: { readonly key: string; readonly cert: string };
  /**
   * A minimal Git LFS server, shaped like Azure Repos': the batch API (`<repo>[.git]/info/lfs/objects/batch`,
   * download only, basic transfer) demands the PAT like git's requests, and answers with download links on
   * another host name (`localhost` instead of `127.0.0.1`) signed with a token in their query string, as blob
   * storage SAS links are. The objects (keyed by their sha256 oid) are served only with that token; a request
   * to them that also carries the PAT is recorded as `authorized` (the PAT leaked to another host).
   */
  readonly lfsObjects?: ReadonlyMap<string, Buffer>;
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly authorized: boolean;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly baseUrl: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startGitHttpServer(options: GitHttpServerOptions): Promise<GitHttpServer> {
  const requests: RecordedRequest[] = [];
  const lfsToken = randomBytes(16).toString('hex');
  const handler: RequestListener = (req, res) => {
    const authorized = hasPat(req, options.pat);
    requests.push({ method: req.method ?? '', url: req.url ?? '', authorized });
    if (options.lfsObjects && serveLfsObject(req, res, options.lfsObjects, lfsToken)) return;
    if (!authorized) {
      const status = options.refuseWith ?? 401;
      const headers: Record<string, string> = { 'Content-Type': 'text/plain' };
      if (status === 401) headers['WWW-Authenticate'] = 'Basic realm="berth-test"';
      res.writeHead(status, headers).end(status === 401 ? 'Unauthorized\n' : 'Forbidden\n');
      return;
    }
    if (options.lfsObjects && serveLfsBatch(req, res, options.lfsObjects, lfsToken)) return;
    serveThroughHttpBackend(req, res, options);
  };
  const server = options.tls ? createHttpsServer({ ...options.tls }, handler) : createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

function hasPat(req: IncomingMessage, pat: string): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
  if (!match) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && decoded.slice(colon + 1) === pat;
}

function serveThroughHttpBackend(
  req: IncomingMessage,
  res: ServerResponse,
  options: GitHttpServerOptions,
): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: options.projectRoot,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_PROJECT_ROOT: options.projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: decodeURIComponent(url.pathname),
    REQUEST_METHOD: req.method ?? 'GET',
    QUERY_STRING: url.search.replace(/^\?/, ''),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_USER: 'berth-test',
    REMOTE_ADDR: '127.0.0.1',
  };
  if (req.headers['content-length'] !== undefined) env.CONTENT_LENGTH = req.headers['content-length'];
  if (req.headers['content-encoding'] !== undefined)
    env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
  const protocol = req.headers['git-protocol'];
  if ((options.protocolV2 ?? true) && typeof protocol === 'string') env.GIT_PROTOCOL = protocol;
  const config = Object.entries({
    'uploadpack.allowAnySHA1InWant': options.uploadPack?.allowAnySha1InWant,
    'uploadpack.allowReachableSHA1InWant': options.uploadPack?.allowReachableSha1InWant,
  }).filter(([, on]) => on !== undefined);
  config.forEach(([key, on], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = String(on);
  });
  if (config.length > 0) env.GIT_CONFIG_COUNT = String(config.length);

  const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  cgi.stdout.on('data', (b: Buffer) => out.push(b));
  cgi.stderr.on('data', (b: Buffer) => err.push(b));
  cgi.stdin.on('error', () => undefined); // git may answer before reading the whole body
  req.pipe(cgi.stdin);
  cgi.on('close', (code) => {
    const raw = Buffer.concat(out);
    const parsed = parseCgiOutput(raw);
    if (!parsed) {
      res
        .writeHead(500, { 'Content-Type': 'text/plain' })
        .end(`git http-backend failed (${code}): ${Buffer.concat(err).toString()}`);
      return;
    }
    res.writeHead(parsed.status, parsed.headers).end(parsed.body);
  });
}

const LFS_JSON = 'application/vnd.git-lfs+json';
const LFS_OBJECTS_PATH = '/_lfs/objects/';

/** Answers an LFS object download (signed with the batch answer's token); false for any other request. */
function serveLfsObject(
  req: IncomingMessage,
  res: ServerResponse,
  objects: ReadonlyMap<string, Buffer>,
  token: string,
): boolean {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (req.method !== 'GET' || !url.pathname.startsWith(LFS_OBJECTS_PATH)) return false;
  const object = objects.get(url.pathname.slice(LFS_OBJECTS_PATH.length));
  if (url.searchParams.get('sig') !== token) {
    res.writeHead(403, { 'Content-Type': 'text/plain' }).end('bad signature\n');
  } else if (object) {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(object);
  } else {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no such object\n');
  }
  return true;
}

/** Answers the Git LFS batch API (an authorized request); false for any other request. */
function serveLfsBatch(
  req: IncomingMessage,
  res: ServerResponse,
  objects: ReadonlyMap<string, Buffer>,
  token: string,
): boolean {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (req.method !== 'POST' || !url.pathname.endsWith('/info/lfs/objects/batch')) return false;
  const body: Buffer[] = [];
  req.on('data', (b: Buffer) => body.push(b));
  req.on('end', () => {
    // Another host name for the same server: the PAT header, scoped to the repository's host, must not go there.
    const host = (req.headers.host ?? '127.0.0.1').replace(/^127\.0\.0\.1(?=:|$)/, 'localhost');
    const scheme = 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
    let batch: { operation?: string; objects?: { oid: string; size: number }[] };
    try {
      batch = JSON.parse(Buffer.concat(body).toString('utf8')) as typeof batch;
    } catch {
      res.writeHead(422, { 'Content-Type': LFS_JSON }).end(JSON.stringify({ message: 'not JSON' }));
      return;
    }
    if (batch.operation !== 'download') {
      res.writeHead(403, { 'Content-Type': LFS_JSON }).end(JSON.stringify({ message: 'download only' }));
      return;
    }
    const answer = (batch.objects ?? []).map(({ oid, size }) =>
      objects.has(oid)
        ? {
            oid,
            size,
            authenticated: true,
            actions: {
              download: {
                href: `${scheme}://${host}${LFS_OBJECTS_PATH}${oid}?sig=${token}`,
                expires_in: 3600,
              },
            },
          }
        : { oid, size, error: { code: 404, message: 'Object does not exist' } },
    );
    res
      .writeHead(200, { 'Content-Type': LFS_JSON })
      .end(JSON.stringify({ transfer: 'basic', objects: answer }));
  });
  return true;
}

/** Splits a CGI answer into status, headers and body (`Status: 404 Not Found` sets the status). */
export function parseCgiOutput(
  raw: Buffer,
): { status: number; headers: Record<string, string>; body: Buffer } | undefined {
  let end = raw.indexOf('\r\n\r\n');
  let sep = 4;
  const lf = raw.indexOf('\n\n');
  if (end < 0 || (lf >= 0 && lf < end)) {
    end = lf;
    sep = 2;
  }
  if (end < 0) return undefined;
  const headers: Record<string, string> = {};
  let status = 200;
  for (const line of raw.subarray(0, end).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
    else headers[name] = value;
  }
  return { status, headers, body: raw.subarray(end + sep) };
}
