import { failure } from '../errors/errors.js';
import type { NodeKind } from './fingerprint.js';
import type { State } from './open.js';

/** One path a delete task removes at the destination: the topmost node of what vanished. */
export interface DeleteTarget {
  nodeId: number;
  relPath: string;
  /** What the destination holds there: a directory goes as a recursive delete. */
  shippedKind: NodeKind;
  /** Shipped paths the item removes (itself and everything recorded under it). */
  paths: number;
}

export interface DeleteTaskRecord {
  id: number;
  submissionId: string;
  taskId: string | null;
  status: string;
  document: string;
  createdNs: bigint;
  submittedNs: bigint | null;
  completedNs: bigint | null;
  items: number;
  paths: number;
  error: string | null;
}

/**
 * Records a delete task and holds its targets, in one transaction, before it is
 * POSTed: a crash after this point makes the next run re-POST the same document
 * under the same submission_id (Globus answers "Duplicate"), never a second task.
 */
export function createDeleteTask(state: State, t: { submissionId: string; document: string; targets: readonly DeleteTarget[]; createdNs: bigint }): number {
  const { db } = state;
  const paths = t.targets.reduce((n, x) => n + x.paths, 0);
  return db.transaction(() => {
    const rowId = Number(
      db
        .prepare(`INSERT INTO delete_task (submission_id, status, document, created_ns, items, paths) VALUES (?, 'CREATED', ?, ?, ?, ?)`)
        .run(t.submissionId, t.document, t.createdNs, t.targets.length, paths).lastInsertRowid,
    );
    const hold = db.prepare(`INSERT INTO delete_pending (node_id, delete_task, shipped_kind, paths) VALUES (?, ?, ?, ?)`);
    for (const x of t.targets) hold.run(x.nodeId, rowId, x.shippedKind, x.paths);
    return rowId;
  }).immediate();
}

export function markDeleteSubmitted(state: State, rowId: number, taskId: string, submittedNs: bigint): void {
  state.db.prepare(`UPDATE delete_task SET task_id = ?, submitted_ns = ?, status = 'SUBMITTED' WHERE id = ?`).run(taskId, submittedNs, rowId);
}

export function updateDeleteStatus(state: State, rowId: number, status: string): void {
  state.db.prepare(`UPDATE delete_task SET status = ? WHERE id = ? AND completed_ns IS NULL`).run(status, rowId);
}

/**
 * Globus said SUCCEEDED: the destination no longer holds these paths. Rows of
 * paths still gone from the source are forgotten; a path present in the source
 * (a type change, or recreated since the scan; `presentNow` asks the disk at
 * this moment) keeps its row with no shipped record, so the next transfer ships
 * it as new. Returns the number of shipped paths the task removed.
 */
export function commitDeleteTask(state: State, rowId: number, completedNs: bigint, presentNow: (relPath: string) => boolean): number {
  const { db } = state;
  return db.transaction(() => {
    requireOpen(state, rowId);
    const targets = db.prepare(`SELECT node_id AS nodeId, paths FROM delete_pending WHERE delete_task = ?`).all(rowId) as Array<{ nodeId: number; paths: number }>;
    db.prepare(`DELETE FROM delete_pending WHERE delete_task = ?`).run(rowId);
    let removed = 0;
    for (const t of targets) {
      removed += t.paths;
      forgetSubtree(state, t.nodeId, presentNow(nodeRelPath(state, t.nodeId)));
    }
    db.prepare(`UPDATE delete_task SET status = 'SUCCEEDED', completed_ns = ?, error = NULL WHERE id = ?`).run(completedNs, rowId);
    return removed;
  }).immediate();
}

/** FAILED, refused or unknown to Globus: nothing is forgotten, and the paths may be deleted by a later run. */
export function releaseDeleteTask(state: State, rowId: number, status: string, error: string | null, completedNs: bigint): void {
  const { db } = state;
  db.transaction(() => {
    requireOpen(state, rowId);
    db.prepare(`DELETE FROM delete_pending WHERE delete_task = ?`).run(rowId);
    db.prepare(`UPDATE delete_task SET status = ?, error = ?, completed_ns = ? WHERE id = ?`).run(status, error, completedNs, rowId);
  }).immediate();
}

export function openDeleteTasks(state: State): DeleteTaskRecord[] {
  const rows = state.db.prepare(`SELECT * FROM delete_task WHERE completed_ns IS NULL ORDER BY id`).safeIntegers(true).all() as DeleteTaskRow[];
  return rows.map(toRecord);
}

export function getDeleteTask(state: State, rowId: number): DeleteTaskRecord | undefined {
  const row = state.db.prepare(`SELECT * FROM delete_task WHERE id = ?`).safeIntegers(true).get(rowId) as DeleteTaskRow | undefined;
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

/**
 * Every row under the deleted path either goes (gone from the source) or stays
 * with its shipped record cleared (present, so it ships again). A row another
 * open submission still covers stays too, with its ancestors, so no reference dangles.
 */
function forgetSubtree(state: State, topId: number, topPresent: boolean): void {
  const { db } = state;
  const rows = db
    .prepare(
      `WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT n.id FROM node n JOIN sub ON n.parent = sub.id)
       SELECT n.id, n.parent, n.gone, EXISTS (SELECT 1 FROM pending p WHERE p.node_id = n.id)
         -- a manifest still owed names the node (src/state/hooks.ts): keep the row until its hook is done
         OR EXISTS (SELECT 1 FROM manifest_file m WHERE m.node_id = n.id) AS held
       FROM node n JOIN sub ON n.id = sub.id`,
    )
    .all(topId) as Array<{ id: number; parent: number | null; gone: number; held: number }>;
  const parentOf = new Map(rows.map((r) => [r.id, r.parent]));
  const keep = new Set<number>();
  for (const r of rows) {
    if (r.gone === 0 || r.held === 1 || (r.id === topId && topPresent)) {
      // Keep it and its ancestors up to the deleted path.
      for (let id: number | null | undefined = r.id; id !== undefined && id !== null && !keep.has(id); id = parentOf.get(id)) {
        keep.add(id);
        if (id === topId) break;
      }
    }
  }
  const drop = rows.filter((r) => !keep.has(r.id)).map((r) => r.id);
  const clear = db.prepare(
    `UPDATE node SET shipped_kind = NULL, shipped_size = NULL, shipped_mtime_ns = NULL, shipped_ctime_ns = NULL, shipped_ino = NULL, last_transfer_ns = NULL WHERE id = ?`,
  );
  for (const id of keep) clear.run(id);
  // Children before parents, so each DELETE satisfies the parent reference on its own.
  const del = db.prepare(`DELETE FROM node WHERE id = ?`);
  // A repair mark (a partial copy from a failed task) dies with the destination copy it was for.
  const unmark = db.prepare(`DELETE FROM repair WHERE node_id = ?`);
  for (const id of drop.reverse()) {
    unmark.run(id);
    del.run(id);
  }
}

function requireOpen(state: State, rowId: number): void {
  const row = state.db.prepare(`SELECT status, completed_ns FROM delete_task WHERE id = ?`).get(rowId) as { status: string; completed_ns: number | null } | undefined;
  if (row === undefined) throw failure(`internal: delete task row ${rowId} does not exist`);
  if (row.completed_ns !== null) throw failure(`internal: delete task row ${rowId} already ended as ${row.status}`);
}

interface DeleteTaskRow {
  id: bigint;
  submission_id: string;
  task_id: string | null;
  status: string;
  document: string;
  created_ns: bigint;
  submitted_ns: bigint | null;
  completed_ns: bigint | null;
  items: bigint;
  paths: bigint;
  error: string | null;
}

function toRecord(r: DeleteTaskRow): DeleteTaskRecord {
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
    paths: Number(r.paths),
    error: r.error,
  };
}
