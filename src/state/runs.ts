import type { State } from './open.js';

/** What a finished run leaves in the run table. */
export interface FinishedRun {
  finishedNs: bigint;
  /** Short word for status: 'submitted', 'succeeded', 'failed', 'nothing-to-do', ... */
  result: string;
  exitCode: number;
  submission?: number | null;
  items?: number;
  files?: number;
  bytes?: bigint | number;
  deferred?: number;
  skipped?: number;
  message?: string | null;
}

export interface RunRecord extends FinishedRun {
  id: number;
  startedNs: bigint;
}

export function startRun(state: State, startedNs: bigint): number {
  return Number(state.db.prepare(`INSERT INTO run (started_ns) VALUES (?)`).run(startedNs).lastInsertRowid);
}

/**
 * Links a run to the (first) transfer it submitted as soon as that is recorded,
 * not only when the run finishes: a run stopped while waiting (Ctrl-C, a kill)
 * still shows its task in `gsync status` (issue 31.6).
 */
export function noteRunSubmission(state: State, id: number, submissionRowId: number): void {
  state.db.prepare(`UPDATE run SET submission = ? WHERE id = ? AND submission IS NULL`).run(submissionRowId, id);
}

export function finishRun(state: State, id: number, o: FinishedRun): void {
  state.db
    .prepare(
      `UPDATE run SET finished_ns = ?, result = ?, exit_code = ?, submission = ?, items = ?, files = ?, bytes = ?,
         deferred = ?, skipped = ?, message = ? WHERE id = ?`,
    )
    .run(o.finishedNs, o.result, o.exitCode, o.submission ?? null, o.items ?? null, o.files ?? null,
      o.bytes === undefined ? null : BigInt(o.bytes), o.deferred ?? null, o.skipped ?? null, o.message ?? null, id);
}

/** Newest first; a run with no finishedNs is one that is still going or died. */
export function lastRuns(state: State, limit: number): Array<Omit<RunRecord, 'finishedNs'> & { finishedNs: bigint | null }> {
  const rows = state.db.prepare(`SELECT * FROM run ORDER BY id DESC LIMIT ?`).safeIntegers(true).all(limit) as Array<Record<string, bigint | string | null>>;
  const num = (v: unknown) => (v === null ? undefined : Number(v));
  return rows.map((r) => ({
    id: Number(r.id),
    startedNs: r.started_ns as bigint,
    finishedNs: r.finished_ns as bigint | null,
    result: (r.result as string | null) ?? 'unfinished',
    exitCode: num(r.exit_code) ?? -1,
    submission: num(r.submission) ?? null,
    items: num(r.items),
    files: num(r.files),
    bytes: (r.bytes as bigint | null) ?? undefined,
    deferred: num(r.deferred),
    skipped: num(r.skipped),
    message: r.message as string | null,
  }));
}

/** When the newest run that exited 0 finished; null if none has. */
export function lastSuccessNs(state: State): bigint | null {
  const row = state.db.prepare(`SELECT max(finished_ns) AS ns FROM run WHERE exit_code = 0`).safeIntegers(true).get() as { ns: bigint | null };
  return row.ns;
}
