import { ConsentRequiredError, GlobusApiError } from '../globus/errors.js';
import type { TransferDocument, TransferResult } from '../globus/schemas.js';
import { markSubmitted, releaseSubmission } from '../state/submissions.js';
import type { SyncContext } from './sync-context.js';

/**
 * POSTs a transfer whose submission row is already committed. Retrying is safe:
 * Globus answers a repeated submission_id with "Duplicate" and the first task.
 * A definite refusal of the document (a 4xx that is not about credentials)
 * releases the row, since resending it can never work and its paths must
 * ship again; anything else (no answer, 5xx, login needed) keeps the row, so
 * the next run re-POSTs the same document under the same submission_id.
 */
export async function postSubmission(sync: SyncContext, rowId: number, doc: TransferDocument): Promise<TransferResult> {
  let result: TransferResult;
  try {
    result = await postWithConsent(sync, doc);
  } catch (err) {
    if (isRefusal(err)) {
      releaseSubmission(sync.state, rowId, 'REJECTED', err.message, sync.now());
      sync.logger.error({ submissionId: doc.submission_id, code: err.code }, `Globus refused the transfer: ${err.message}`);
    }
    throw err;
  }
  sync.crashPoint('after-post');
  markSubmitted(sync.state, rowId, result.task_id, sync.now());
  return result;
}

function postWithConsent(sync: SyncContext, doc: TransferDocument): Promise<TransferResult> {
  return withConsent(sync, () => sync.remote.submitTransfer(doc));
}

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
