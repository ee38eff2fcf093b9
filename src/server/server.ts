import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { authError, OidcKeys, userinfo } from './auth-identity.js';
import { authorize, revoke, token, validate, type AuthContext } from './auth-routes.js';
import { CollectionRegistry, type Collection } from './collections.js';
import { Faults, type FaultAction } from './faults.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { json, readBody, requestId, transferError, type Reply } from './http.js';
import {
  DEMO_CLIENT_ID,
  DEMO_SERVICE_CLIENT_ID,
  DEMO_SERVICE_CLIENT_SECRET,
  resolveOptions,
  type ClientSpec,
  type CollectionSpec,
  type GlobusServerOptions,
} from './options.js';
import { RequestLog } from './request-log.js';
import { RequestMeter } from './request-meter.js';
import { grantScopes, TRANSFER_RS, TRANSFER_SCOPE_URN } from './scopes.js';
import { TaskRegistry } from './tasks.js';
import { TokenRegistry, type TokenResponseDocument } from './tokens.js';
import type { TransferContext } from './transfer-common.js';
import { transferRoute } from './transfer-routes.js';

const MAX_BODY = 16 * 1024 * 1024;

export interface IssueTokensOptions {
  /** Default: the built-in native demo client. */
  clientId?: string;
  /** Default: Transfer with a data_access dependency on every collection. */
  scope?: string;
  /** Include a refresh token (default true). */
  refresh?: boolean;
}

export interface GlobusServer {
  /** Root URL ending in "/", for both GLOBUS_SDK_SERVICE_URL_TRANSFER and GLOBUS_SDK_SERVICE_URL_AUTH. */
  readonly url: string;
  readonly port: number;
  /** The two variables that point gsync (and the Globus SDKs) at this server. */
  readonly env: { GLOBUS_SDK_SERVICE_URL_TRANSFER: string; GLOBUS_SDK_SERVICE_URL_AUTH: string };
  readonly faults: Faults;
  readonly tasks: TaskRegistry;
  readonly requests: RequestLog;
  readonly collections: CollectionRegistry;
  /** Tokens as if a login had happened, without the browser round; shaped like a token response. */
  issueTokens(opts?: IssueTokensOptions): TokenResponseDocument;
  /** Every token value issued so far (to check none leaked into logs or the state database). */
  tokenValues(): string[];
  addCollection(spec: CollectionSpec): Collection;
  addClient(spec: ClientSpec): void;
  /** Stops running tasks (their temporary files removed), closes every connection. */
  close(): Promise<void>;
}

/**
 * The local Globus-compatible server: Auth under /v2/, Transfer under /v0.10/,
 * on 127.0.0.1. Collections map onto local folders and transfers really copy.
 */
export async function startGlobusServer(options: GlobusServerOptions = {}): Promise<GlobusServer> {
  const opts = resolveOptions(options);
  const collections = new CollectionRegistry();
  for (const c of options.collections ?? []) collections.add(c);

  const clients = new Map<string, ClientSpec>();
  for (const c of [{ id: DEMO_CLIENT_ID }, { id: DEMO_SERVICE_CLIENT_ID, secret: DEMO_SERVICE_CLIENT_SECRET }, ...(options.clients ?? [])]) {
    clients.set(c.id, c);
  }

  let rootUrl = 'http://127.0.0.1/';
  const oidc = new OidcKeys(() => rootUrl);
  const tokens = new TokenRegistry(
    () => opts.tokenTtlSeconds,
    () => opts.rotateRefreshTokens,
    (clientId, nowMs) => oidc.idToken(clientId, nowMs),
  );
  const faults = new Faults({ expireTokens: () => tokens.expireAll(), revokeTokens: () => tokens.revokeAll() });
  for (const rule of options.faults ?? []) faults.add(rule);
  const tasks = new TaskRegistry(opts);
  const requests = new RequestLog();
  const meter = new RequestMeter(opts.requestsPerSecond);
  // A collection told to ask for consent (requireConsent, faults.requireConsent) has a data_access
  // scope whatever its type says: a test's way to model a consent gsync cannot foresee.
  const hasDataAccessScope = (id: string) => {
    const c = collections.get(id);
    return c === undefined || c.hasDataAccessScope || c.requireConsent || faults.consentRequiredFor(id);
  };
  const authCtx: AuthContext = { tokens, clients, hasDataAccessScope };
  const transferCtx: TransferContext = {
    collections,
    faults,
    tasks,
    opts,
    ownerId: randomUUID(),
    submissionIds: new Set(),
    bySubmission: new Map(),
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) send(res, transferError(500, 'InternalError', `local server error: ${(err as Error)?.message ?? String(err)}`, req.url ?? ''));
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const entry = { method, path: url.pathname, outcome: 0 as number | 'reset', faulted: false };
    requests.entries.push(entry);

    const before = faults.take(method, url.pathname, 'before');
    if (before) entry.faulted = true;
    if (before?.type === 'reset') return reset(req, entry);
    if (before?.type === 'delay') await sleep(before.ms);
    const throttled = url.pathname.startsWith('/v0.10/') && meter.over();
    let reply = before?.type === 'status' ? faultReply(before, url.pathname) : throttled ? faultReply({ type: 'status', status: 429 }, url.pathname) : await route(req, method, url);

    const after = faults.take(method, url.pathname, 'after');
    if (after) entry.faulted = true;
    if (after?.type === 'reset') return reset(req, entry);
    if (after?.type === 'delay') await sleep(after.ms);
    if (after?.type === 'status') reply = faultReply(after, url.pathname);
    entry.outcome = reply.status;
    send(res, reply);
  }

  async function route(req: http.IncomingMessage, method: string, url: URL): Promise<Reply> {
    const p = url.pathname;
    if (p === '/v2/oauth2/authorize' && method === 'GET') return authorize(authCtx, url.searchParams);
    if (p === '/v2/oauth2/token' && method === 'POST') return token(authCtx, await form(req), req.headers.authorization);
    if (p === '/v2/oauth2/token/revoke' && method === 'POST') return revoke(authCtx, await form(req), req.headers.authorization);
    if (p === '/v2/oauth2/token/validate' && method === 'POST') return validate(authCtx, await form(req), req.headers.authorization);
    if (p === '/v2/oauth2/userinfo' && (method === 'GET' || method === 'POST')) return userinfo(tokens.authScope(bearerOf(req) ?? ''));
    if (p === '/.well-known/openid-configuration' && method === 'GET') return oidc.configuration();
    if (p === '/jwk.json' && method === 'GET') return oidc.jwks();
    if (p.startsWith('/v0.10/')) {
      const segments = p.slice('/v0.10/'.length).split('/').filter(Boolean).map(decodeURIComponent);
      const handler = transferRoute(method, segments);
      if (!handler) return transferError(404, 'ClientError.NotFound', `${method} ${p} is not served by this server`, p);
      const bearer = bearerOf(req);
      const auth = bearer ? tokens.checkTransfer(bearer, TRANSFER_RS) : { ok: false as const, reason: 'No Authorization header with a Bearer token' };
      // error_authentication_failed.json carries no resource key.
      if (!auth.ok) return json(401, { code: 'ClientError.AuthenticationFailed', message: auth.reason, request_id: requestId() });
      return handler(transferCtx, {
        method,
        // The service names the resource without the version prefix (globus-cli recordings:
        // submit_delete_*.yaml "/delete", error_consent_required.json "/operation/endpoint/<id>/ls").
        resource: p.slice('/v0.10'.length),
        segments,
        query: url.searchParams,
        body: async () => JSON.parse((await readBody(req, MAX_BODY)).toString('utf8') || 'null'),
        scope: auth.scope,
      });
    }
    if (p.startsWith('/v2/')) return authError(404, 'NOT_FOUND', `${method} ${p} is not served by this server`, 'not_found');
    return json(404, { code: 'ClientError.NotFound', message: `${method} ${p}: this server serves /v2/ (Auth) and /v0.10/ (Transfer)` });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  rootUrl = url;

  return {
    url,
    port,
    env: { GLOBUS_SDK_SERVICE_URL_TRANSFER: url, GLOBUS_SDK_SERVICE_URL_AUTH: url },
    faults,
    tasks,
    requests,
    collections,
    issueTokens(o: IssueTokensOptions = {}) {
      const clientId = o.clientId ?? DEMO_CLIENT_ID;
      if (!clients.has(clientId)) throw new Error(`issueTokens: unknown client ${clientId}`);
      const ids = collections.all().filter((c) => hasDataAccessScope(c.id)).map((c) => `*https://auth.globus.org/scopes/${c.id}/data_access`);
      const scope = o.scope ?? (ids.length ? `${TRANSFER_SCOPE_URN}[${ids.join(' ')}]` : TRANSFER_SCOPE_URN);
      const granted = grantScopes(scope);
      if (typeof granted === 'string') throw new Error(`issueTokens: ${granted}`);
      return tokens.issue(clientId, granted, { refresh: o.refresh ?? true });
    },
    tokenValues: () => tokens.allValues(),
    addCollection: (spec) => collections.add(spec),
    addClient: (spec) => void clients.set(spec.id, spec),
    async close() {
      await tasks.stopAll();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

const bearerOf = (req: http.IncomingMessage) => /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];

async function form(req: http.IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams((await readBody(req, MAX_BODY)).toString('utf8'));
}

function reset(req: http.IncomingMessage, entry: { outcome: number | 'reset' }): void {
  entry.outcome = 'reset';
  req.socket.resetAndDestroy();
}

/** Error bodies in the service's own shape: Auth's JSON:API + OAuth form, Transfer's {code, message}. */
function faultReply(f: Extract<FaultAction, { type: 'status' }>, pathname: string): Reply {
  const headers: Record<string, string> = {};
  if (f.retryAfterSeconds !== undefined) headers['retry-after'] = String(f.retryAfterSeconds);
  const defaults: Record<number, [string, string]> = {
    429: ['ClientError.TooManyRequests', 'Too many requests; slow down and retry'],
    500: ['InternalError', 'An unexpected error occurred'],
    502: ['ExternalError', 'Bad gateway'],
    503: ['ServiceUnavailable', 'The service is temporarily unavailable; retry later'],
    504: ['GatewayTimeout', 'Gateway timeout'],
  };
  const [code, message] = [f.code ?? defaults[f.status]?.[0] ?? `HTTP${f.status}`, f.message ?? defaults[f.status]?.[1] ?? 'Injected fault'];
  if (pathname.startsWith('/v2/')) {
    return json(
      f.status,
      { errors: [{ title: message, detail: null, id: randomUUID(), code, status: String(f.status) }], error: code, error_description: message },
      headers,
    );
  }
  return json(f.status, { code, message, request_id: requestId(), resource: pathname }, headers);
}

function send(res: http.ServerResponse, reply: Reply): void {
  res.statusCode = reply.status;
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
  if (reply.contentType) {
    res.setHeader('content-type', reply.contentType);
    res.end(String(reply.body));
    return;
  }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(reply.body));
}
