import type { Logger } from '../log/logger.js';
import type { AuthApi } from './auth-api.js';
import type { TokenStore } from './token-store.js';

export interface LogoutResult {
  /** Whether there was a token file to delete. */
  existed: boolean;
  revoked: number;
  failed: number;
}

/**
 * Revoke every stored token (refresh first: revoking it also ends the access
 * tokens issued from it), then delete the file whatever Globus answered: a
 * person who logs out wants the secret gone from this disk even when Globus is
 * unreachable. Failures are logged with the resource server, never the token.
 */
export async function logout(store: TokenStore, authFor: (clientId?: string) => Pick<AuthApi, 'revoke'>, logger: Logger): Promise<LogoutResult> {
  return store.update<LogoutResult>(async (file) => {
    if (!file) return { result: { existed: false, revoked: 0, failed: 0 } };
    const auth = authFor(file.client_id);
    let revoked = 0;
    let failed = 0;
    for (const [resourceServer, t] of Object.entries(file.tokens)) {
      for (const [which, token] of [
        ['refresh', t.refresh_token],
        ['access', t.access_token],
      ] as const) {
        if (!token) continue;
        try {
          await auth.revoke(token);
          revoked++;
        } catch (err) {
          failed++;
          logger.warn({ resourceServer, token: which, err: (err as Error).message }, 'could not revoke a token; deleting it here anyway');
        }
      }
    }
    return { next: null, result: { existed: true, revoked, failed } };
  });
}
