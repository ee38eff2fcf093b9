import { causeChain } from '../errors/cause-chain.js';
/**
 * When to try a Globus call again, following the official Python SDK
 * (globus_sdk.transport, RetryConfig and default_retry_checks): 429 and
 * 500/502/503/504 and network errors are transient, up to 5 retries with
 * capped exponential backoff; a 401 gets one token refresh. The SDK runs its
 * checks in order, and the Retry-After check (429, 503) comes before the
 * Transfer-specific transient check, so a 429 or 503 is retried whatever its
 * code says; only the other 5xx are spared when they carry ExternalError or
 * EndpointError. Pure functions, so the policy is tested without a server.
 */

export type Decision = 'retry' | 'refresh' | 'fail';

export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);
/** The SDK's retry_after_status_codes: retried first, and the only answers whose Retry-After is read. */
export const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/**
 * What to do about an HTTP error response. `code` is the Globus error code from
 * the body, when there is one.
 */
export function classifyResponse(status: number, code?: string): Decision {
  if (status === 401) return 'refresh';
  if (RETRY_AFTER_STATUSES.has(status)) return 'retry';
  if (!TRANSIENT_STATUSES.has(status)) return 'fail';
  // Transfer reports a collection's own failure (a Globus Connect Personal that is
  // offline, a storage error) as a 5xx. Asking again at once will not reconnect it,
  // and the SDK's Transfer client refuses to retry these too.
  if (status >= 500 && code !== undefined && (code.includes('ExternalError') || code.includes('EndpointError'))) return 'fail';
  return 'retry';
}

export interface BackoffOptions {
  /** The unit the SDK's formula multiplies (1 s there); the delay is (0.25 + 0.5 * random) * baseMs * 2^attempt. */
  baseMs?: number;
  /** No single wait is longer than this, Retry-After included (as the SDK's max_sleep). */
  maxMs?: number;
  /** Uniform in [0, 1); injectable so tests are deterministic. */
  random?: () => number;
}

export const DEFAULT_BASE_DELAY_MS = 1000;
export const DEFAULT_MAX_DELAY_MS = 10_000;
export const DEFAULT_MAX_RETRIES = 5;

/**
 * Milliseconds to wait before retry number `attempt` (0 for the first retry),
 * as the SDK's _exponential_backoff: (0.25 + 0.5 * random) * 2^attempt seconds,
 * then capped at max_sleep (10 s). The jitter keeps a crowd of cron jobs hit by
 * the same outage from coming back in step. Retry-After, when the server sent
 * one, is used as is (capped too).
 */
export function backoffMs(attempt: number, retryAfterSeconds?: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? DEFAULT_BASE_DELAY_MS;
  const max = opts.maxMs ?? DEFAULT_MAX_DELAY_MS;
  if (retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds) && retryAfterSeconds >= 0) {
    return Math.min(max, retryAfterSeconds * 1000);
  }
  const random = opts.random ?? Math.random;
  return Math.round(Math.min(max, (0.25 + 0.5 * random()) * base * 2 ** attempt));
}

/** Retry-After as whole seconds; HTTP dates and junk are ignored, as the SDK does. */
export function parseRetryAfter(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number.parseInt(value, 10);
}

const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET', // "other side closed"
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** True for a failure to get any answer at all, which is worth asking again. */
export function isTransientNetworkError(err: unknown): boolean {
  for (const e of causeChain(err)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) return true;
  }
  return false;
}
