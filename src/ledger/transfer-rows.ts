import { failure } from '../errors/errors.js';
import { ROOT_NODE_ID, type State } from '../state/open.js';
import { clearRepair, markRepair } from '../state/repair.js';
import { subtreeCte } from '../state/subtree.js';
import { createRow, endRow, ledgerRow, markPosted, noteStatus, openRows, ROW_SUCCEEDED, rowById, type LedgerRow, type RawRow } from './rows.js';

/** The transfer kind's rows: `submission`, and `pending` for the paths each holds (the fingerprints the scan saw). */

export interface NewSubmission {
  /** Globus submission_id: the same id on a retry makes Globus refuse a duplicate task. */
  submissionId: string;
  /** The exact transfer document (JSON text), so a retry after a crash re-POSTs the same thing. */
  document: string;
  /** The planned items; only their nodes and recursion matter here. */
  items: ReadonlyArray<{ nodeId: number | null; recursive: boolean }>;
  files: number;
  bytes: bigint | number;
  createdNs: bigint;
}

export interface SubmissionRecord extends LedgerRow {
  files: number;
  bytes: bigint;
}


/**
 * Records a submission and marks every node it covers as in flight, in one
 * transaction: the fingerprints captured are the ones the scan saw (seen_*),
 * so what gets recorded as shipped later is what existed when we planned, never
 * what happens to be on disk when Globus finishes. Returns the submission row id.
 * The scan must have run in write mode, or items have no nodes and seen_* is empty.
 */
export function createSubmission(state: State, s: NewSubmission): number {
  const r = { submissionId: s.submissionId, document: s.document, createdNs: s.createdNs, items: s.items.length, counts: { files: s.files, bytes: BigInt(s.bytes) } };
  return createRow(state, 'submission', r, (rowId) => capturePending(state, rowId, s.items));
}

/** Part of createSubmission's transaction; exported for callers that build their own. */
export function capturePending(state: State, submissionRowId: number, items: NewSubmission['items']): void {
  const { db } = state;
  const one = db.prepare(
    `INSERT INTO pending (node_id, submission, kind, size, mtime_ns, ctime_ns, ino)
     SELECT id, ?, seen_kind, seen_size, seen_mtime_ns, seen_ctime_ns, seen_ino FROM node WHERE id = ? AND seen_kind IS NOT NULL`,
  );
  const subtree = db.prepare(
    `${subtreeCte({ liveOnly: true })}
     INSERT INTO pending (node_id, submission, kind, size, mtime_ns, ctime_ns, ino)
     SELECT n.id, ?, n.seen_kind, n.seen_size, n.seen_mtime_ns, n.seen_ctime_ns, n.seen_ino
     FROM node n JOIN sub ON n.id = sub.id WHERE n.seen_kind IS NOT NULL`,
  );
  for (const item of items) {
    if (item.nodeId === null) throw failure('internal: a planned item has no state node; the scan must run in write mode before submitting');
    if (item.recursive && item.nodeId === ROOT_NODE_ID && !anyGone(state)) wholeTree(state).run(submissionRowId);
    else if (item.recursive) subtree.run(item.nodeId, submissionRowId);
    else one.run(submissionRowId, item.nodeId);
  }
}

/**
 * The whole tree as one item (a first run's): with no node marked gone, every node is
 * under the root through live nodes, so the subtree is the whole table, read in id
 * order instead of walked parent by parent (200,000 paths: 0.12 s of CPU against 0.5 s).
 */
function wholeTree(state: State) {
  return state.db.prepare(
    `INSERT INTO pending (node_id, submission, kind, size, mtime_ns, ctime_ns, ino)
     SELECT id, ?, seen_kind, seen_size, seen_mtime_ns, seen_ctime_ns, seen_ino FROM node WHERE seen_kind IS NOT NULL`,
  );
}

function anyGone(state: State): boolean {
  return state.db.prepare(`SELECT EXISTS (SELECT 1 FROM node WHERE gone <> 0)`).pluck().get() === 1;
}

/** After POST: Globus has the task. */
export function markSubmitted(state: State, rowId: number, taskId: string, submittedNs: bigint, status?: string): void {
  markPosted(state, 'submission', rowId, taskId, submittedNs, status);
}

/** A non-final Globus status seen while polling (ACTIVE, INACTIVE). */
export function updateSubmissionStatus(state: State, rowId: number, status: string): void {
  noteStatus(state, 'submission', rowId, status);
}

/**
 * Globus said SUCCEEDED: the captured fingerprints become the shipped ones, and
 * directories Globus created on the way (parents of file items) count as shipped.
 * `skipped` are nodes Globus skipped (skip_source_errors): they stay owed, in
 * the same transaction, so a crash cannot record them as shipped.
 * `delivered`, if given, runs inside that transaction once pending holds
 * exactly what the task delivered (skipped paths dropped), before it is cleared:
 * what a manifest and hook need is recorded with the commit or not at all.
 */
export function commitSubmission(
  state: State,
  rowId: number,
  completedNs: bigint,
  opts: {
    skipped?: readonly number[];
    delivered?: (rowId: number) => void;
    /** The crash harness's point at the end of the transaction, everything written and nothing committed (issue 36). */
    beforeEnd?: () => void;
  } = {},
): void {
  const { db } = state;
  const { skipped = [], delivered, beforeEnd } = opts;
  const end = { status: ROW_SUCCEEDED, error: null, completedNs };
  endRow(state, 'submission', rowId, end, () => {
    // A skipped directory keeps everything under it owed.
    const drop = db.prepare(
      `DELETE FROM pending WHERE submission = ? AND node_id IN (
         ${subtreeCte()} SELECT id FROM sub)`,
    );
    for (const nodeId of skipped) drop.run(rowId, nodeId);
    clearRepair(state, rowId);
    delivered?.(rowId);
    db.prepare(
      `UPDATE node SET shipped_kind = p.kind, shipped_size = p.size, shipped_mtime_ns = p.mtime_ns,
         shipped_ctime_ns = p.ctime_ns, shipped_ino = p.ino, shipped_by = p.submission, last_transfer_ns = NULL,
         seen_kind = NULL, seen_size = NULL, seen_mtime_ns = NULL, seen_ctime_ns = NULL, seen_ino = NULL
       FROM pending p WHERE p.node_id = node.id AND p.submission = ?`,
    ).run(rowId);
    db.prepare(
      `WITH RECURSIVE anc(id) AS (
         SELECT n.parent FROM pending p JOIN node n ON n.id = p.node_id
         WHERE p.submission = ? AND n.parent IS NOT NULL
           AND n.parent NOT IN (SELECT node_id FROM pending WHERE submission = ?)
         UNION SELECT n.parent FROM node n JOIN anc ON n.id = anc.id WHERE n.parent IS NOT NULL)
       UPDATE node SET shipped_kind = 'd', shipped_size = seen_size, shipped_mtime_ns = seen_mtime_ns,
         shipped_ctime_ns = seen_ctime_ns, shipped_ino = seen_ino,
         seen_kind = NULL, seen_size = NULL, seen_mtime_ns = NULL, seen_ctime_ns = NULL, seen_ino = NULL
       WHERE id IN (SELECT id FROM anc) AND shipped_kind IS NOT 'd'`,
    ).run(rowId, rowId);
    db.prepare(`DELETE FROM pending WHERE submission = ?`).run(rowId);
  }, beforeEnd);
}

/**
 * FAILED, CANCELED or abandoned: nothing is recorded as shipped, and its paths
 * ship again next run, marked for repair (state/repair.ts) in the same
 * transaction: a task that did not succeed may have left partial copies.
 */
export function releaseSubmission(state: State, rowId: number, status: string, error: string | null, completedNs: bigint, beforeEnd?: () => void): void {
  endRow(
    state,
    'submission',
    rowId,
    { status, error, completedNs },
    () => {
      markRepair(state, rowId, completedNs);
      state.db.prepare(`DELETE FROM pending WHERE submission = ?`).run(rowId);
    },
    beforeEnd,
  );
}

export function getSubmission(state: State, rowId: number): SubmissionRecord | undefined {
  const row = rowById(state, 'submission', rowId);
  return row === undefined ? undefined : toRecord(row);
}

/** Transfers not yet SUCCEEDED or released, oldest first: a run must resolve these before planning anew. Reconcile tasks share the table (./reconcile-rows.ts) and are not among them. */
export function openSubmissions(state: State): SubmissionRecord[] {
  return openRows(state, 'submission')
    .filter((r) => r.kind !== 'reconcile')
    .map(toRecord);
}

export function pendingCount(state: State, rowId?: number): number {
  const row =
    rowId === undefined
      ? state.db.prepare(`SELECT count(*) AS n FROM pending`).get()
      : state.db.prepare(`SELECT count(*) AS n FROM pending WHERE submission = ?`).get(rowId);
  return (row as { n: number }).n;
}

function toRecord(r: RawRow): SubmissionRecord {
  return { ...ledgerRow(r), files: Number(r.files as bigint), bytes: r.bytes as bigint };
}
