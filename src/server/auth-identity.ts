import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { json, type Reply } from './http.js';

/** The one person every login of the local server is: Auth's userinfo and the id_token's subject. */
export const LOCAL_IDENTITY = {
  sub: 'a6f1e5c0-4d3b-4c2a-9e8f-0d15c0a1e0aa',
  preferred_username: 'gsync-local@localhost',
  name: 'gsync local user',
  email: 'gsync-local@localhost',
  identity_provider: 'b6f1e5c0-4d3b-4c2a-9e8f-0d15c0a1e0bb',
  identity_provider_display_name: 'gsync local server',
  organization: 'gsync',
} as const;

/**
 * OIDC as Globus Auth serves it, so that globus-sdk-python's decode_id_token()
 * verifies the id_token: it reads /.well-known/openid-configuration, fetches
 * the key at `jwks_uri`, and checks an RS512 signature with the client id as
 * audience (globus_sdk/services/auth/id_token_decoder.py). The key pair is
 * made when the server starts and lives only in memory.
 */
export class OidcKeys {
  private pair: { privateKey: KeyObject; publicJwk: Record<string, unknown> } | undefined;
  readonly kid = randomUUID();

  constructor(private readonly rootUrl: () => string) {}

  /** Made on first use: most servers (every test's) never sign an id_token, and RSA key generation is slow. */
  private keys(): { privateKey: KeyObject; publicJwk: Record<string, unknown> } {
    if (!this.pair) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      this.pair = { privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), alg: 'RS512', use: 'sig', kid: this.kid } };
    }
    return this.pair;
  }

  get issuer(): string {
    return this.rootUrl().replace(/\/$/, '');
  }

  idToken(clientId: string, nowMs: number): string {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const iat = Math.floor(nowMs / 1000);
    const claims = { ...LOCAL_IDENTITY, iss: this.issuer, aud: clientId, iat, exp: iat + 172_800, at_hash: null };
    const signingInput = `${enc({ alg: 'RS512', typ: 'JWT', kid: this.kid })}.${enc(claims)}`;
    const signature = createSign('RSA-SHA512').update(signingInput).sign(this.keys().privateKey).toString('base64url');
    return `${signingInput}.${signature}`;
  }

  /** GET /jwk.json: {"keys": [jwk]}, the first key being the one that signs (get_jwk reads keys[0]). */
  jwks(): Reply {
    return json(200, { keys: [this.keys().publicJwk] });
  }

  /** GET /.well-known/openid-configuration, with the keys Globus Auth's document has that clients read. */
  configuration(): Reply {
    const root = this.rootUrl();
    return json(200, {
      issuer: this.issuer,
      authorization_endpoint: `${root}v2/oauth2/authorize`,
      token_endpoint: `${root}v2/oauth2/token`,
      userinfo_endpoint: `${root}v2/oauth2/userinfo`,
      revocation_endpoint: `${root}v2/oauth2/token/revoke`,
      jwks_uri: `${root}jwk.json`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
      id_token_signing_alg_values_supported: ['RS512'],
      scopes_supported: ['openid', 'email', 'profile'],
      subject_types_supported: ['public'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
      claims_supported: ['at_hash', 'aud', 'email', 'exp', 'name', 'nonce', 'preferred_username', 'iat', 'iss', 'sub'],
    });
  }
}

/**
 * GET or POST /v2/oauth2/userinfo (Auth API: "Get userinfo"): the caller's
 * identity for an Auth token carrying openid; with view_identity_set, the
 * identity_set globus-cli reads (commands/session/update.py).
 */
export function userinfo(scope: string | undefined): Reply {
  if (scope === undefined) return authError(401, 'UNAUTHORIZED', 'A valid bearer token for auth.globus.org is required');
  const scopes = scope.split(' ');
  if (!scopes.includes('openid')) return authError(403, 'FORBIDDEN', 'userinfo needs a token with the openid scope');
  const { sub, name, email, preferred_username, identity_provider, identity_provider_display_name, organization } = LOCAL_IDENTITY;
  const doc: Record<string, unknown> = { sub, preferred_username, identity_provider, identity_provider_display_name, organization };
  if (scopes.includes('profile')) doc.name = name;
  if (scopes.includes('email')) doc.email = email;
  if (scopes.includes('urn:globus:auth:scope:auth.globus.org:view_identity_set')) {
    doc.identity_set = [{ sub, name, email, username: preferred_username, identity_provider, identity_provider_display_name, organization, last_authentication: Math.floor(Date.now() / 1000) }];
  }
  return json(200, doc);
}

/**
 * An Auth error body the SDK parses: JSON:API `errors` carrying a `code`
 * (auth_error_unauthorized.json), beside OAuth's `error` and
 * `error_description` (RFC 6749 5.2) for OAuth clients.
 */
export function authError(status: number, code: string, detail: string, oauthError = code.toLowerCase()): Reply {
  return json(status, {
    errors: [{ status: String(status), id: randomUUID(), code, detail, title: detail }],
    error: oauthError,
    error_description: detail,
  });
}
