import { failure } from '../errors/errors.js';
import type { NodeKind } from '../state/fingerprint.js';
import type { State } from '../state/open.js';
import { createRow, endRow, ledgerRow, markPosted, noteStatus, openRows, ROW_SUCCEEDED, rowById, type LedgerRow, type RawRow } from './rows.js';

/** The delete kind's rows: `delete_task`, and `delete_pending` for the topmost node of each path it removes. */

/** One path a delete task removes at the destination: the topmost node of what vanished. */
export interface DeleteTarget {
  nodeId: number;
  relPath: string;
  /** What the destination holds there: a directory goes as a recursive delete. */
  shippedKind: NodeKind;
  /** Shipped paths the item removes (itself and everything recorded under it). */
  paths: number;
}

export interface DeleteTaskRecord extends LedgerRow {
  /** Shipped paths the task removes. */
  paths: number;
}

/**
 * Records a delete task and holds its targets, in one transaction, before it is
 * POSTed: a crash after this point makes the next run re-POST the same document
 * under the same submission_id (Globus answers "Duplicate"), never a second task.
 */
export function createDeleteTask(state: State, t: { submissionId: string; document: string; targets: readonly DeleteTarget[]; createdNs: bigint }): number {
  const paths = t.targets.reduce((n, x) => n + x.paths, 0);
  const r = { submissionId: t.submissionId, document: t.document, createdNs: t.createdNs, items: t.targets.length, counts: { paths } };
  return createRow(state, 'delete_task', r, (rowId) => {
    const hold = state.db.prepare(`INSERT INTO delete_pending (node_id, delete_task, shipped_kind, paths) VALUES (?, ?, ?, ?)`);
    for (const x of t.targets) hold.run(x.nodeId, rowId, x.shippedKind, x.paths);
  });
}

export function markDeleteSubmitted(state: State, rowId: number, taskId: string, submittedNs: bigint): void {
  markPosted(state, 'delete_task', rowId, taskId, submittedNs);
}

export function updateDeleteStatus(state: State, rowId: number, status: string): void {
  noteStatus(state, 'delete_task', rowId, status);
}

/**
 * Globus said SUCCEEDED: the destination no longer holds these paths. `forget`
 * (src/deletes/forget-subtree.ts) drops or clears each target's rows, in the
 * same transaction. Returns the number of shipped paths the task removed.
 */
export function commitDeleteTask(state: State, rowId: number, completedNs: bigint, forget: (nodeId: number, relPath: string) => void): number {
  const { db } = state;
  return endRow(state, 'delete_task', rowId, { status: ROW_SUCCEEDED, error: null, completedNs }, () => {
    const targets = db.prepare(`SELECT node_id AS nodeId, paths FROM delete_pending WHERE delete_task = ?`).all(rowId) as Array<{ nodeId: number; paths: number }>;
    db.prepare(`DELETE FROM delete_pending WHERE delete_task = ?`).run(rowId);
    let removed = 0;
    for (const t of targets) {
      removed += t.paths;
      forget(t.nodeId, nodeRelPath(state, t.nodeId));
    }
    return removed;
  });
}

/** FAILED, refused or unknown to Globus: nothing is forgotten, and the paths may be deleted by a later run. */
export function releaseDeleteTask(state: State, rowId: number, status: string, error: string | null, completedNs: bigint): void {
  endRow(state, 'delete_task', rowId, { status, error, completedNs }, () => {
    state.db.prepare(`DELETE FROM delete_pending WHERE delete_task = ?`).run(rowId);
  });
}

export function openDeleteTasks(state: State): DeleteTaskRecord[] {
  return openRows(state, 'delete_task').map(toRecord);
}

export function getDeleteTask(state: State, rowId: number): DeleteTaskRecord | undefined {
  const row = rowById(state, 'delete_task', rowId);
  return row === undefined ? undefined : toRecord(row);
}

/** Relative paths held by open delete tasks: no transfer may write at or under them until the task ends. */
export function heldByOpenDeletes(state: State): string[] {
  const ids = state.db.prepare(`SELECT node_id FROM delete_pending`).pluck(true).all() as number[];
  return ids.map((id) => nodeRelPath(state, id));
}

/** A node's path relative to the source directory ('' for the source itself). */
export function nodeRelPath(state: State, nodeId: number): string {
  const up = state.db.prepare(`SELECT parent, name FROM node WHERE id = ?`);
  const names: string[] = [];
  let id: number | null = nodeId;
  while (id !== null) {
    const row = up.get(id) as { parent: number | null; name: string } | undefined;
    if (row === undefined) throw failure(`internal: trie node ${nodeId} has no path`);
    if (row.parent !== null) names.push(row.name);
    id = row.parent;
  }
  return names.reverse().join('/');
}

function toRecord(r: RawRow): DeleteTaskRecord {
  return { ...ledgerRow(r), paths: Number(r.paths as bigint) };
}
