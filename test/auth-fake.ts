import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import type { AuthApi, CollectionInfo, CollectionLookup, TokenResponse } from '../src/auth/auth-api.js';
import { pkceChallenge } from '../src/globus/auth-client.js';
import { GlobusApiError } from '../src/globus/errors.js';
import { createLogger, type Logger } from '../src/log/logger.js';

/** A stand-in for Globus Auth that keeps the rules that matter here: PKCE, rotation, revocation. */
export class FakeAuth implements AuthApi {
  readonly issued: string[] = []; // every token value handed out, to search logs for
  readonly codes = new Map<string, { challenge: string; scope: string }>();
  readonly liveRefresh = new Set<string>();
  readonly revoked: string[] = [];
  readonly clientScopes: string[] = [];
  refreshCalls = 0;
  rotate = true;
  expiresIn = 172_800;
  lastAuthorizeUrl = '';

  authorizeUrl(p: { scopes: string; codeChallenge: string; state: string }): string {
    const code = this.secret('code');
    this.codes.set(code, { challenge: p.codeChallenge, scope: p.scopes });
    const url = new URL('http://127.0.0.1:9/v2/oauth2/authorize');
    url.searchParams.set('scope', p.scopes);
    url.searchParams.set('code_challenge', p.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
    url.searchParams.set('state', p.state);
    url.searchParams.set('fake_code', code); // what a person would see after approving
    return (this.lastAuthorizeUrl = url.toString());
  }

  async exchangeAuthorizationCode(p: { code: string; codeVerifier: string }): Promise<TokenResponse> {
    const entry = this.codes.get(p.code);
    if (!entry || pkceChallenge(p.codeVerifier) !== entry.challenge) throw invalidGrant();
    this.codes.delete(p.code);
    return this.tokenSet(entry.scope, true);
  }

  async refreshToken(rt: string): Promise<TokenResponse> {
    this.refreshCalls++;
    if (!this.liveRefresh.has(rt)) throw invalidGrant();
    if (!this.rotate) return { ...this.tokenSet('urn:globus:auth:scope:transfer.api.globus.org:all', false) };
    this.liveRefresh.delete(rt);
    return this.tokenSet('urn:globus:auth:scope:transfer.api.globus.org:all', true);
  }

  async clientCredentials(scope: string): Promise<TokenResponse> {
    this.clientScopes.push(scope);
    return this.tokenSet(scope, false);
  }

  async revoke(token: string): Promise<void> {
    this.revoked.push(token);
    this.liveRefresh.delete(token);
  }

  /** Hand out a refresh token the fake will honour, for seeding a token file. */
  mintRefreshToken(): string {
    const rt = this.secret('RT');
    this.liveRefresh.add(rt);
    return rt;
  }

  private tokenSet(scope: string, withRefresh: boolean): TokenResponse {
    const res: TokenResponse = { access_token: this.secret('AT'), expires_in: this.expiresIn, resource_server: 'transfer.api.globus.org', scope, other_tokens: [] };
    if (withRefresh) res.refresh_token = this.mintRefreshToken();
    return res;
  }

  private secret(prefix: string): string {
    const v = `${prefix}${crypto.randomBytes(12).toString('hex')}`;
    this.issued.push(v);
    return v;
  }
}

export function invalidGrant(): GlobusApiError {
  return new GlobusApiError({ service: 'auth', httpStatus: 400, code: 'invalid_grant', message: 'invalid_grant', method: 'POST', path: 'v2/oauth2/token', requiredScopes: [] });
}

export function fakeCollections(infos: CollectionInfo[]): CollectionLookup & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async getEndpoint(id) {
      calls.push(id);
      const info = infos.find((i) => i.id === id);
      if (!info) throw new Error(`no collection ${id}`);
      return info;
    },
  };
}

/** A JSON logger at trace level whose every line is kept, to check that no token leaks. */
export function capturedLogger(): { logger: Logger; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _e, done) {
      text += chunk.toString();
      done();
    },
  });
  return { logger: createLogger({ stream, json: true, level: 'trace' }), text: () => text };
}
