import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../src/errors/exit-codes.js';
import { ConsentRequiredError, createApiError, GlobusApiError, parseErrorBody } from '../src/globus/errors.js';
import { staticTokenSource } from '../src/globus/token-source.js';
import { TransferClient } from '../src/globus/transfer-client.js';
import { fixture, StubServer } from './globus-stub-server.js';

const at = { service: 'transfer' as const, method: 'GET', path: '/v0.10/x' };

describe('parseErrorBody', () => {
  it('reads a Transfer error', () => {
    expect(parseErrorBody(404, fixture('error_not_found_stat.json'), '')).toMatchObject({ code: 'NotFound', requestId: 'aaabbbccc', requiredScopes: [] });
  });

  it('reads required_scopes, falling back to authorization_parameters', () => {
    const body = fixture('error_consent_required.json') as Record<string, unknown>;
    const scope = (body.required_scopes as string[])[0];
    expect(parseErrorBody(403, body, '').requiredScopes).toEqual([scope]);
    const { required_scopes: _r, ...onlyParams } = body;
    expect(parseErrorBody(403, onlyParams, '').requiredScopes).toEqual([scope]);
  });

  it('reads OAuth and JSON:API Auth errors', () => {
    expect(parseErrorBody(401, fixture('token_error_invalid_grant.json'), '')).toMatchObject({ code: 'invalid_grant', message: 'Unauthorized' });
    expect(parseErrorBody(401, fixture('auth_error_unauthorized.json'), '')).toMatchObject({ code: 'unauthorized', message: 'Unauthorized' });
    expect(parseErrorBody(500, { errors: [{ code: 'UNEXPECTED_ERROR', title: 'An unexpected error occurred.', id: 'e1' }] }, '')).toEqual({
      code: 'UNEXPECTED_ERROR',
      message: 'An unexpected error occurred.',
      requestId: 'e1',
      requiredScopes: [],
    });
  });

  it('turns a non-JSON body into a code from the status', () => {
    expect(parseErrorBody(504, undefined, '')).toEqual({ code: 'HTTP504', message: 'Gateway Timeout', requiredScopes: [] });
    expect(parseErrorBody(502, [1, 2], '[1,2]').code).toBe('HTTP502');
  });
});

describe('GlobusApiError', () => {
  it('puts only the first line of a multi-line endpoint message in its one-line message', () => {
    const body = parseErrorBody(403, fixture('error_endpoint_permission_denied_stat.json'), '');
    const err = createApiError({ ...body, ...at, httpStatus: 403 });
    expect(err.message).toBe('Globus Transfer GET /v0.10/x: 403 EndpointPermissionDenied: Denied by endpoint, Error (list) (request_id aaabbbccc)');
    expect(err.globusMessage).toContain('Path not allowed');
    expect(err.kind).toBe('failure');
    expect(exitCodeFor(err)).toBe(1);
  });

  it('is a ConsentRequiredError only for the ConsentRequired code', () => {
    const consent = createApiError({ ...parseErrorBody(403, fixture('error_consent_required.json'), ''), ...at, httpStatus: 403 });
    expect(consent).toBeInstanceOf(ConsentRequiredError);
    expect(exitCodeFor(consent)).toBe(77);
    expect(consent.hint).toContain('data_access');
    const notFound = createApiError({ ...parseErrorBody(404, fixture('error_not_found_stat.json'), ''), ...at, httpStatus: 404 });
    expect(notFound).not.toBeInstanceOf(ConsentRequiredError);
    expect(notFound.isNotFound).toBe(true);
  });

  it('AuthenticationFailed is an auth error even without a 401', () => {
    const err = new GlobusApiError({ code: 'ClientError.AuthenticationFailed', message: 'm', requiredScopes: [], ...at, httpStatus: 400 });
    expect(err.kind).toBe('auth');
  });
});

describe('logging', () => {
  it('logs each retry with status and code but never the token', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }));
    const server = await StubServer.start();
    const client = new TransferClient({ baseUrl: server.url, tokens: staticTokenSource('SECRET-TOKEN-VALUE'), logger, env: {}, retry: { sleep: async () => {} } });
    try {
      server.on('GET', '/v0.10/task/t1', { status: 429, json: { code: 'RateLimited', message: 'slow' } }, { json: fixture('task_get_active.json') });
      await client.getTask('t1');
      const text = lines.join('');
      expect(text).toContain('"status":429');
      expect(text).toContain('"code":"RateLimited"');
      expect(text).not.toContain('SECRET-TOKEN-VALUE');
      expect(server.requests[0]!.headers.authorization).toBe('Bearer SECRET-TOKEN-VALUE');
    } finally {
      await client.close();
      await server.stop();
    }
  });
});
