import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const FIXTURES = new URL('./fixtures/globus/', import.meta.url);

export function fixture(name: string): unknown {
  return JSON.parse(fs.readFileSync(new URL(name, FIXTURES), 'utf8'));
}

export type Reply =
  | { status?: number; json?: unknown; text?: string; headers?: Record<string, string> }
  | { destroy: true } // drop the connection without an answer
  | { hang: true }; // never answer: the client's timeout must fire

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A scripted server on 127.0.0.1: each "METHOD /path" has a queue of replies,
 * the last one repeating. Records every request for the test to inspect.
 */
export class StubServer {
  readonly requests: Recorded[] = [];
  private readonly routes = new Map<string, Reply[]>();
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  url = '';

  static async start(): Promise<StubServer> {
    const s = new StubServer();
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}/`;
    return s;
  }

  on(method: string, path: string, ...replies: Reply[]): this {
    this.routes.set(`${method} ${path}`, replies);
    return this;
  }

  requestsTo(method: string, path: string): Recorded[] {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      this.requests.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const queue = this.routes.get(`${req.method} ${url.pathname}`);
      const reply: Reply = queue === undefined ? { status: 404, json: { code: 'ClientError.NotFound', message: `no stub for ${req.method} ${url.pathname}` } } : queue.length > 1 ? queue.shift()! : queue[0]!;
      if ('destroy' in reply) return void req.socket.destroy();
      if ('hang' in reply) return;
      const body = reply.text ?? JSON.stringify(reply.json ?? {});
      res.writeHead(reply.status ?? 200, { 'content-type': reply.text === undefined ? 'application/json' : 'text/html', ...reply.headers });
      res.end(body);
    });
  }
}
