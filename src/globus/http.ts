import { setTimeout as sleep } from 'node:timers/promises';
import type { Agent } from 'undici';
import type * as z from 'zod';
import { configError, GsyncError } from '../errors/errors.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { UndiciCore } from './undici-core.js';
import { createApiError, GlobusNetworkError, parseErrorBody, unexpectedResponse, type GlobusService } from './errors.js';
import {
  backoffMs,
  RETRY_AFTER_STATUSES,
  classifyResponse,
  DEFAULT_MAX_RETRIES,
  isTransientNetworkError,
  parseRetryAfter,
  type BackoffOptions,
} from './retry-policy.js';

export const USER_AGENT = 'gsync/0.1.0';
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface RetryOptions extends BackoffOptions {
  /** Retries after the first attempt; 5 as in the SDK. 0 disables retrying. */
  maxRetries?: number;
  /** Injectable so tests do not wait real seconds. */
  sleep?: (ms: number) => Promise<void>;
}

export interface HttpClientOptions {
  service: GlobusService;
  baseUrl: string;
  logger?: Logger;
  /** Limit on waiting for the response headers, and again for the body. */
  timeoutMs?: number;
  retry?: RetryOptions;
}

/** What both service clients accept: the root URL may come from the SDK's environment variable. */
export interface ServiceClientOptions {
  /** Root URL; default the service's GLOBUS_SDK_SERVICE_URL_* variable, else the real service. */
  baseUrl?: string;
  logger?: Logger;
  timeoutMs?: number;
  retry?: RetryOptions;
  env?: NodeJS.ProcessEnv;
}

/** The transport for one service, its root resolved as the official SDK does. */
export function serviceHttp(service: GlobusService, envVar: string, defaultUrl: string, opts: ServiceClientOptions): GlobusHttp {
  return new GlobusHttp({
    service,
    baseUrl: resolveBaseUrl(opts.baseUrl, envVar, opts.env ?? process.env, defaultUrl),
    logger: opts.logger,
    timeoutMs: opts.timeoutMs,
    retry: opts.retry,
  });
}

type QueryValue = string | number | boolean | undefined;

export interface RequestSpec {
  method: 'GET' | 'POST' | 'DELETE';
  /** Relative to the service root, e.g. "v0.10/task/<id>". */
  path: string;
  query?: Record<string, QueryValue>;
  json?: unknown;
  form?: Record<string, string | undefined>;
  /** Asked before every attempt, so a refreshed token is used on the retry. */
  authorization?: () => Promise<string>;
  /** After a 401, once per call: refresh credentials; the request is then tried once more. */
  onUnauthorized?: () => Promise<unknown>;
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * Root URLs as the official SDK takes them (GLOBUS_SDK_SERVICE_URL_*): an explicit
 * option wins over the environment, which wins over the real service.
 */
export function resolveBaseUrl(explicit: string | undefined, envVar: string, env: NodeJS.ProcessEnv, fallback: string): string {
  const raw = explicit ?? (env[envVar] || undefined) ?? fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configError(`${explicit === undefined ? envVar : 'Globus base URL'} is not a URL: ${JSON.stringify(raw)}`, `set ${envVar} to a root URL such as http://127.0.0.1:8123/`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw configError(`${explicit === undefined ? envVar : 'Globus base URL'} must be http(s): ${JSON.stringify(raw)}`);
  }
  // Without the slash, URL resolution would drop the last path segment of a prefixed root.
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  url.search = '';
  url.hash = '';
  return url.toString();
}

/**
 * One Globus service over one undici Agent: timeouts, User-Agent, error bodies
 * turned into typed errors, and the SDK's retry policy. Bodies of requests and
 * the Authorization header are never logged.
 */
export class GlobusHttp {
  readonly service: GlobusService;
  readonly baseUrl: string;
  /** Made on the first request: a cron tick with nothing to ship never loads undici (./undici-core.ts: about 60 ms and 10 MB). */
  private agent: Promise<{ agent: Agent; core: UndiciCore }> | null = null;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly backoff: BackoffOptions;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(opts: HttpClientOptions) {
    this.service = opts.service;
    this.baseUrl = opts.baseUrl;
    this.logger = opts.logger ?? silentLogger;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxRetries = opts.retry?.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.backoff = { baseMs: opts.retry?.baseMs, maxMs: opts.retry?.maxMs, random: opts.retry?.random };
    this.sleep = opts.retry?.sleep ?? ((ms) => sleep(ms));
  }

  private dispatcher(): Promise<{ agent: Agent; core: UndiciCore }> {
    this.agent ??= import('./undici-core.js').then(async ({ loadUndiciCore }) => {
      const core = await loadUndiciCore();
      return { agent: new core.Agent({ connect: { timeout: this.timeoutMs }, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs }), core };
    });
    return this.agent;
  }

  /** Send, retrying as the policy says, and parse a 2xx body with `schema`. */
  async send<S extends z.ZodType>(spec: RequestSpec, schema: S): Promise<z.output<S>> {
    const res = await this.sendRaw(spec);
    const displayPath = this.displayPath(spec.path);
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      throw unexpectedResponse(this.service, spec.method, displayPath, `HTTP ${res.status} body is not JSON`);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.map(String).join('.') || '(top level)';
      throw unexpectedResponse(this.service, spec.method, displayPath, `${where}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data;
  }

  async sendRaw(spec: RequestSpec): Promise<RawResponse> {
    const url = this.url(spec);
    const displayPath = this.displayPath(spec.path);
    let retries = 0;
    let refreshed = false;
    for (;;) {
      let res: RawResponse;
      try {
        res = await this.once(url, spec);
      } catch (err) {
        if (err instanceof GsyncError) throw err; // from the token source: already says what to do
        if (!isTransientNetworkError(err) || retries >= this.maxRetries) throw new GlobusNetworkError(this.service, spec.method, displayPath, retries + 1, err);
        const delay = backoffMs(retries, undefined, this.backoff);
        // info, not warn: a retry is Globus's normal weather, and a run that then succeeds must
        // send cron no mail (--quiet); the failure that outlasts the retries is the error line.
        this.logger.info({ service: this.service, method: spec.method, path: displayPath, error: (err as { code?: string }).code, retry: retries + 1, delayMs: delay }, 'Globus request failed, retrying');
        retries++;
        await this.sleep(delay);
        continue;
      }
      if (res.status < 400) return res;

      const errBody = parseErrorBody(res.status, tryJson(res.text), res.text);
      const decision = classifyResponse(res.status, errBody.code);
      if (decision === 'refresh' && spec.onUnauthorized && !refreshed) {
        refreshed = true;
        this.logger.info({ service: this.service, method: spec.method, path: displayPath }, 'Globus answered 401, refreshing the access token');
        await spec.onUnauthorized();
        continue;
      }
      if (decision === 'retry' && retries < this.maxRetries) {
        // As the SDK's check_retry_after_header, Retry-After counts only on a 429 or 503.
        const retryAfter = RETRY_AFTER_STATUSES.has(res.status) ? parseRetryAfter(res.headers['retry-after']) : undefined;
        const delay = backoffMs(retries, retryAfter, this.backoff);
        this.logger.info(
          { service: this.service, method: spec.method, path: displayPath, status: res.status, code: errBody.code, retry: retries + 1, delayMs: delay },
          'Globus request failed, retrying',
        );
        retries++;
        await this.sleep(delay);
        continue;
      }
      throw createApiError({ ...errBody, service: this.service, httpStatus: res.status, method: spec.method, path: displayPath });
    }
  }

  async close(): Promise<void> {
    if (this.agent !== null) await (await this.agent).agent.close();
  }

  private async once(url: string, spec: RequestSpec): Promise<RawResponse> {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: 'application/json' };
    let body: string | undefined;
    if (spec.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.json);
    } else if (spec.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = formEncode(spec.form);
    }
    if (spec.authorization) headers.authorization = await spec.authorization();
    const { agent, core } = await this.dispatcher();
    const { origin, pathname, search } = new URL(url);
    const res = await core.request(agent, {
      origin,
      path: pathname + search,
      method: spec.method,
      headers,
      body,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  }

  private url(spec: RequestSpec): string {
    const url = new URL(spec.path, this.baseUrl);
    for (const [k, v] of Object.entries(spec.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    return url.toString();
  }

  /** The path as the service sees it, for messages; never the query, which may hold user paths. */
  private displayPath(path: string): string {
    return new URL(path, this.baseUrl).pathname;
  }
}

export function formEncode(form: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) if (v !== undefined) params.set(k, v);
  return params.toString();
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
