import { GsyncError } from '../errors/errors.js';
import { ConsentRequiredError } from '../globus/errors.js';
import { TRANSFER_SCOPE, transferScopeWithDataAccess } from '../globus/token-source.js';
import { collectionsInScopes } from './scopes.js';

export function isConsentRequired(err: unknown): err is ConsentRequiredError {
  return err instanceof ConsentRequiredError;
}

/**
 * One scope string covering what we hold and what Globus asks for. Consent
 * errors name Transfer scopes with data_access dependencies; those merge into
 * one Transfer scope with all the dependencies, which Auth accepts in a single
 * grant. Anything else is appended as is.
 */
export function mergeScopes(current: string, required: string[]): string {
  const ids = collectionsInScopes([current, ...required]);
  const rest = required.filter((s) => !s.startsWith(TRANSFER_SCOPE));
  return [transferScopeWithDataAccess(ids), ...rest].join(' ');
}

/** Exit 77 naming the collection(s) and the scope, with what to run. */
export function consentError(err: ConsentRequiredError, hint: string): GsyncError {
  const scopes = err.requiredScopes.length ? err.requiredScopes : ['(Globus named no scope)'];
  const ids = collectionsInScopes(scopes);
  const what = ids.length ? `collection ${ids.join(', ')}` : 'this request';
  return new GsyncError('auth', `Globus needs consent for ${what}: scope ${scopes.join(' ')}`, { hint, cause: err });
}
