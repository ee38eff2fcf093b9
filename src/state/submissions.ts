import { failure } from '../errors/errors.js';
import type { State } from './open.js';
import { clearRepair, markRepair } from './repair.js';
import { subtreeCte } from './subtree.js';

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

export interface SubmissionRecord {
  id: number;
  submissionId: string;
  taskId: string | null;
  status: string;
  document: string;
  createdNs: bigint;
  submittedNs: bigint | null;
  completedNs: bigint | null;
  items: number;
  files: number;
  bytes: bigint;
  error: string | null;
}

/** Statuses written here; Globus task statuses (ACTIVE, INACTIVE, ...) may be written by the run with markSubmitted. */
export const SUBMISSION_CREATED = 'CREATED';
export const SUBMISSION_SUBMITTED = 'SUBMITTED';
export const SUBMISSION_SUCCEEDED = 'SUCCEEDED';

/**
 * Records a submission and marks every node it covers as in flight, in one
 * transaction: the fingerprints captured are the ones the scan saw (seen_*),
 * so what gets recorded as shipped later is what existed when we planned, never
 * what happens to be on disk when Globus finishes. Returns the submission row id.
 * The scan must have run in write mode, or items have no nodes and seen_* is empty.
 */
export function createSubmission(state: State, s: NewSubmission): number {
  const { db } = state;
  const insert = db.prepare(
    `INSERT INTO submission (submission_id, status, document, created_ns, items, files, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  return db.transaction(() => {
    const rowId = Number(insert.run(s.submissionId, SUBMISSION_CREATED, s.document, s.createdNs, s.items.length, s.files, BigInt(s.bytes)).lastInsertRowid);
    capturePending(state, rowId, s.items);
    return rowId;
  }).immediate();
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
    if (item.recursive) subtree.run(item.nodeId, submissionRowId);
    else one.run(submissionRowId, item.nodeId);
  }
}

/** After POST: Globus has the task. */
export function markSubmitted(state: State, rowId: number, taskId: string, submittedNs: bigint, status = SUBMISSION_SUBMITTED): void {
  state.db.prepare(`UPDATE submission SET task_id = ?, submitted_ns = ?, status = ? WHERE id = ?`).run(taskId, submittedNs, status, rowId);
}

/** A non-final Globus status seen while polling (ACTIVE, INACTIVE). */
export function updateSubmissionStatus(state: State, rowId: number, status: string): void {
  state.db.prepare(`UPDATE submission SET status = ? WHERE id = ? AND completed_ns IS NULL`).run(status, rowId);
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
  db.transaction(() => {
    requireOpen(state, rowId);
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
         shipped_ctime_ns = p.ctime_ns, shipped_ino = p.ino, last_transfer_ns = ?,
         seen_kind = NULL, seen_size = NULL, seen_mtime_ns = NULL, seen_ctime_ns = NULL, seen_ino = NULL
       FROM pending p WHERE p.node_id = node.id AND p.submission = ?`,
    ).run(completedNs, rowId);
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
    db.prepare(`UPDATE submission SET status = ?, completed_ns = ?, error = NULL WHERE id = ?`).run(SUBMISSION_SUCCEEDED, completedNs, rowId);
    beforeEnd?.();
  }).immediate();
}

/**
 * FAILED, CANCELED or abandoned: nothing is recorded as shipped, and its paths
 * ship again next run, marked for repair (state/repair.ts) in the same
 * transaction: a task that did not succeed may have left partial copies.
 */
export function releaseSubmission(state: State, rowId: number, status: string, error: string | null, completedNs: bigint): void {
  const { db } = state;
  db.transaction(() => {
    requireOpen(state, rowId);
    markRepair(state, rowId, completedNs);
    db.prepare(`DELETE FROM pending WHERE submission = ?`).run(rowId);
    db.prepare(`UPDATE submission SET status = ?, error = ?, completed_ns = ? WHERE id = ?`).run(status, error, completedNs, rowId);
  }).immediate();
}

export function getSubmission(state: State, rowId: number): SubmissionRecord | undefined {
  const row = state.db.prepare(`SELECT * FROM submission WHERE id = ?`).safeIntegers(true).get(rowId);
  return row === undefined ? undefined : toRecord(row as SubmissionRow);
}

/** Submissions not yet SUCCEEDED or released, oldest first: a run must resolve these before planning anew. */
export function openSubmissions(state: State): SubmissionRecord[] {
  const rows = state.db.prepare(`SELECT * FROM submission WHERE completed_ns IS NULL ORDER BY id`).safeIntegers(true).all();
  return (rows as SubmissionRow[]).map(toRecord);
}

export function pendingCount(state: State, rowId?: number): number {
  const row =
    rowId === undefined
      ? state.db.prepare(`SELECT count(*) AS n FROM pending`).get()
      : state.db.prepare(`SELECT count(*) AS n FROM pending WHERE submission = ?`).get(rowId);
  return (row as { n: number }).n;
}

function requireOpen(state: State, rowId: number): void {
  const row = state.db.prepare(`SELECT status, completed_ns FROM submission WHERE id = ?`).get(rowId) as
    | { status: string; completed_ns: number | null }
    | undefined;
  if (row === undefined) throw failure(`internal: submission row ${rowId} does not exist`);
  if (row.completed_ns !== null) throw failure(`internal: submission row ${rowId} already ended as ${row.status}`);
}

interface SubmissionRow {
  id: bigint;
  submission_id: string;
  task_id: string | null;
  status: string;
  document: string;
  created_ns: bigint;
  submitted_ns: bigint | null;
  completed_ns: bigint | null;
  items: bigint;
  files: bigint;
  bytes: bigint;
  error: string | null;
}

function toRecord(r: SubmissionRow): SubmissionRecord {
  return {
    id: Number(r.id),
    submissionId: r.submission_id,
    taskId: r.task_id,
    status: r.status,
    document: r.document,
    createdNs: r.created_ns,
    submittedNs: r.submitted_ns,
    completedNs: r.completed_ns,
    items: Number(r.items),
    files: Number(r.files),
    bytes: r.bytes,
    error: r.error,
  };
}
