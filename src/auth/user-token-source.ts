import { GsyncError } from '../errors/errors.js';
import { GlobusApiError } from '../globus/errors.js';
import { TRANSFER_RESOURCE_SERVER, type TokenSource } from '../globus/token-source.js';
import type { AuthApi, TokenResponse } from './auth-api.js';
import type { StoredToken, TokenFile, TokenStore } from './token-store.js';

/**
 * Refresh this long before expiry. Globus access tokens live 48 h, so five
 * minutes costs nothing, and it absorbs clock skew on cluster nodes without
 * good NTP plus the time between fetching a token and Globus checking it.
 */
export const REFRESH_MARGIN_SECONDS = 300;

export interface UserTokenSourceOptions {
  store: TokenStore;
  auth: Pick<AuthApi, 'refreshToken'>;
  /** The command to name in "run: gsync login --config FILE". */
  loginHint: string;
  now?: () => number;
  marginSeconds?: number;
}

/**
 * Tokens from `gsync login`, kept in the token file. Every call reads the
 * file (it is tiny), so a run sees a refresh made by another run or a new
 * login at once. Refreshing happens under the store's lock after a fresh
 * read: of ten runs that find the token expiring, one refreshes and nine
 * use its result instead of spending the refresh token again.
 */
export class UserTokenSource implements TokenSource {
  private lastToken?: string;

  constructor(private readonly opts: UserTokenSourceOptions) {}

  private nowSeconds(): number {
    return Math.floor((this.opts.now ?? Date.now)() / 1000);
  }

  private isFresh(t: StoredToken): boolean {
    return t.expires_at - this.nowSeconds() > (this.opts.marginSeconds ?? REFRESH_MARGIN_SECONDS);
  }

  async transferToken(): Promise<string> {
    const t = this.current(this.opts.store.read());
    if (this.isFresh(t)) return (this.lastToken = t.access_token);
    return this.refresh(t.access_token);
  }

  async refreshAfterUnauthorized(): Promise<string> {
    const stale = this.lastToken ?? this.current(this.opts.store.read()).access_token;
    return this.refresh(stale, { force: true });
  }

  /**
   * Throws the login-needed error a run would meet later, from the token file
   * alone: no file, no Transfer token, or an expired token with nothing to
   * refresh it. A refresh token that Globus has revoked shows only on use.
   */
  requireStoredLogin(): void {
    const t = this.current(this.opts.store.read());
    if (!this.isFresh(t) && !t.refresh_token) {
      throw this.loginNeeded('the stored Globus login has no refresh token and its access token has expired');
    }
  }

  /** When the stored access token expires (unix seconds), or undefined without a login. */
  expiresAt(): number | undefined {
    return this.opts.store.read()?.tokens[TRANSFER_RESOURCE_SERVER]?.expires_at;
  }

  /**
   * Refresh unless someone else already replaced `staleToken`. `force` refreshes
   * even a token that looks fresh (Globus answered 401 for it: revoked, or the
   * clocks disagree).
   */
  async refresh(staleToken: string, { force = false } = {}): Promise<string> {
    return this.opts.store.update(async (file) => {
      const t = this.current(file);
      const replaced = t.access_token !== staleToken;
      if ((replaced || !force) && this.isFresh(t)) return { result: (this.lastToken = t.access_token) };
      if (!t.refresh_token) {
        throw this.loginNeeded('the stored Globus login has no refresh token and its access token has expired');
      }
      let res: TokenResponse;
      try {
        res = await this.opts.auth.refreshToken(t.refresh_token);
      } catch (err) {
        if (isInvalidGrant(err)) {
          throw this.loginNeeded('Globus rejected the stored refresh token (invalid_grant: it expired or was revoked)', err);
        }
        throw err;
      }
      const next = mergeTokens(file!, res, TRANSFER_RESOURCE_SERVER, this.nowSeconds());
      const access = next.tokens[TRANSFER_RESOURCE_SERVER]!.access_token;
      return { next, result: (this.lastToken = access) };
    });
  }

  private current(file: TokenFile | undefined): StoredToken {
    if (!file) throw this.loginNeeded(`no Globus login for this job (no token file at ${this.opts.store.file})`);
    const t = file.tokens[TRANSFER_RESOURCE_SERVER];
    if (!t) throw this.loginNeeded(`the token file ${this.opts.store.file} holds no Transfer token`);
    return t;
  }

  private loginNeeded(message: string, cause?: unknown): LoginNeededError {
    return new LoginNeededError(message, this.opts.loginHint, cause);
  }
}

/**
 * No stored login that can still be refreshed (no token file, no Transfer
 * token, nothing to refresh with, or the refresh token refused): the auth
 * error that a new login, and only a login, fixes. test-config offers one.
 */
export class LoginNeededError extends GsyncError {
  constructor(message: string, hint: string, cause?: unknown) {
    super('auth', message, { hint, cause });
    this.name = 'LoginNeededError';
  }
}

export function isInvalidGrant(err: unknown): boolean {
  return err instanceof GlobusApiError && err.service === 'auth' && err.code === 'invalid_grant';
}

/**
 * Fold a token response (and its other_tokens) into the file. A refresh that
 * does not rotate the refresh token keeps the old one; a response for a
 * resource server without a name is taken to be for `defaultServer`.
 */
export function mergeTokens(file: TokenFile, res: TokenResponse, defaultServer: string, nowSeconds: number): TokenFile {
  const tokens = { ...file.tokens };
  for (const r of [res, ...(res.other_tokens ?? [])]) {
    const server = r.resource_server || defaultServer;
    const old = tokens[server];
    tokens[server] = {
      access_token: r.access_token,
      expires_at: nowSeconds + r.expires_in,
      scope: r.scope ?? old?.scope ?? '',
      ...((r.refresh_token ?? old?.refresh_token) ? { refresh_token: (r.refresh_token ?? old?.refresh_token)! } : {}),
    };
  }
  return { ...file, tokens };
}
