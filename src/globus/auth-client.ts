import { createHash, randomBytes } from 'node:crypto';
import { serviceHttp, type GlobusHttp, type RequestSpec, type ServiceClientOptions } from './http.js';
import { revokeResultSchema, tokenResponseSchema, type TokenResponse } from './auth-schemas.js';

export const AUTH_URL_ENV = 'GLOBUS_SDK_SERVICE_URL_AUTH';
export const DEFAULT_AUTH_URL = 'https://auth.globus.org/';
/** Where Globus shows a native app's code for the user to paste back. */
export const DEFAULT_NATIVE_REDIRECT_URI = 'https://auth.globus.org/v2/web/auth-code';

export interface AuthClientOptions extends ServiceClientOptions {
  clientId: string;
  /** Confidential clients only; then requests use HTTP Basic auth instead of client_id in the body. */
  clientSecret?: string;
}

export interface AuthorizeUrlOptions {
  scopes: string[] | string;
  /** base64url(SHA-256(verifier)); see createPkcePair(). */
  codeChallenge: string;
  state: string;
  redirectUri?: string;
  /** Suggested name for the grant shown on the user's consents page. */
  prefill?: string;
}

export interface CodeExchange {
  code: string;
  codeVerifier: string;
  redirectUri?: string;
}

/** A token with its absolute expiry, as one would store it. */
export interface TokenData {
  resourceServer: string;
  accessToken: string;
  refreshToken: string | null;
  scope: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/**
 * Globus Auth's OAuth2 endpoints for the grants gsync uses: authorization code
 * with PKCE (native app), refresh token, client credentials, and revocation.
 */
export class AuthClient {
  readonly clientId: string;
  private readonly clientSecret?: string;
  private readonly http: GlobusHttp;

  constructor(opts: AuthClientOptions) {
    this.clientId = opts.clientId;
    this.clientSecret = opts.clientSecret;
    this.http = serviceHttp('auth', AUTH_URL_ENV, DEFAULT_AUTH_URL, opts);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** The URL a person opens to log in; offline access so a refresh token comes back. */
  authorizeUrl(opts: AuthorizeUrlOptions): string {
    const url = new URL('v2/oauth2/authorize', this.http.baseUrl);
    const params: Record<string, string | undefined> = {
      client_id: this.clientId,
      redirect_uri: opts.redirectUri ?? DEFAULT_NATIVE_REDIRECT_URI,
      scope: Array.isArray(opts.scopes) ? opts.scopes.join(' ') : opts.scopes,
      state: opts.state,
      response_type: 'code',
      code_challenge: opts.codeChallenge,
      code_challenge_method: 'S256',
      access_type: 'offline',
      prefill_named_grant: opts.prefill,
    };
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
    return url.toString();
  }

  async exchangeAuthorizationCode(opts: CodeExchange): Promise<TokenResponse> {
    return this.token({
      grant_type: 'authorization_code',
      code: opts.code,
      code_verifier: opts.codeVerifier,
      redirect_uri: opts.redirectUri ?? DEFAULT_NATIVE_REDIRECT_URI,
    });
  }

  /** An `invalid_grant` answer (revoked or expired refresh token) is a GlobusApiError of kind 'auth'. */
  async refreshToken(refreshToken: string): Promise<TokenResponse> {
    return this.token({ grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  async clientCredentials(scopes: string[] | string): Promise<TokenResponse> {
    return this.token({ grant_type: 'client_credentials', scope: Array.isArray(scopes) ? scopes.join(' ') : scopes });
  }

  async revoke(token: string): Promise<void> {
    await this.http.send(this.form('v2/oauth2/token/revoke', { token }), revokeResultSchema);
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private token(fields: Record<string, string>): Promise<TokenResponse> {
    return this.http.send(this.form('v2/oauth2/token', fields), tokenResponseSchema);
  }

  private form(path: string, fields: Record<string, string>): RequestSpec {
    if (this.clientSecret === undefined) {
      return { method: 'POST', path, form: { ...fields, client_id: this.clientId } };
    }
    const basic = Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64');
    return { method: 'POST', path, form: fields, authorization: async () => `Basic ${basic}` };
  }
}

/** The token response and its other_tokens, keyed by resource server (as the SDK's by_resource_server). */
export function tokensByResourceServer(res: TokenResponse, now: number = Date.now()): Record<string, TokenData> {
  const out: Record<string, TokenData> = {};
  for (const t of [res, ...res.other_tokens]) {
    out[t.resource_server] = {
      resourceServer: t.resource_server,
      accessToken: t.access_token,
      refreshToken: t.refresh_token ?? null,
      scope: t.scope,
      expiresAt: now + t.expires_in * 1000,
    };
  }
  return out;
}

/** A PKCE verifier (43 chars of base64url, RFC 7636) and its S256 challenge. */
export function createPkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: pkceChallenge(verifier) };
}

export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}
