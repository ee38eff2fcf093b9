export const TRANSFER_RS = 'transfer.api.globus.org';
export const AUTH_RS = 'auth.globus.org';
export const TRANSFER_SCOPE_URN = 'urn:globus:auth:scope:transfer.api.globus.org:all';

/** Scopes served by Auth itself; granted as a token for auth.globus.org. */
// view_identity_set: asked by globus-cli for every Auth client (login_manager/scopes.py).
const AUTH_SCOPES = new Set(['openid', 'profile', 'email', 'urn:globus:auth:scope:auth.globus.org:view_identities', 'urn:globus:auth:scope:auth.globus.org:view_identity_set']);

const DEPENDENCY = /^\*?https:\/\/auth\.globus\.org\/scopes\/[0-9a-f-]{36}\/data_access$/i;

/** Split a scope string on top-level spaces; brackets hold dependent scopes, which may contain spaces. */
export function splitScopes(scope: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of scope) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (depth < 0) throw new Error('unbalanced "]"');
    if (/\s/.test(ch) && depth === 0) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (depth !== 0) throw new Error('unbalanced "["');
  if (cur) out.push(cur);
  return out;
}

export interface GrantedScopes {
  /** Resource server → its scope string. */
  byResourceServer: Map<string, string>;
  openid: boolean;
}

/**
 * Checks each requested scope is one this server can grant: the Auth scopes,
 * and the Transfer scope with optional data_access dependencies. Returns an
 * error message naming the first scope it cannot grant.
 */
export function grantScopes(scope: string, hasDataAccessScope: (collectionId: string) => boolean = () => true): GrantedScopes | string {
  let parts: string[];
  try {
    parts = splitScopes(scope);
  } catch (err) {
    return `malformed scope string: ${(err as Error).message}`;
  }
  if (parts.length === 0) return 'no scope requested';
  const auth: string[] = [];
  const transfer: string[] = [];
  for (const p of parts) {
    if (AUTH_SCOPES.has(p)) auth.push(p);
    else if (p === TRANSFER_SCOPE_URN) transfer.push(p);
    else if (p.startsWith(TRANSFER_SCOPE_URN + '[') && p.endsWith(']')) {
      const deps = p.slice(TRANSFER_SCOPE_URN.length + 1, -1).trim().split(/\s+/);
      const bad = deps.find((d) => !DEPENDENCY.test(d));
      if (bad !== undefined) return `unknown dependent scope "${bad}"`;
      // Real Auth answers "Unknown Scope" for a data_access scope of a collection
      // that has none: guest collections, Globus Connect Personal, high assurance.
      const none = deps.find((d) => !hasDataAccessScope(/([0-9a-f-]{36})\/data_access$/i.exec(d)![1]!));
      if (none !== undefined) return `Unknown Scope "${none.replace(/^\*/, '')}": that collection has no data_access scope`;
      transfer.push(p);
    } else return `unknown scope "${p}"`;
  }
  const byResourceServer = new Map<string, string>();
  if (auth.length) byResourceServer.set(AUTH_RS, auth.join(' '));
  if (transfer.length) byResourceServer.set(TRANSFER_RS, transfer.join(' '));
  return { byResourceServer, openid: auth.includes('openid') };
}

export function hasDataAccess(scope: string, collectionId: string): boolean {
  return scope.toLowerCase().includes(`https://auth.globus.org/scopes/${collectionId.toLowerCase()}/data_access`);
}

export function dataAccessScopeFor(collectionId: string): string {
  return `${TRANSFER_SCOPE_URN}[*https://auth.globus.org/scopes/${collectionId}/data_access]`;
}
