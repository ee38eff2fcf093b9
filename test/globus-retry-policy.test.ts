import { describe, expect, it } from 'vitest';
import { backoffMs, classifyResponse, isTransientNetworkError, parseRetryAfter } from '../src/globus/retry-policy.js';

describe('classifyResponse', () => {
  it.each([429, 500, 502, 503, 504])('retries transient status %i', (status) => {
    expect(classifyResponse(status)).toBe('retry');
    expect(classifyResponse(status, 'ServiceUnavailable')).toBe('retry');
  });

  it('refreshes on 401', () => {
    expect(classifyResponse(401, 'AuthenticationFailed')).toBe('refresh');
  });

  it.each([400, 403, 404, 409, 501])('fails on %i', (status) => {
    expect(classifyResponse(status, 'ClientError.BadRequest')).toBe('fail');
  });

  it('never retries a 500, 502 or 504 that reports a collection failure', () => {
    expect(classifyResponse(502, 'ExternalError.DirListingFailed.GCDisconnected')).toBe('fail');
    expect(classifyResponse(502, 'EndpointError')).toBe('fail');
    expect(classifyResponse(504, 'EndpointError')).toBe('fail');
    expect(classifyResponse(500, 'ExternalError.MkdirFailed.Exists')).toBe('fail');
  });

  // The SDK's check_retry_after_header (429, 503) runs before Transfer's check_transfer_transient_error.
  it('retries a 429 or 503 whatever its code says, before any Transfer-specific check', () => {
    expect(classifyResponse(429, 'ExternalError.Whatever')).toBe('retry');
    expect(classifyResponse(503, 'EndpointError')).toBe('retry');
    expect(classifyResponse(503, 'ExternalError.DirListingFailed.GCDisconnected')).toBe('retry');
  });
});

describe('backoffMs', () => {
  // globus_sdk.transport's _exponential_backoff: (0.25 + 0.5 * random()) * 2 ** attempt seconds.
  it('is (0.25 + 0.5 * random) * 2^attempt seconds, as the SDK', () => {
    expect(backoffMs(0, undefined, { random: () => 0 })).toBe(250);
    expect(backoffMs(0, undefined, { random: () => 0.5 })).toBe(500);
    expect(backoffMs(0, undefined, { random: () => 1 })).toBe(750);
    expect(backoffMs(1, undefined, { random: () => 0 })).toBe(500);
    expect(backoffMs(3, undefined, { random: () => 0 })).toBe(2000);
    expect(backoffMs(3, undefined, { random: () => 1 })).toBe(6000);
  });

  it('never waits more than 10 s', () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      expect(backoffMs(attempt, undefined, { random: () => 0.999999 })).toBeLessThanOrEqual(10_000);
    }
    expect(backoffMs(10, undefined, { random: () => 0.999999 })).toBe(10_000);
    expect(backoffMs(5, undefined, { random: () => 0 })).toBe(8000);
    expect(backoffMs(6, undefined, { random: () => 0 })).toBe(10_000);
  });

  it('uses Retry-After as given, capped like every other wait', () => {
    expect(backoffMs(0, 3)).toBe(3000);
    expect(backoffMs(4, 0)).toBe(0);
    expect(backoffMs(0, 120)).toBe(10_000);
    expect(backoffMs(0, 120, { maxMs: 60_000 })).toBe(60_000);
  });
});

describe('parseRetryAfter', () => {
  it('reads whole seconds and ignores anything else', () => {
    expect(parseRetryAfter('7')).toBe(7);
    expect(parseRetryAfter(' 2 ')).toBe(2);
    expect(parseRetryAfter(['5', '9'])).toBe(5);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT')).toBeUndefined();
    expect(parseRetryAfter('-1')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('isTransientNetworkError', () => {
  it('recognises resets, refusals and timeouts, also when wrapped', () => {
    expect(isTransientNetworkError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransientNetworkError(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }))).toBe(true);
    expect(isTransientNetworkError(new Error('fetch failed', { cause: Object.assign(new Error('y'), { code: 'ECONNREFUSED' }) }))).toBe(true);
  });

  it('leaves programming errors and our own errors alone', () => {
    expect(isTransientNetworkError(new TypeError('bad'))).toBe(false);
    expect(isTransientNetworkError(Object.assign(new Error('x'), { code: 'ERR_INVALID_URL' }))).toBe(false);
    expect(isTransientNetworkError(undefined)).toBe(false);
  });
});
