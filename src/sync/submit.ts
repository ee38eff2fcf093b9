import type { TransferDocument, TransferResult } from '../globus/schemas.js';
import { markSubmitted, releaseSubmission } from '../state/submissions.js';
import { isRefusal, withConsent } from '../run/post-answers.js';
import type { SyncContext } from '../run/sync-context.js';

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
