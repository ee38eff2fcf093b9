import type { State } from '../state/open.js';
import { createRow, endRow, ledgerRow, markPosted, noteStatus, openRows, ROW_SUCCEEDED, rowById, type LedgerRow, type RawRow } from './rows.js';

/**
 * The reconcile kind's rows (issue 27): a reconcile task is a transfer task, so
 * its row is in `submission`, with kind 'reconcile' (the transfer kind's
 * openSubmissions leaves these out). It holds no paths: nothing is in `pending`
 * for it, so files edited while it runs ship as usual. `restored` is how many
 * files Globus copied, set when it SUCCEEDED.
 */
export interface ReconcileRecord extends LedgerRow {
  restored: number | null;
}

export function createReconcile(state: State, r: { submissionId: string; document: string; createdNs: bigint }): number {
  return createRow(state, 'submission', { ...r, items: 1, counts: { files: 0, bytes: 0, kind: 'reconcile' } }, () => {});
}

export function markReconcilePosted(state: State, rowId: number, taskId: string, submittedNs: bigint): void {
  markPosted(state, 'submission', rowId, taskId, submittedNs);
}

export function updateReconcileStatus(state: State, rowId: number, status: string): void {
  noteStatus(state, 'submission', rowId, status);
}

/** SUCCEEDED: the row ends with the count Globus restored; `record` (the manifest and hook owed) runs in the same transaction. */
export function commitReconcile(state: State, rowId: number, restored: number, completedNs: bigint, record?: () => void, beforeEnd?: () => void): void {
  endRow(
    state,
    'submission',
    rowId,
    { status: ROW_SUCCEEDED, error: null, completedNs },
    () => {
      state.db.prepare(`UPDATE submission SET restored = ? WHERE id = ?`).run(restored, rowId);
      record?.();
    },
    beforeEnd,
  );
}

/** Anything but SUCCEEDED: the row ends; it held nothing, so nothing is released but the task slot. */
export function releaseReconcile(state: State, rowId: number, status: string, error: string | null, completedNs: bigint, record?: () => void): void {
  endRow(state, 'submission', rowId, { status, error, completedNs }, () => record?.());
}

export function openReconciles(state: State): ReconcileRecord[] {
  return openRows(state, 'submission')
    .filter((r) => r.kind === 'reconcile')
    .map(toRecord);
}

export function getReconcile(state: State, rowId: number): ReconcileRecord | undefined {
  const row = rowById(state, 'submission', rowId);
  return row === undefined || row.kind !== 'reconcile' ? undefined : toRecord(row);
}

/** The last reconcile task that SUCCEEDED: when it was recorded (submitted) and how many files it restored. */
export function lastSucceededReconcile(state: State): { createdNs: bigint; completedNs: bigint; restored: number } | null {
  const row = state.db
    .prepare(`SELECT created_ns, completed_ns, restored FROM submission WHERE kind = 'reconcile' AND status = ? ORDER BY created_ns DESC LIMIT 1`)
    .safeIntegers(true)
    .get(ROW_SUCCEEDED) as { created_ns: bigint; completed_ns: bigint; restored: bigint | null } | undefined;
  return row === undefined ? null : { createdNs: row.created_ns, completedNs: row.completed_ns, restored: Number(row.restored ?? 0n) };
}

/** How the last reconcile task that ended, ended (SUCCEEDED, FAILED, LOST, REJECTED...); null when none has. */
export function lastEndedReconcileStatus(state: State): string | null {
  const row = state.db.prepare(`SELECT status FROM submission WHERE kind = 'reconcile' AND completed_ns IS NOT NULL ORDER BY id DESC LIMIT 1`).pluck().get() as string | undefined;
  return row ?? null;
}

function toRecord(r: RawRow): ReconcileRecord {
  return { ...ledgerRow(r), restored: r.restored === null || r.restored === undefined ? null : Number(r.restored as bigint) };
}
