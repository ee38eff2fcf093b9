import { createHash, randomBytes } from 'node:crypto';
import { AUTH_RS, type GrantedScopes } from './scopes.js';

interface AccessRecord {
  clientId: string;
  scope: string;
  resourceServer: string;
  expiresAt: number;
  revoked: boolean;
  /** The refresh token issued with it or used to obtain it; revoking that one revokes this too. */
  refreshToken?: string;
}

interface RefreshRecord {
  clientId: string;
  scope: string;
  resourceServer: string;
  revoked: boolean;
}

interface CodeRecord {
  clientId: string;
  challenge: string;
  scope: GrantedScopes;
  redirectUri?: string;
  offline: boolean;
  expiresAt: number;
}

/** One token as Globus Auth returns it (token_exchange.json, and each entry of other_tokens). */
export interface IssuedToken {
  access_token: string;
  scope: string;
  expires_in: number;
  token_type: 'Bearer';
  resource_server: string;
  state?: string;
  refresh_token?: string;
}

export interface TokenResponseDocument extends IssuedToken {
  other_tokens: IssuedToken[];
  id_token?: string;
}

export type TransferAuth = { ok: true; scope: string; clientId: string } | { ok: false; reason: string };

const CODE_TTL_MS = 10 * 60_000;

const secret = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;

/**
 * Everything Auth has handed out. Token values are opaque random strings;
 * only this registry can tell what they grant.
 */
export class TokenRegistry {
  private readonly access = new Map<string, AccessRecord>();
  private readonly refresh = new Map<string, RefreshRecord>();
  private readonly codes = new Map<string, CodeRecord>();

  constructor(
    private readonly ttlSeconds: () => number,
    private readonly rotate: () => boolean,
    /** Signs an id_token for the client (auth-identity.ts); unsigned ones fail decode_id_token. */
    private readonly idToken: (clientId: string, nowMs: number) => string,
    private readonly now: () => number = Date.now,
  ) {}

  newCode(rec: Omit<CodeRecord, 'expiresAt'>): string {
    const code = secret('');
    this.codes.set(code, { ...rec, expiresAt: this.now() + CODE_TTL_MS });
    return code;
  }

  /** Codes are single-use: any attempt, right or wrong, consumes the code. */
  redeemCode(code: string, clientId: string, verifier: string, redirectUri: string | undefined): TokenResponseDocument | undefined {
    const rec = this.codes.get(code);
    this.codes.delete(code);
    if (!rec || rec.expiresAt < this.now() || rec.clientId !== clientId) return undefined;
    if (rec.redirectUri !== undefined && redirectUri !== undefined && rec.redirectUri !== redirectUri) return undefined;
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return undefined;
    if (createHash('sha256').update(verifier).digest('base64url') !== rec.challenge) return undefined;
    return this.issue(clientId, rec.scope, { refresh: rec.offline, state: '_default' });
  }

  /**
   * A response shaped as Globus sends it: with Auth scopes the top-level token
   * is for auth.globus.org and Transfer's rides in other_tokens
   * (token_exchange_offline_with_other_tokens.json); otherwise Transfer's is on top.
   */
  issue(clientId: string, granted: GrantedScopes, opts: { refresh: boolean; state?: string }): TokenResponseDocument {
    const tokens = [...granted.byResourceServer.entries()]
      .sort(([a], [b]) => (a === AUTH_RS ? -1 : b === AUTH_RS ? 1 : 0))
      .map(([rs, scope]) => this.mint(clientId, rs, scope, opts.refresh ? this.newRefresh(clientId, rs, scope) : undefined, opts.state));
    const [top, ...others] = tokens;
    const doc: TokenResponseDocument = { ...top!, other_tokens: others };
    if (granted.openid) doc.id_token = this.idToken(clientId, this.now());
    return doc;
  }

  refreshGrant(clientId: string, refreshToken: string): TokenResponseDocument | undefined {
    const rec = this.refresh.get(refreshToken);
    if (!rec || rec.revoked || rec.clientId !== clientId) return undefined;
    let rt = refreshToken;
    if (this.rotate()) {
      this.revokeRefresh(refreshToken, false);
      rt = this.newRefresh(clientId, rec.resourceServer, rec.scope);
    }
    return { ...this.mint(clientId, rec.resourceServer, rec.scope, rt), other_tokens: [] };
  }

  /** RFC 7009: revoking a refresh token also revokes the access tokens that came with it. */
  revoke(token: string): void {
    const a = this.access.get(token);
    if (a) a.revoked = true;
    if (this.refresh.has(token)) this.revokeRefresh(token, true);
  }

  checkTransfer(token: string, transferRs: string): TransferAuth {
    const a = this.access.get(token);
    if (!a) return { ok: false, reason: 'Token is not valid' };
    if (a.revoked) return { ok: false, reason: 'Token is not active (revoked)' };
    if (a.expiresAt <= this.now()) return { ok: false, reason: 'Token is not active (expired)' };
    if (a.resourceServer !== transferRs) return { ok: false, reason: `Token is for ${a.resourceServer}, not ${transferRs}` };
    return { ok: true, scope: a.scope, clientId: a.clientId };
  }

  /** token/validate: a live access or refresh token issued to this client. */
  isActive(token: string, clientId: string): boolean {
    const a = this.access.get(token);
    if (a) return a.clientId === clientId && !a.revoked && a.expiresAt > this.now();
    const r = this.refresh.get(token);
    return r !== undefined && r.clientId === clientId && !r.revoked;
  }

  /** The scopes of a live access token for Auth itself (userinfo), else undefined. */
  authScope(token: string): string | undefined {
    const a = this.access.get(token);
    if (!a || a.revoked || a.expiresAt <= this.now() || a.resourceServer !== AUTH_RS) return undefined;
    return a.scope;
  }

  expireAll(): void {
    const past = this.now() - 1;
    for (const a of this.access.values()) a.expiresAt = Math.min(a.expiresAt, past);
  }

  revokeAll(): void {
    for (const a of this.access.values()) a.revoked = true;
    for (const r of this.refresh.values()) r.revoked = true;
  }

  /** Every token value handed out, so tests can search logs and files for leaks. */
  allValues(): string[] {
    return [...this.access.keys(), ...this.refresh.keys()];
  }

  private mint(clientId: string, resourceServer: string, scope: string, refreshToken: string | undefined, state?: string): IssuedToken {
    const value = secret('L');
    const ttl = this.ttlSeconds();
    this.access.set(value, { clientId, scope, resourceServer, expiresAt: this.now() + ttl * 1000, revoked: false, refreshToken });
    const t: IssuedToken = { access_token: value, scope, expires_in: ttl, token_type: 'Bearer', resource_server: resourceServer };
    if (state !== undefined) t.state = state;
    if (refreshToken !== undefined) t.refresh_token = refreshToken;
    return t;
  }

  private newRefresh(clientId: string, resourceServer: string, scope: string): string {
    const value = secret('R');
    this.refresh.set(value, { clientId, scope, resourceServer, revoked: false });
    return value;
  }

  private revokeRefresh(token: string, withAccess: boolean): void {
    const r = this.refresh.get(token);
    if (r) r.revoked = true;
    if (withAccess) for (const a of this.access.values()) if (a.refreshToken === token) a.revoked = true;
  }
}
