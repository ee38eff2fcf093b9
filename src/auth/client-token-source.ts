import { TRANSFER_SCOPE, type TokenSource } from '../globus/token-source.js';
import type { AuthApi } from './auth-api.js';
import { REFRESH_MARGIN_SECONDS } from './user-token-source.js';

interface CachedToken {
  accessToken: string;
  expiresAt: number;
}

/**
 * A service account's token from the client-credentials grant. There is no
 * refresh token and nothing to save: a new grant is as cheap as a refresh, so
 * the token lives in memory only and nothing secret-derived touches the disk.
 */
export class ClientTokenSource implements TokenSource {
  private cached?: CachedToken;
  private scope: string;

  constructor(
    private readonly auth: Pick<AuthApi, 'clientCredentials'>,
    private readonly opts: { scope?: string; now?: () => number; marginSeconds?: number } = {},
  ) {
    this.scope = opts.scope ?? TRANSFER_SCOPE;
  }

  private nowSeconds(): number {
    return Math.floor((this.opts.now ?? Date.now)() / 1000);
  }

  get currentScope(): string {
    return this.scope;
  }

  expiresAt(): number | undefined {
    return this.cached?.expiresAt;
  }

  async transferToken(): Promise<string> {
    const c = this.cached;
    if (c && c.expiresAt - this.nowSeconds() > (this.opts.marginSeconds ?? REFRESH_MARGIN_SECONDS)) return c.accessToken;
    return this.grant();
  }

  async refreshAfterUnauthorized(): Promise<string> {
    return this.grant();
  }

  /** Ask again with a different scope string (ConsentRequired named the scopes needed). */
  async requestScope(scope: string): Promise<string> {
    this.scope = scope;
    return this.grant();
  }

  private async grant(): Promise<string> {
    const res = await this.auth.clientCredentials(this.scope);
    this.cached = { accessToken: res.access_token, expiresAt: this.nowSeconds() + res.expires_in };
    return res.access_token;
  }
}
