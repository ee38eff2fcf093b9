import { failure } from '../errors/errors.js';
import type { State } from '../state/open.js';

/**
 * The ledger's rows: one table per task kind, the same columns for what every
 * Globus task goes through (submission_id, task id, status, exact document,
 * times, error), plus the kind's own counts. Every status change of every kind
 * is written here, and only here.
 */
export type LedgerTable = 'submission' | 'delete_task';

/** A ledger row as every kind has it; a kind's record adds its own counts. */
export interface LedgerRow {
  id: number;
  submissionId: string;
  taskId: string | null;
  status: string;
  /** The exact document (JSON text), so a retry after a crash re-POSTs the same thing. */
  document: string;
  createdNs: bigint;
  submittedNs: bigint | null;
  completedNs: bigint | null;
  items: number;
  error: string | null;
}

/** The row as SQLite returns it with safeIntegers; a kind reads its own columns from it. */
export type RawRow = Record<string, unknown> & {
  id: bigint;
  submission_id: string;
  task_id: string | null;
  status: string;
  document: string;
  created_ns: bigint;
  submitted_ns: bigint | null;
  completed_ns: bigint | null;
  items: bigint;
  error: string | null;
};

export const ROW_CREATED = 'CREATED';
export const ROW_SUBMITTED = 'SUBMITTED';
export const ROW_SUCCEEDED = 'SUCCEEDED';

/**
 * Records a task before it is POSTed: its row and, in the same transaction,
 * what it holds (`hold`, the kind's in-flight rows). From here on a crash makes
 * the next run re-POST the same document under the same submission_id.
 */
export function createRow(
  state: State,
  table: LedgerTable,
  r: { submissionId: string; document: string; createdNs: bigint; items: number; counts: Record<string, number | bigint | string> },
  hold: (rowId: number) => void,
): number {
  const cols = Object.keys(r.counts);
  const insert = state.db.prepare(
    `INSERT INTO ${table} (submission_id, status, document, created_ns, items${cols.map((c) => `, ${c}`).join('')})
     VALUES (?, ?, ?, ?, ?${cols.map(() => ', ?').join('')})`,
  );
  return state.db
    .transaction(() => {
      const rowId = Number(insert.run(r.submissionId, ROW_CREATED, r.document, r.createdNs, r.items, ...Object.values(r.counts)).lastInsertRowid);
      hold(rowId);
      return rowId;
    })
    .immediate();
}

/** After the POST: Globus has the task. */
export function markPosted(state: State, table: LedgerTable, rowId: number, taskId: string, submittedNs: bigint, status = ROW_SUBMITTED): void {
  state.db.prepare(`UPDATE ${table} SET task_id = ?, submitted_ns = ?, status = ? WHERE id = ?`).run(taskId, submittedNs, status, rowId);
}

/** A non-final Globus status seen while polling (ACTIVE, INACTIVE). */
export function noteStatus(state: State, table: LedgerTable, rowId: number, status: string): void {
  state.db.prepare(`UPDATE ${table} SET status = ? WHERE id = ? AND completed_ns IS NULL`).run(status, rowId);
}

/**
 * Ends an open row in one transaction: `apply` does what the kind does at
 * this end (commit its paths, or release them), then the row takes its final
 * status, then `beforeEnd` (the crash harness's point inside the transaction,
 * everything written and nothing committed). Returns what `apply` returned.
 */
export function endRow<T>(
  state: State,
  table: LedgerTable,
  rowId: number,
  end: { status: string; error: string | null; completedNs: bigint },
  apply: () => T,
  beforeEnd?: () => void,
): T {
  return state.db
    .transaction(() => {
      requireOpen(state, table, rowId);
      const out = apply();
      state.db.prepare(`UPDATE ${table} SET status = ?, error = ?, completed_ns = ? WHERE id = ?`).run(end.status, end.error, end.completedNs, rowId);
      beforeEnd?.();
      return out;
    })
    .immediate();
}

/** Rows not yet SUCCEEDED or released, oldest first: a run resolves these before planning anew. */
export function openRows(state: State, table: LedgerTable): RawRow[] {
  return state.db.prepare(`SELECT * FROM ${table} WHERE completed_ns IS NULL ORDER BY id`).safeIntegers(true).all() as RawRow[];
}

export function rowById(state: State, table: LedgerTable, rowId: number): RawRow | undefined {
  return state.db.prepare(`SELECT * FROM ${table} WHERE id = ?`).safeIntegers(true).get(rowId) as RawRow | undefined;
}

/** The columns every kind shares, as a record. */
export function ledgerRow(r: RawRow): LedgerRow {
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
    error: r.error,
  };
}

const NOUN: Record<LedgerTable, string> = { submission: 'submission', delete_task: 'delete task' };

function requireOpen(state: State, table: LedgerTable, rowId: number): void {
  const row = state.db.prepare(`SELECT status, completed_ns FROM ${table} WHERE id = ?`).get(rowId) as { status: string; completed_ns: number | null } | undefined;
  if (row === undefined) throw failure(`internal: ${NOUN[table]} row ${rowId} does not exist`);
  if (row.completed_ns !== null) throw failure(`internal: ${NOUN[table]} row ${rowId} already ended as ${row.status}`);
}
