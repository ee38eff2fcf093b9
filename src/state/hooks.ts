import { recordFileHooks } from './file-hooks.js';
import type { State } from './open.js';

/** The Globus status a hook answers: onSucceeded for SUCCEEDED, onFailed for the other two. */
export type HookEvent = 'SUCCEEDED' | 'FAILED' | 'INACTIVE';

/** A task_hook row: what is owed (or was done) after one task reached one status. */
export interface HookRecord {
  id: number;
  submissionRowId: number;
  taskId: string;
  event: HookEvent;
  /** FAILED or INACTIVE: why, as Globus put it. */
  error: string | null;
  /** SUCCEEDED: files and bytes delivered (what the manifest lists). */
  files: number;
  bytes: bigint;
  /** SUCCEEDED: the manifest's file name inside hooks.manifestDir. */
  manifest: string | null;
  createdNs: bigint;
  attempts: number;
  failures: number;
  lastAttemptNs: bigint | null;
  /** "exit 0", "exit 3", "timed out after 600 s", ...; null before the first attempt ended. */
  lastResult: string | null;
  doneNs: bigint | null;
}

/** One delivered file as recorded at commit: the node (for its path) and the fingerprint the scan saw. */
export interface ManifestRow {
  nodeId: number;
  relPath: string;
  size: bigint | null;
  mtimeNs: bigint | null;
}

/**
 * Part of commitSubmission's transaction, called after the skipped paths were
 * dropped from pending and before pending is cleared: copies the files the
 * task delivered into manifest_file under a new owed SUCCEEDED row. A task that
 * delivered no file (only empty directories, or every file skipped) records
 * nothing: there is nothing to tell. Returns the row id, or null.
 * `delivered`: the nodes Globus reports delivered (issue 26); only those of
 * the task's files are listed, never one that was only asked for.
 */
export function recordDelivered(
  state: State,
  r: { submissionRowId: number; taskId: string; createdNs: bigint; manifest: string; delivered: Iterable<number>; taskHook?: boolean; fileHooks?: boolean },
): number | null {
  const { db } = state;
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS delivered_node (id INTEGER PRIMARY KEY)`);
  db.exec(`DELETE FROM temp.delivered_node`);
  const add = db.prepare(`INSERT OR IGNORE INTO temp.delivered_node (id) VALUES (?)`);
  for (const id of r.delivered) add.run(id);
  const files = `FROM pending WHERE submission = ? AND kind = 'f' AND node_id IN (SELECT id FROM temp.delivered_node)`;
  try {
    const totals = db.prepare(`SELECT count(*) AS files, coalesce(sum(size), 0) AS bytes ${files}`).safeIntegers(true).get(r.submissionRowId) as { files: bigint; bytes: bigint };
    if (totals.files === 0n) return null;
    // hooks.onFile (issue 29): each delivered file owed its own hook, in this same transaction.
    if (r.fileHooks) recordFileHooks(state, r);
    if (r.taskHook === false) return null;
    const id = Number(
      db
        .prepare(`INSERT INTO task_hook (submission, task_id, event, files, bytes, manifest, created_ns) VALUES (?, ?, 'SUCCEEDED', ?, ?, ?, ?)`)
        .run(r.submissionRowId, r.taskId, totals.files, totals.bytes, r.manifest, r.createdNs).lastInsertRowid,
    );
    db.prepare(`INSERT INTO manifest_file (hook, node_id, size, mtime_ns) SELECT ?, node_id, size, mtime_ns ${files}`).run(id, r.submissionRowId);
    return id;
  } finally {
    db.exec(`DELETE FROM temp.delivered_node`);
  }
}

/**
 * A reconcile task's arrivals (issue 27): the files Globus restored, as nodes
 * of the trie, listed in a new owed SUCCEEDED row with the fingerprint last
 * shipped (what the source held when gsync shipped it, which is what Globus
 * found again). Part of the transaction that settles the task. Returns the row
 * id, or null when none of them is a shipped file of the trie.
 */
export function recordRestored(state: State, r: { submissionRowId: number; taskId: string; createdNs: bigint; manifest: string; restored: Iterable<number> }): number | null {
  const { db } = state;
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS restored_node (id INTEGER PRIMARY KEY)`);
  db.exec(`DELETE FROM temp.restored_node`);
  const add = db.prepare(`INSERT OR IGNORE INTO temp.restored_node (id) VALUES (?)`);
  for (const id of r.restored) add.run(id);
  const files = `FROM node WHERE id IN (SELECT id FROM temp.restored_node) AND shipped_kind = 'f'`;
  try {
    const totals = db.prepare(`SELECT count(*) AS files, coalesce(sum(shipped_size), 0) AS bytes ${files}`).safeIntegers(true).get() as { files: bigint; bytes: bigint };
    if (totals.files === 0n) return null;
    const id = Number(
      db
        .prepare(`INSERT INTO task_hook (submission, task_id, event, files, bytes, manifest, created_ns) VALUES (?, ?, 'SUCCEEDED', ?, ?, ?, ?)`)
        .run(r.submissionRowId, r.taskId, totals.files, totals.bytes, r.manifest, r.createdNs).lastInsertRowid,
    );
    db.prepare(`INSERT INTO manifest_file (hook, node_id, size, mtime_ns) SELECT ?, id, shipped_size, shipped_mtime_ns ${files}`).run(id);
    return id;
  } finally {
    db.exec(`DELETE FROM temp.restored_node`);
  }
}

/**
 * A FAILED or INACTIVE task owes onFailed once per status: a task seen INACTIVE
 * on five runs is recorded once (the UNIQUE key ignores the rest).
 */
export function recordProblem(state: State, r: { submissionRowId: number; taskId: string; event: 'FAILED' | 'INACTIVE'; error: string; createdNs: bigint }): void {
  state.db
    .prepare(`INSERT OR IGNORE INTO task_hook (submission, task_id, event, error, files, bytes, created_ns) VALUES (?, ?, ?, ?, 0, 0, ?)`)
    .run(r.submissionRowId, r.taskId, r.event, r.error, r.createdNs);
}

/** Owed hooks, oldest first: the order their tasks settled. */
export function owedHooks(state: State): HookRecord[] {
  const rows = state.db.prepare(`SELECT * FROM task_hook WHERE done_ns IS NULL ORDER BY id`).safeIntegers(true).all() as HookRow[];
  return rows.map(toRecord);
}

export function getHook(state: State, id: number): HookRecord | undefined {
  const row = state.db.prepare(`SELECT * FROM task_hook WHERE id = ?`).safeIntegers(true).get(id) as HookRow | undefined;
  return row === undefined ? undefined : toRecord(row);
}

/** Before the process starts, so an attempt a crash cut short still shows in status. */
export function markHookStarted(state: State, id: number, atNs: bigint): void {
  state.db.prepare(`UPDATE task_hook SET attempts = attempts + 1, last_attempt_ns = ?, last_result = NULL WHERE id = ?`).run(atNs, id);
}

/** Exit 0 (or nothing left to run): never again, and the file rows go (the manifest file is the record now). */
export function markHookDone(state: State, id: number, atNs: bigint, result: string): void {
  const { db } = state;
  db.transaction(() => {
    db.prepare(`UPDATE task_hook SET done_ns = ?, last_result = ?, last_failed = 0 WHERE id = ?`).run(atNs, result, id);
    db.prepare(`DELETE FROM manifest_file WHERE hook = ?`).run(id);
  }).immediate();
}

/** Stays owed: the next run tries again. */
export function markHookFailed(state: State, id: number, atNs: bigint, result: string): void {
  state.db
    .prepare(`UPDATE task_hook SET failures = failures + 1, last_attempt_ns = ?, last_result = ?, last_failed = 1 WHERE id = ?`)
    .run(atNs, result, id);
}

/** Attempts that failed at or after `sinceNs` (one run's failures, for the metrics). */
export function hookFailuresSince(state: State, sinceNs: bigint): number {
  const row = state.db.prepare(`SELECT count(*) AS n FROM task_hook WHERE last_failed = 1 AND last_attempt_ns >= ?`).get(sinceNs) as { n: number };
  return row.n;
}

export function owedHookCount(state: State): number {
  return (state.db.prepare(`SELECT count(*) AS n FROM task_hook WHERE done_ns IS NULL`).get() as { n: number }).n;
}

/**
 * The delivered files of one hook row, in pages of `pageSize` (a first sync can
 * list millions), each with its path relative to the source directory. Paths
 * are built from the trie with a memo of directory paths, so a page costs about
 * one lookup per new directory.
 */
export function* manifestRows(state: State, hookId: number, pageSize = 5000): Generator<ManifestRow[]> {
  const page = state.db
    .prepare(
      `SELECT m.node_id, n.parent, n.name, m.size, m.mtime_ns FROM manifest_file m JOIN node n ON n.id = m.node_id
       WHERE m.hook = ? AND m.node_id > ? ORDER BY m.node_id LIMIT ?`,
    )
    .safeIntegers(true)
    .raw(true);
  const nodeOf = state.db.prepare(`SELECT parent, name FROM node WHERE id = ?`).raw(true);
  const dirPath = new Map<number, string>();
  const pathOf = (id: number): string => {
    const known = dirPath.get(id);
    if (known !== undefined) return known;
    const row = nodeOf.get(id) as [number | null, string] | undefined;
    const p = row === undefined || row[0] === null ? '' : join(pathOf(row[0]), row[1]);
    dirPath.set(id, p);
    return p;
  };
  let after = 0n;
  for (;;) {
    const rows = page.all(hookId, after, pageSize) as Array<[bigint, bigint, string, bigint | null, bigint | null]>;
    if (rows.length === 0) return;
    after = rows.at(-1)![0];
    yield rows.map(([nodeId, parent, name, size, mtimeNs]) => ({ nodeId: Number(nodeId), relPath: join(pathOf(Number(parent)), name), size, mtimeNs }));
  }
}

const join = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);

interface HookRow {
  id: bigint;
  submission: bigint;
  task_id: string;
  event: HookEvent;
  error: string | null;
  files: bigint;
  bytes: bigint;
  manifest: string | null;
  created_ns: bigint;
  attempts: bigint;
  failures: bigint;
  last_attempt_ns: bigint | null;
  last_result: string | null;
  done_ns: bigint | null;
}

function toRecord(r: HookRow): HookRecord {
  return {
    id: Number(r.id),
    submissionRowId: Number(r.submission),
    taskId: r.task_id,
    event: r.event,
    error: r.error,
    files: Number(r.files),
    bytes: r.bytes,
    manifest: r.manifest,
    createdNs: r.created_ns,
    attempts: Number(r.attempts),
    failures: Number(r.failures),
    lastAttemptNs: r.last_attempt_ns,
    lastResult: r.last_result,
    doneNs: r.done_ns,
  };
}
