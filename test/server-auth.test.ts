import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_CLIENT_ID, DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET } from '../src/server/index.js';
import { DST_ID, fixture, keyDiff, pkce, postForm, SRC_ID, TRANSFER_SCOPE, world, type World } from './server-support.js';

let w: World;
beforeEach(async () => {
  w = await world({ rotateRefreshTokens: true });
});
afterEach(async () => w.cleanup());

/** Runs the authorize step as a browser would and scrapes the code from the page. */
async function authorizeCode(scope: string, challenge: string, extra: Record<string, string> = {}): Promise<string> {
  const url = new URL('v2/oauth2/authorize', w.srv.url);
  const params = { client_id: DEMO_CLIENT_ID, response_type: 'code', scope, code_challenge: challenge, code_challenge_method: 'S256', access_type: 'offline', state: 's1', redirect_uri: 'https://auth.globus.org/v2/web/auth-code', ...extra };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/text\/html/);
  const code = /<code id="auth-code">([^<]+)<\/code>/.exec(await res.text())?.[1];
  expect(code).toBeTruthy();
  return code!;
}

const tokenUrl = () => new URL('v2/oauth2/token', w.srv.url).toString();

describe('authorization code with PKCE', () => {
  it('exchanges a code for a Transfer token shaped like token_exchange.json that Transfer accepts', async () => {
    const p = pkce();
    const code = await authorizeCode(TRANSFER_SCOPE, p.challenge, { access_type: 'online' });
    const res = await postForm(tokenUrl(), { grant_type: 'authorization_code', code, code_verifier: p.verifier, client_id: DEMO_CLIENT_ID, redirect_uri: 'https://auth.globus.org/v2/web/auth-code' });
    expect(res.status).toBe(200);
    expect(keyDiff(res.body, fixture('token_exchange.json'))).toEqual([]);
    expect(res.body.resource_server).toBe('transfer.api.globus.org');
    const ep = await w.call('GET', `/v0.10/endpoint/${SRC_ID}`, undefined, res.body.access_token);
    expect(ep.status).toBe(200);
  });

  it('with Auth scopes and offline access, answers like token_exchange_offline_with_other_tokens.json', async () => {
    const p = pkce();
    const code = await authorizeCode(`openid profile email ${TRANSFER_SCOPE}[*https://auth.globus.org/scopes/${SRC_ID}/data_access]`, p.challenge);
    const res = await postForm(tokenUrl(), { grant_type: 'authorization_code', code, code_verifier: p.verifier, client_id: DEMO_CLIENT_ID });
    expect(res.status).toBe(200);
    expect(keyDiff(res.body, fixture('token_exchange_offline_with_other_tokens.json'))).toEqual([]);
    expect(res.body.resource_server).toBe('auth.globus.org');
    expect(res.body.other_tokens[0].resource_server).toBe('transfer.api.globus.org');
    expect(res.body.other_tokens[0].scope).toContain(`${SRC_ID}/data_access`);
  });

  it('refuses a wrong verifier with invalid_grant, and the code cannot be used again', async () => {
    const p = pkce();
    const code = await authorizeCode(TRANSFER_SCOPE, p.challenge);
    const wrong = await postForm(tokenUrl(), { grant_type: 'authorization_code', code, code_verifier: pkce().verifier, client_id: DEMO_CLIENT_ID });
    expect(wrong.status).toBe(400);
    // The recorded OAuth body, plus the JSON:API errors[] carrying a code globus-sdk-python reads (issue 28, 10).
    expect(wrong.body).toMatchObject(fixture('token_error_invalid_grant.json'));
    expect(wrong.body.errors[0]).toMatchObject({ code: 'INVALID_GRANT', status: '400' });
    const again = await postForm(tokenUrl(), { grant_type: 'authorization_code', code, code_verifier: p.verifier, client_id: DEMO_CLIENT_ID });
    expect(again.body.error).toBe('invalid_grant');
  });

  it('codes are single-use', async () => {
    const p = pkce();
    const code = await authorizeCode(TRANSFER_SCOPE, p.challenge);
    const fields = { grant_type: 'authorization_code', code, code_verifier: p.verifier, client_id: DEMO_CLIENT_ID };
    expect((await postForm(tokenUrl(), fields)).status).toBe(200);
    expect((await postForm(tokenUrl(), fields)).body.error).toBe('invalid_grant');
  });

  it('validates the authorize request: client, response_type, challenge method, scope', async () => {
    const p = pkce();
    const base = { client_id: DEMO_CLIENT_ID, response_type: 'code', scope: TRANSFER_SCOPE, code_challenge: p.challenge, code_challenge_method: 'S256' };
    const cases: Array<[Record<string, string>, string]> = [
      [{ client_id: '00000000-0000-0000-0000-000000000000' }, 'invalid_client'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ scope: 'urn:globus:auth:scope:nonsense:all' }, 'invalid_scope'],
    ];
    for (const [override, error] of cases) {
      const url = new URL('v2/oauth2/authorize', w.srv.url);
      for (const [k, v] of Object.entries({ ...base, ...override })) url.searchParams.set(k, v);
      const res = await fetch(url);
      expect(res.status).toBe(400);
      expect((await res.json()).error).toBe(error);
    }
  });

  it('redirects to a non-default redirect_uri with code and state', async () => {
    const url = new URL('v2/oauth2/authorize', w.srv.url);
    const p = pkce();
    for (const [k, v] of Object.entries({ client_id: DEMO_CLIENT_ID, response_type: 'code', scope: TRANSFER_SCOPE, code_challenge: p.challenge, code_challenge_method: 'S256', state: 'xyz', redirect_uri: 'http://127.0.0.1:9/cb' })) {
      url.searchParams.set(k, v);
    }
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location')!);
    expect(to.searchParams.get('state')).toBe('xyz');
    const ok = await postForm(tokenUrl(), { grant_type: 'authorization_code', code: to.searchParams.get('code')!, code_verifier: p.verifier, client_id: DEMO_CLIENT_ID, redirect_uri: 'http://127.0.0.1:9/cb' });
    expect(ok.status).toBe(200);
  });
});

describe('refresh tokens', () => {
  it('rotates when rotateRefreshTokens is on: the old refresh token is then invalid_grant', async () => {
    const first = w.srv.issueTokens();
    const r1 = await postForm(tokenUrl(), { grant_type: 'refresh_token', refresh_token: first.refresh_token!, client_id: DEMO_CLIENT_ID });
    expect(r1.status).toBe(200);
    expect(keyDiff(r1.body, fixture('token_refresh.json'))).toEqual([]);
    expect(r1.body.refresh_token).not.toBe(first.refresh_token);
    expect(r1.body.access_token).not.toBe(first.access_token);
    const reuse = await postForm(tokenUrl(), { grant_type: 'refresh_token', refresh_token: first.refresh_token!, client_id: DEMO_CLIENT_ID });
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    const r2 = await postForm(tokenUrl(), { grant_type: 'refresh_token', refresh_token: r1.body.refresh_token, client_id: DEMO_CLIENT_ID });
    expect(r2.status).toBe(200);
  });

  it('keeps the same refresh token when rotation is off', async () => {
    await w.cleanup();
    w = await world();
    const first = w.srv.issueTokens();
    const fields = { grant_type: 'refresh_token', refresh_token: first.refresh_token!, client_id: DEMO_CLIENT_ID };
    const r1 = await postForm(tokenUrl(), fields);
    expect(r1.body.refresh_token).toBe(first.refresh_token);
    expect((await postForm(tokenUrl(), fields)).status).toBe(200);
  });

  it('after expireTokens the access token gets 401 and a refresh brings a working one', async () => {
    const t = w.srv.issueTokens();
    w.srv.faults.expireTokens();
    const denied = await w.call('GET', '/v0.10/submission_id', undefined, t.access_token);
    expect(denied.status).toBe(401);
    expect(keyDiff(denied.body, fixture('error_authentication_failed.json'))).toEqual([]);
    const r = await postForm(tokenUrl(), { grant_type: 'refresh_token', refresh_token: t.refresh_token!, client_id: DEMO_CLIENT_ID });
    expect((await w.call('GET', '/v0.10/submission_id', undefined, r.body.access_token)).status).toBe(200);
  });

  it('after revokeTokens both access and refresh tokens are dead', async () => {
    const t = w.srv.issueTokens();
    w.srv.faults.revokeTokens();
    expect((await w.call('GET', '/v0.10/submission_id', undefined, t.access_token)).status).toBe(401);
    const r = await postForm(tokenUrl(), { grant_type: 'refresh_token', refresh_token: t.refresh_token!, client_id: DEMO_CLIENT_ID });
    expect(r.body.error).toBe('invalid_grant');
  });

  it('tokens expire after tokenTtlSeconds', async () => {
    await w.cleanup();
    w = await world({ tokenTtlSeconds: 1 });
    const t = w.srv.issueTokens();
    expect(t.expires_in).toBe(1);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await w.call('GET', '/v0.10/submission_id', undefined, t.access_token)).status).toBe(401);
  });
});

describe('revoke', () => {
  it('revoking a refresh token answers {active:false} and kills it and its access token', async () => {
    const t = w.srv.issueTokens();
    const res = await postForm(new URL('v2/oauth2/token/revoke', w.srv.url).toString(), { token: t.refresh_token!, client_id: DEMO_CLIENT_ID });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(fixture('token_revoke.json'));
    expect((await w.call('GET', '/v0.10/submission_id', undefined, t.access_token)).status).toBe(401);
    expect((await postForm(tokenUrl(), { grant_type: 'refresh_token', refresh_token: t.refresh_token!, client_id: DEMO_CLIENT_ID })).body.error).toBe('invalid_grant');
  });

  it('revoking an access token leaves the refresh token usable', async () => {
    const t = w.srv.issueTokens();
    await postForm(new URL('v2/oauth2/token/revoke', w.srv.url).toString(), { token: t.access_token, client_id: DEMO_CLIENT_ID });
    expect((await w.call('GET', '/v0.10/submission_id', undefined, t.access_token)).status).toBe(401);
    expect((await postForm(tokenUrl(), { grant_type: 'refresh_token', refresh_token: t.refresh_token!, client_id: DEMO_CLIENT_ID })).status).toBe(200);
  });
});

describe('client credentials', () => {
  it('grants the requested scopes to a confidential client over Basic auth, shaped like token_client_credentials.json', async () => {
    const scope = `${TRANSFER_SCOPE}[*https://auth.globus.org/scopes/${SRC_ID}/data_access]`;
    const res = await postForm(tokenUrl(), { grant_type: 'client_credentials', scope }, [DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET]);
    expect(res.status).toBe(200);
    expect(keyDiff(res.body, fixture('token_client_credentials.json'))).toEqual([]);
    expect(res.body.scope).toBe(scope);
    expect(res.body.refresh_token).toBeUndefined();
    w.srv.faults.requireConsent(SRC_ID);
    expect((await w.call('GET', `/v0.10/operation/endpoint/${SRC_ID}/ls?path=/`, undefined, res.body.access_token)).status).toBe(200);
  });

  // Real Auth answers "Unknown Scope" for a data_access scope of a collection without one.
  it.each([
    ['guest', 'guest'],
    ['Globus Connect Personal', 'gcp'],
    ['high-assurance mapped', 'mapped-ha'],
  ] as const)('refuses a data_access scope for a %s collection with invalid_scope "Unknown Scope"', async (_name, kind) => {
    const id = '33333333-2222-3333-4444-555555555555';
    w.srv.addCollection({ id, root: w.dst, kind: kind === 'mapped-ha' ? 'mapped' : kind, highAssurance: kind === 'mapped-ha' });
    const scope = `${TRANSFER_SCOPE}[*https://auth.globus.org/scopes/${id}/data_access]`;
    const res = await postForm(tokenUrl(), { grant_type: 'client_credentials', scope }, [DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET]);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_scope');
    expect(res.body.error_description).toMatch(/^Unknown Scope .*data_access/);
  });

  it('refuses a wrong secret with 401 shaped like auth_error_unauthorized.json', async () => {
    const res = await postForm(tokenUrl(), { grant_type: 'client_credentials', scope: TRANSFER_SCOPE }, [DEMO_SERVICE_CLIENT_ID, 'wrong']);
    expect(res.status).toBe(401);
    expect(keyDiff(res.body, fixture('auth_error_unauthorized.json'))).toEqual([]);
  });

  it('refuses the grant to a native app that has no secret', async () => {
    const res = await postForm(tokenUrl(), { grant_type: 'client_credentials', scope: TRANSFER_SCOPE, client_id: DEMO_CLIENT_ID });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('unauthorized_client');
  });
});

describe('Transfer authentication', () => {
  it('answers 401 AuthenticationFailed without a token, with an unknown one, and with an Auth-only token', async () => {
    const authOnly = w.srv.issueTokens({ scope: 'openid profile' });
    for (const tok of ['', 'not-a-token', authOnly.access_token]) {
      const res = await w.call('GET', '/v0.10/submission_id', undefined, tok);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('ClientError.AuthenticationFailed');
    }
  });
});
