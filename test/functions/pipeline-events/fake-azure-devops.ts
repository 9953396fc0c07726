import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake Azure DevOps received. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** How the fake answers one request: a status (with headers and body), or never (`hang`). */
export type FakeReply =
  { readonly status: number; readonly headers?: Record<string, string>; readonly body?: string } | 'hang';

/** Azure DevOps' answer to a created status. */
export const CREATED: FakeReply = {
  status: 201,
  headers: { 'Content-Type': 'application/json; charset=utf-8' },
  body: JSON.stringify({ id: 1, state: 'pending' }),
};

/**
 * A local stand-in for Azure DevOps on 127.0.0.1 (a real HTTP exchange): it records every request and
 * answers from a queue of scripted replies, then with 201 Created. A `hang` reply never answers; the
 * connection is dropped when the server stops.
 */
export class FakeAzureDevOps {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: FakeReply[] = [];
  private readonly hanging: ServerResponse[] = [];
  private server: Server | undefined;
  private port = 0;

  /** The base URL of a fake organization, like `https://dev.azure.com/my-org`. */
  baseUrl(organization = 'my-org'): string {
    return `http://127.0.0.1:${this.port}/${organization}`;
  }

  /** Answers the next requests with these replies, in order. */
  reply(...replies: FakeReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  /** Forgets recorded requests and queued replies. */
  reset(): void {
    this.requests.length = 0;
    this.queue.length = 0;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        this.requests.push({
          method: req.method ?? '',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const reply = this.queue.shift() ?? CREATED;
        if (reply === 'hang') {
          this.hanging.push(res);
          return;
        }
        res.writeHead(reply.status, reply.headers ?? {});
        res.end(reply.body ?? '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    for (const res of this.hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    this.server = undefined;
  }
}
