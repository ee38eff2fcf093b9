import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../src/errors/exit-codes.js';
import { AuthClient, createPkcePair, DEFAULT_NATIVE_REDIRECT_URI, pkceChallenge, tokensByResourceServer, type AuthClientOptions } from '../src/globus/auth-client.js';
import { GlobusApiError } from '../src/globus/errors.js';
import { TRANSFER_SCOPE } from '../src/globus/token-source.js';
import { fixture, StubServer } from './globus-stub-server.js';

const CLIENT_ID = '7ab3ebd3-bd53-4b25-bb1e-7e15e1ce8a55';
let server: StubServer;
let client: AuthClient;
let sleeps: number[];

function makeClient(opts: Partial<AuthClientOptions> = {}): AuthClient {
  return new AuthClient({ baseUrl: server.url, clientId: CLIENT_ID, env: {}, retry: { sleep: async (ms) => void sleeps.push(ms), random: () => 0 }, ...opts });
}

beforeEach(async () => {
  server = await StubServer.start();
  sleeps = [];
  client = makeClient();
});

afterEach(async () => {
  await client.close();
  await server.stop();
});

const form = (body: string) => Object.fromEntries(new URLSearchParams(body));

describe('authorizeUrl', () => {
  it('builds the native-app PKCE URL with offline access', () => {
    const url = new URL(client.authorizeUrl({ scopes: [TRANSFER_SCOPE, 'openid'], codeChallenge: 'chal', state: 'st', prefill: 'gsync on host1' }));
    expect(url.origin + url.pathname).toBe(server.url + 'v2/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: CLIENT_ID,
      redirect_uri: DEFAULT_NATIVE_REDIRECT_URI,
      scope: `${TRANSFER_SCOPE} openid`,
      state: 'st',
      response_type: 'code',
      code_challenge: 'chal',
      code_challenge_method: 'S256',
      access_type: 'offline',
      prefill_named_grant: 'gsync on host1',
    });
  });

  it('defaults to the real Auth service, and GLOBUS_SDK_SERVICE_URL_AUTH overrides it', async () => {
    const real = new AuthClient({ clientId: CLIENT_ID, env: {} });
    const local = new AuthClient({ clientId: CLIENT_ID, env: { GLOBUS_SDK_SERVICE_URL_AUTH: 'http://127.0.0.1:9/' } });
    expect(real.authorizeUrl({ scopes: 'x', codeChallenge: 'c', state: 's' })).toMatch(/^https:\/\/auth\.globus\.org\/v2\/oauth2\/authorize\?/);
    expect(local.authorizeUrl({ scopes: 'x', codeChallenge: 'c', state: 's' })).toMatch(/^http:\/\/127\.0\.0\.1:9\/v2\/oauth2\/authorize\?/);
    await real.close();
    await local.close();
  });
});

describe('PKCE', () => {
  it('matches the RFC 7636 appendix B example', () => {
    expect(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('creates a fresh 43-character verifier each time', () => {
    const a = createPkcePair();
    const b = createPkcePair();
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.verifier).not.toBe(b.verifier);
    expect(a.challenge).toBe(pkceChallenge(a.verifier));
  });
});

describe('token grants (native app: client_id in the body)', () => {
  it('exchanges an authorization code with its verifier', async () => {
    server.on('POST', '/v2/oauth2/token', { json: fixture('token_exchange_offline_with_other_tokens.json') });
    const res = await client.exchangeAuthorizationCode({ code: 'the-code', codeVerifier: 'the-verifier', redirectUri: DEFAULT_NATIVE_REDIRECT_URI });
    const [req] = server.requests;
    expect(req!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req!.headers.authorization).toBeUndefined();
    expect(form(req!.body)).toEqual({
      grant_type: 'authorization_code',
      code: 'the-code',
      code_verifier: 'the-verifier',
      redirect_uri: DEFAULT_NATIVE_REDIRECT_URI,
      client_id: CLIENT_ID,
    });
    const byRs = tokensByResourceServer(res, 1_000_000);
    expect(byRs['transfer.api.globus.org']).toEqual({
      resourceServer: 'transfer.api.globus.org',
      accessToken: 'transfer_access_token',
      refreshToken: 'transfer_refresh',
      scope: TRANSFER_SCOPE,
      expiresAt: 1_000_000 + 172_800_000,
    });
    expect(Object.keys(byRs).sort()).toEqual(['auth.globus.org', 'transfer.api.globus.org']);
  });

  it('refreshes a token', async () => {
    server.on('POST', '/v2/oauth2/token', { json: fixture('token_refresh.json') });
    const res = await client.refreshToken('old-refresh');
    expect(form(server.requests[0]!.body)).toEqual({ grant_type: 'refresh_token', refresh_token: 'old-refresh', client_id: CLIENT_ID });
    expect([res.access_token, res.refresh_token]).toEqual(['new-token', 'new-refresh-token']);
  });

  it('invalid_grant on refresh is an auth error (exit 77) naming gsync login, not retried', async () => {
    server.on('POST', '/v2/oauth2/token', { status: 401, json: fixture('token_error_invalid_grant.json') });
    const err = (await client.refreshToken('revoked').catch((e: unknown) => e)) as GlobusApiError;
    expect(err).toBeInstanceOf(GlobusApiError);
    expect([err.service, err.kind, err.code, err.httpStatus]).toEqual(['auth', 'auth', 'invalid_grant', 401]);
    expect(err.hint).toMatch(/gsync login/);
    expect(exitCodeFor(err)).toBe(77);
    expect(server.requests).toHaveLength(1);
  });

  it('invalid_grant with status 400 is also an auth error', async () => {
    server.on('POST', '/v2/oauth2/token', { status: 400, json: { error: 'invalid_grant', error_description: 'refresh token expired' } });
    const err = (await client.refreshToken('x').catch((e: unknown) => e)) as GlobusApiError;
    expect([err.kind, err.globusMessage]).toEqual(['auth', 'refresh token expired']);
  });

  it('revokes a token', async () => {
    server.on('POST', '/v2/oauth2/token/revoke', { json: fixture('token_revoke.json') });
    await client.revoke('some-refresh-token');
    expect(form(server.requests[0]!.body)).toEqual({ token: 'some-refresh-token', client_id: CLIENT_ID });
  });
});

describe('confidential client (HTTP Basic)', () => {
  it('sends client credentials as Basic auth and the scope in the body', async () => {
    client = makeClient({ clientSecret: 's3cret:with:colons' });
    server.on('POST', '/v2/oauth2/token', { json: fixture('token_client_credentials.json') });
    const res = await client.clientCredentials([TRANSFER_SCOPE]);
    const [req] = server.requests;
    expect(req!.headers.authorization).toBe('Basic ' + Buffer.from(`${CLIENT_ID}:s3cret:with:colons`).toString('base64'));
    expect(form(req!.body)).toEqual({ grant_type: 'client_credentials', scope: TRANSFER_SCOPE });
    expect(res.resource_server).toBe('transfer.api.globus.org');
    expect(res.refresh_token).toBeUndefined();
  });

  it('a rejected client is an auth error whose hint names the client variables', async () => {
    client = makeClient({ clientSecret: 'wrong' });
    server.on('POST', '/v2/oauth2/token', { status: 401, json: fixture('auth_error_unauthorized.json') });
    const err = (await client.clientCredentials(TRANSFER_SCOPE).catch((e: unknown) => e)) as GlobusApiError;
    expect([err.kind, err.code, err.globusMessage]).toEqual(['auth', 'unauthorized', 'Unauthorized']);
    expect(err.hint).toMatch(/GLOBUS_CLIENT_SECRET/);
    expect(server.requests).toHaveLength(1);
  });
});

describe('Auth retries', () => {
  it('retries a 500 and gives up with the JSON:API error once retries run out', async () => {
    server.on('POST', '/v2/oauth2/token', { status: 500, json: fixture('auth_error_unexpected_500.json') });
    const err = (await client.refreshToken('x').catch((e: unknown) => e)) as GlobusApiError;
    expect([err.kind, err.code, err.httpStatus]).toEqual(['failure', 'unexpected_error', 500]);
    expect(server.requests).toHaveLength(6);
  });

  it('recovers from a 503 on the token endpoint', async () => {
    server.on('POST', '/v2/oauth2/token', { status: 503, text: 'upstream down' }, { json: fixture('token_refresh.json') });
    expect((await client.refreshToken('x')).access_token).toBe('new-token');
    expect(sleeps).toEqual([250]); // (0.25 + 0.5 * 0) * 2^0 s, as the SDK
  });
});
