import type { State } from './open.js';

/**
 * A path skipped with errors in this many SUCCEEDED tasks in a row, with the
 * same error code, is reported as persistent (`gsync status`, the metric
 * gsync_persistent_skips): three runs rule out a file caught mid-rename or a
 * collection briefly unmounted, and a 15-minute cron job reaches it within the hour.
 */
export const PERSISTENT_SKIP_TASKS = 3;

/** One path Globus skipped with an error, as its skipped_errors document names it. */
export interface SkippedPath {
  code: string;
  /** source_path as Globus reports it (a collection path). */
  path: string;
}

/** What Globus reported for one SUCCEEDED task; one row per submission. */
export interface DeliveryRecord {
  filesTransferred: number;
  bytesTransferred: number;
  filesSkipped: number;
  skippedErrors: number;
  skippedOwed: number;
  skippedVanished: number;
  /** The first few skipped paths (owed first), for status and manifests. */
  sample: SkippedPath[];
}

export interface SkipStreak {
  path: string;
  code: string;
  /** SUCCEEDED tasks in a row that skipped this path with this code. */
  tasks: number;
  firstNs: bigint;
  lastNs: bigint;
}

export interface TaskItemPath {
  source_path: string;
  recursive: boolean;
}

/**
 * Records a task's delivery and updates the skip streaks in one transaction:
 * an owed path skipped again with the same code extends its streak, with
 * another code starts a new one; a path the task covered and did not skip as
 * owed (delivered, or gone from the source) ends its streak.
 */
export function recordDelivery(state: State, submissionRowId: number, d: DeliveryRecord, items: readonly TaskItemPath[], owed: readonly SkippedPath[], nowNs: bigint): void {
  const { db } = state;
  db.transaction(() => {
    db.prepare(
      `INSERT OR REPLACE INTO delivery (submission, files_transferred, bytes_transferred, files_skipped, skipped_errors, skipped_owed, skipped_vanished, sample)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(submissionRowId, d.filesTransferred, d.bytesTransferred, d.filesSkipped, d.skippedErrors, d.skippedOwed, d.skippedVanished, JSON.stringify(d.sample));
    const owedNow = new Map(owed.map((s) => [normal(s.path), s.code]));
    const rows = db.prepare(`SELECT source_path, error_code FROM skip_streak`).all() as Array<{ source_path: string; error_code: string }>;
    const drop = db.prepare(`DELETE FROM skip_streak WHERE source_path = ?`);
    for (const r of rows) {
      if (!owedNow.has(r.source_path) && covers(items, r.source_path)) drop.run(r.source_path);
    }
    const extend = db.prepare(`UPDATE skip_streak SET tasks = tasks + 1, last_ns = ? WHERE source_path = ? AND error_code = ?`);
    const start = db.prepare(`INSERT OR REPLACE INTO skip_streak (source_path, error_code, tasks, first_ns, last_ns) VALUES (?, ?, 1, ?, ?)`);
    for (const [p, code] of owedNow) {
      if (extend.run(nowNs, p, code).changes === 0) start.run(p, code, nowNs, nowNs);
    }
  }).immediate();
}

export function getDelivery(state: State, submissionRowId: number): DeliveryRecord | undefined {
  const r = state.db.prepare(`SELECT * FROM delivery WHERE submission = ?`).get(submissionRowId) as
    | { files_transferred: number; bytes_transferred: number; files_skipped: number; skipped_errors: number; skipped_owed: number; skipped_vanished: number; sample: string }
    | undefined;
  if (r === undefined) return undefined;
  return {
    filesTransferred: r.files_transferred,
    bytesTransferred: r.bytes_transferred,
    filesSkipped: r.files_skipped,
    skippedErrors: r.skipped_errors,
    skippedOwed: r.skipped_owed,
    skippedVanished: r.skipped_vanished,
    sample: JSON.parse(r.sample) as SkippedPath[],
  };
}

/** Current streaks, longest first. */
export function skipStreaks(state: State, limit = 20): SkipStreak[] {
  const rows = state.db.prepare(`SELECT * FROM skip_streak ORDER BY tasks DESC, source_path LIMIT ?`).safeIntegers(true).all(limit) as Array<{
    source_path: string;
    error_code: string;
    tasks: bigint;
    first_ns: bigint;
    last_ns: bigint;
  }>;
  return rows.map((r) => ({ path: r.source_path, code: r.error_code, tasks: Number(r.tasks), firstNs: r.first_ns, lastNs: r.last_ns }));
}

export function persistentSkipCount(state: State, minTasks = PERSISTENT_SKIP_TASKS): number {
  return (state.db.prepare(`SELECT count(*) AS n FROM skip_streak WHERE tasks >= ?`).get(minTasks) as { n: number }).n;
}

/** Globus writes a directory's source_path with a trailing slash; a streak is keyed without it. */
const normal = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);

function covers(items: readonly TaskItemPath[], p: string): boolean {
  return items.some((i) => {
    const root = normal(i.source_path);
    if (root === p) return true;
    return i.recursive && p.startsWith(root === '/' ? '/' : `${root}/`);
  });
}
