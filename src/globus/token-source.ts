/**
 * What the Transfer client needs from credentials, declared by its user so the
 * client knows nothing of token files, login flows or client-credential grants.
 */
export interface TokenSource {
  /** A valid access token for transfer.api.globus.org, refreshed first when close to expiry. */
  transferToken(): Promise<string>;
  /**
   * Called once after a 401: refresh now and return a new token. Throws a
   * GsyncError of kind 'auth' (exit 77, with a "run gsync login" hint) when it cannot.
   */
  refreshAfterUnauthorized(): Promise<string>;
}

/** For tests and the local server's demo: a fixed token that cannot be refreshed. */
export function staticTokenSource(token: string): TokenSource {
  return {
    transferToken: async () => token,
    refreshAfterUnauthorized: async () => token,
  };
}

export const TRANSFER_SCOPE = 'urn:globus:auth:scope:transfer.api.globus.org:all';
export const TRANSFER_RESOURCE_SERVER = 'transfer.api.globus.org';

/** The Transfer scope with a data_access dependency for each GCSv5 mapped collection. */
export function transferScopeWithDataAccess(collectionIds: string[]): string {
  if (collectionIds.length === 0) return TRANSFER_SCOPE;
  const deps = collectionIds.map((id) => `*https://auth.globus.org/scopes/${id}/data_access`).join(' ');
  return `${TRANSFER_SCOPE}[${deps}]`;
}
