import { ConsentRequiredError, GlobusApiError } from '../globus/errors.js';
import type { SyncContext } from './sync-context.js';

/*
 * How a task submission (transfer or delete) reads Globus's answer to its POST:
 * a ConsentRequired is resolved once and the POST repeated; a refusal of the
 * document itself can never work when resent.
 */

/** One submission POST; a ConsentRequired answer is resolved once (service accounts) and the POST repeated. */
export async function withConsent<T>(sync: SyncContext, post: () => Promise<T>): Promise<T> {
  try {
    return await post();
  } catch (err) {
    if (!(err instanceof ConsentRequiredError)) throw err;
    // Resolves only when a service account obtained the scopes; a user login throws an auth error.
    await sync.auth.handleConsentRequired(err);
    return await post();
  }
}

/** Globus refused the document itself: resending it can never work. */
export function isRefusal(err: unknown): err is GlobusApiError {
  return (
    err instanceof GlobusApiError &&
    err.kind !== 'auth' &&
    err.httpStatus >= 400 &&
    err.httpStatus < 500 &&
    err.httpStatus !== 408 &&
    err.httpStatus !== 429
  );
}
