import type { TransferDocument } from '../globus/schemas.js';
import type { TaskKind } from '../ledger/kind.js';
import { settleOpen } from '../ledger/tasks.js';
import { markSubmitted, openSubmissions, releaseSubmission, type SubmissionRecord } from '../ledger/transfer-rows.js';
import { settle, type SettleReport } from './settle-tasks.js';
import type { SyncContext } from '../run/sync-context.js';

/**
 * The transfer kind of the task ledger (src/ledger/): rows in `submission`
 * with their paths in `pending` (src/ledger/transfer-rows.ts), the document
 * built by src/sync/transfer-document.ts, POST /transfer; SUCCEEDED records the
 * paths shipped and owes the hooks (src/hooks/record.ts), anything else
 * releases them marked for repair.
 */
export const transferKind: TaskKind<SyncContext, TransferDocument, SubmissionRecord, SettleReport> = {
  noun: 'transfer',
  released: 'its paths will ship again',
  crash: { afterSubmissionId: 'after-submission-id', afterRecord: 'after-record', afterPost: 'after-post' },
  open: openSubmissions,
  markPosted: (state, rowId, taskId, ns) => markSubmitted(state, rowId, taskId, ns),
  release: (state, rowId, status, error, ns) => releaseSubmission(state, rowId, status, error, ns),
  post: (sync, doc) => sync.remote.submitTransfer(doc),
  settle,
};

/** Settles every transfer an earlier run left open, oldest first, before anything new is planned. */
export async function settleTransfers(sync: SyncContext, report: SettleReport): Promise<SettleReport> {
  await settleOpen(sync, transferKind, report);
  return report;
}
