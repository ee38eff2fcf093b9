import { authError } from './auth-identity.js';
import { html, json, newUuid, type Reply } from './http.js';
import type { ClientSpec } from './options.js';
import { grantScopes, TRANSFER_SCOPE_URN } from './scopes.js';
import type { TokenRegistry } from './tokens.js';

/** The page Globus shows for the native-app redirect; a person (or a test) copies the code from it. */
export const NATIVE_REDIRECT_URI = 'https://auth.globus.org/v2/web/auth-code';

export interface AuthContext {
  tokens: TokenRegistry;
  clients: Map<string, ClientSpec>;
  /** False for a collection with no data_access scope; collections this server does not serve count as having one. */
  hasDataAccessScope(collectionId: string): boolean;
}

/**
 * OAuth's error body: {"error": "..."} (token_error_invalid_grant.json, RFC 6749 5.2), carried
 * in the JSON:API `errors` shape too, so the SDK reads a `code` (INVALID_GRANT...) from it.
 */
const oauthError = (status: number, error: string, description?: string): Reply => authError(status, error.toUpperCase(), description ?? error, error);

/** RFC 6749 answers a bad grant with 400; the SDK fixture registers 401, which the live service does not send. */
const invalidGrant = (): Reply => oauthError(400, 'invalid_grant');

/** auth_error_unauthorized.json: the JSON:API body Auth sends when the client cannot be authenticated. */
function unauthorized(detail: string): Reply {
  return json(401, {
    errors: [{ status: '401', id: newUuid(), code: 'UNAUTHORIZED', detail, title: 'Unauthorized' }],
    error_description: 'Unauthorized',
    error: 'unauthorized',
  });
}

/**
 * GET /v2/oauth2/authorize. There is no user to ask, so a valid request is
 * approved at once. For the default native redirect the answer is the page
 * holding the code; any other redirect_uri gets a 302 carrying code and state.
 */
export function authorize(ctx: AuthContext, q: URLSearchParams): Reply {
  const clientId = q.get('client_id') ?? '';
  if (!ctx.clients.has(clientId)) return oauthError(400, 'invalid_client', `unknown client_id "${clientId}"`);
  if (q.get('response_type') !== 'code') return oauthError(400, 'unsupported_response_type', 'response_type must be "code"');
  const challenge = q.get('code_challenge') ?? '';
  if (q.get('code_challenge_method') !== 'S256') return oauthError(400, 'invalid_request', 'code_challenge_method must be "S256"');
  if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) return oauthError(400, 'invalid_request', 'code_challenge must be base64url(SHA-256(verifier)), 43 characters');
  const granted = grantScopes(q.get('scope') ?? '', ctx.hasDataAccessScope);
  if (typeof granted === 'string') return oauthError(400, 'invalid_scope', granted);
  const redirect = q.get('redirect_uri') ?? undefined;
  const code = ctx.tokens.newCode({ clientId, challenge, scope: granted, redirectUri: redirect, offline: q.get('access_type') === 'offline' });
  if (redirect === undefined || redirect === NATIVE_REDIRECT_URI) {
    return html(200, `<!doctype html><title>Globus Auth: authorization code</title><p>Copy this code back into the application:</p><code id="auth-code">${code}</code>`);
  }
  const to = new URL(redirect);
  to.searchParams.set('code', code);
  const state = q.get('state');
  if (state !== null) to.searchParams.set('state', state);
  return { status: 302, body: '', contentType: 'text/plain', headers: { location: to.toString() } };
}

/** Who is calling: HTTP Basic for confidential clients, client_id in the form for native apps. */
function identify(ctx: AuthContext, form: URLSearchParams, authorization: string | undefined): { clientId: string } | Reply {
  let id = form.get('client_id') ?? undefined;
  let secret = form.get('client_secret') ?? undefined;
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) return unauthorized('Malformed Basic authorization header');
    id = decodeURIComponent(decoded.slice(0, i));
    secret = decodeURIComponent(decoded.slice(i + 1));
  }
  if (id === undefined) return unauthorized('Call must be authenticated');
  const client = ctx.clients.get(id);
  if (!client) return unauthorized(`Unknown client ${id}`);
  if (client.secret !== undefined && client.secret !== secret) return unauthorized('Invalid client credentials');
  return { clientId: id };
}

/** POST /v2/oauth2/token: authorization_code (PKCE), refresh_token, client_credentials. */
export function token(ctx: AuthContext, form: URLSearchParams, authorization: string | undefined): Reply {
  const who = identify(ctx, form, authorization);
  if ('status' in who) return who;
  const client = ctx.clients.get(who.clientId)!;
  switch (form.get('grant_type')) {
    case 'authorization_code': {
      const code = form.get('code');
      const verifier = form.get('code_verifier');
      if (!code || !verifier) return oauthError(400, 'invalid_request', 'code and code_verifier are required');
      const doc = ctx.tokens.redeemCode(code, who.clientId, verifier, form.get('redirect_uri') ?? undefined);
      return doc ? json(200, doc) : invalidGrant();
    }
    case 'refresh_token': {
      const rt = form.get('refresh_token');
      if (!rt) return oauthError(400, 'invalid_request', 'refresh_token is required');
      const doc = ctx.tokens.refreshGrant(who.clientId, rt);
      return doc ? json(200, doc) : invalidGrant();
    }
    case 'client_credentials': {
      if (client.secret === undefined) return oauthError(400, 'unauthorized_client', 'client_credentials needs a confidential client');
      const granted = grantScopes(form.get('scope') ?? TRANSFER_SCOPE_URN, ctx.hasDataAccessScope);
      if (typeof granted === 'string') return oauthError(400, 'invalid_scope', granted);
      const doc = ctx.tokens.issue(who.clientId, granted, { refresh: false });
      return json(200, doc);
    }
    default:
      return oauthError(400, 'unsupported_grant_type', `grant_type "${form.get('grant_type') ?? ''}" is not supported`);
  }
}

/** POST /v2/oauth2/token/validate (globus-cli login_manager/manager.py _validate_token): {"active": bool} for this client's token. */
export function validate(ctx: AuthContext, form: URLSearchParams, authorization: string | undefined): Reply {
  const who = identify(ctx, form, authorization);
  if ('status' in who) return who;
  const t = form.get('token');
  if (!t) return oauthError(400, 'invalid_request', 'token is required');
  return json(200, { active: ctx.tokens.isActive(t, who.clientId) });
}

/** POST /v2/oauth2/token/revoke: always {"active": false}, known token or not (RFC 7009). */
export function revoke(ctx: AuthContext, form: URLSearchParams, authorization: string | undefined): Reply {
  const who = identify(ctx, form, authorization);
  if ('status' in who) return who;
  const t = form.get('token');
  if (!t) return oauthError(400, 'invalid_request', 'token is required');
  ctx.tokens.revoke(t);
  return json(200, { active: false });
}
