import { ROOT_NODE_ID, type State } from './open.js';

/*
 * hooks.onFile (issue 29): one owed row per delivered file. Recorded inside the
 * transaction that commits the task (recordFileHooks), run and marked by
 * src/hooks/file-hooks.ts: done only after exit 0, so at least once across
 * crashes; a failure waits a backoff, and after hooks.maxAttempts the row is
 * given up: kept, counted and reported, never deleted.
 */

export interface FileHookRecord {
  id: number;
  taskId: string;
  /** Relative to source.path. */
  relPath: string;
  size: bigint | null;
  attempts: number;
  failures: number;
}

/**
 * Part of commitSubmission's transaction: one row per file of the submission
 * that is in `temp.delivered_node` (what Globus reports delivered), with its
 * path built from the trie by walking up to the root.
 */
export function recordFileHooks(state: State, r: { submissionRowId: number; taskId: string; createdNs: bigint }): number {
  return state.db
    .prepare(
      `WITH RECURSIVE up(leaf, id, path) AS (
         SELECT p.node_id, n.parent, n.name FROM pending p JOIN node n ON n.id = p.node_id
         WHERE p.submission = ? AND p.kind = 'f' AND p.node_id IN (SELECT id FROM temp.delivered_node)
         UNION ALL
         SELECT up.leaf, n.parent, n.name || '/' || up.path FROM up JOIN node n ON n.id = up.id WHERE n.parent IS NOT NULL
       )
       INSERT INTO file_hook (task_id, rel_path, size, created_ns)
       SELECT ?, up.path, p.size, ? FROM up JOIN pending p ON p.node_id = up.leaf AND p.submission = ? WHERE up.id = ? ORDER BY up.path`,
    )
    .run(r.submissionRowId, r.taskId, r.createdNs, r.submissionRowId, ROOT_NODE_ID).changes;
}

/** Owed and due (no backoff pending) rows after `afterId`, oldest first, a page at a time. */
export function dueFileHooks(state: State, nowNs: bigint, afterId: number, limit: number): FileHookRecord[] {
  const rows = state.db
    .prepare(
      `SELECT id, task_id, rel_path, size, attempts, failures FROM file_hook
       WHERE done_ns IS NULL AND given_up_ns IS NULL AND id > ? AND (next_attempt_ns IS NULL OR next_attempt_ns <= ?) ORDER BY id LIMIT ?`,
    )
    .safeIntegers(true)
    .all(afterId, nowNs, limit) as Array<{ id: bigint; task_id: string; rel_path: string; size: bigint | null; attempts: bigint; failures: bigint }>;
  return rows.map((r) => ({ id: Number(r.id), taskId: r.task_id, relPath: r.rel_path, size: r.size, attempts: Number(r.attempts), failures: Number(r.failures) }));
}

/** Before the process starts, so an attempt a crash cut short still counts. */
export function markFileHookStarted(state: State, id: number, atNs: bigint): void {
  state.db.prepare(`UPDATE file_hook SET attempts = attempts + 1, last_attempt_ns = ?, last_result = NULL WHERE id = ?`).run(atNs, id);
}

/** Exit 0: a row that never failed goes (a first pull may owe millions); one that failed stays, its failures counted in the metrics' total. */
export function markFileHookDone(state: State, id: number, atNs: bigint, result: string): void {
  const { db } = state;
  db.transaction(() => {
    db.prepare(`DELETE FROM file_hook WHERE id = ? AND failures = 0`).run(id);
    db.prepare(`UPDATE file_hook SET done_ns = ?, last_result = ? WHERE id = ?`).run(atNs, result, id);
  }).immediate();
}

/** Owed again at `retryNs`; or given up, when `givenUp`. */
export function markFileHookFailed(state: State, id: number, atNs: bigint, result: string, next: { retryNs: bigint } | { givenUp: true }): void {
  if ('givenUp' in next) {
    state.db.prepare(`UPDATE file_hook SET failures = failures + 1, last_result = ?, given_up_ns = ? WHERE id = ?`).run(result, atNs, id);
  } else {
    state.db.prepare(`UPDATE file_hook SET failures = failures + 1, last_result = ?, next_attempt_ns = ? WHERE id = ?`).run(result, next.retryNs, id);
  }
}

export interface FileHookCounts {
  /** Not yet done, not given up (due now or waiting a backoff). */
  owed: number;
  givenUp: number;
  /** Failed attempts, ever (the rows keep them). */
  failures: number;
}

export function fileHookCounts(state: State): FileHookCounts {
  const r = state.db
    .prepare(
      `SELECT coalesce(sum(done_ns IS NULL AND given_up_ns IS NULL), 0) AS owed, coalesce(sum(given_up_ns IS NOT NULL), 0) AS given_up, coalesce(sum(failures), 0) AS failures FROM file_hook`,
    )
    .get() as { owed: number; given_up: number; failures: number };
  return { owed: r.owed, givenUp: r.given_up, failures: r.failures };
}

/** Given-up rows, for status: the newest first. */
export function givenUpFileHooks(state: State, limit: number): Array<{ relPath: string; taskId: string; attempts: number; lastResult: string | null }> {
  const rows = state.db
    .prepare(`SELECT rel_path, task_id, attempts, last_result FROM file_hook WHERE given_up_ns IS NOT NULL ORDER BY given_up_ns DESC LIMIT ?`)
    .all(limit) as Array<{ rel_path: string; task_id: string; attempts: number; last_result: string | null }>;
  return rows.map((r) => ({ relPath: r.rel_path, taskId: r.task_id, attempts: r.attempts, lastResult: r.last_result }));
}
