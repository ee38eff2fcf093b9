import { persistentSkipCount } from './deliveries.js';
import { owedHookCount } from './hooks.js';
import type { State } from './open.js';
import { lastSuccessNs } from './runs.js';
import { stateSummary } from './summary.js';

/**
 * Counters for Prometheus (`*_total`), read from the ledger's own rows rather
 * than kept beside them: each figure is written in the transaction that settles
 * its task, and gsync never prunes these tables, so a total only grows, survives
 * restarts and a crash between settling and writing the metrics file alike, and
 * cannot drift from what `gsync status` shows. (A future pruning step would have
 * to fold the pruned rows into a stored base first.)
 */
export interface LedgerTotals {
  runs: number;
  /** files_transferred / bytes_transferred of every SUCCEEDED transfer task. */
  transferredFiles: number;
  transferredBytes: number;
  /** files_skipped: not copied because the destination was up to date. */
  upToDateFiles: number;
  skippedErrors: number;
  /** Transfer and delete tasks that ended SUCCEEDED, and those that ended any other way (FAILED, lost, refused, history deleted). */
  tasksSucceeded: number;
  tasksFailed: number;
  /** Paths removed at the destination by delete tasks that SUCCEEDED. */
  deletedPaths: number;
  /** Failed or timed-out attempts of hooks and manifests, over all tasks. */
  hookFailures: number;
}

/** Gauges of what is open now. */
export interface OpenTasks {
  /** Transfer and delete tasks not yet ended. */
  open: number;
  /** Of those, the ones Globus last reported INACTIVE (they wait for a person). */
  inactive: number;
  /** When the oldest of those that reached Globus was submitted; null when none did. */
  oldestSubmittedNs: bigint | null;
}

/**
 * The job's health now, as read from the state alone: what the metrics file's
 * gauges and `gsync status --check` both judge. One reader, so an alert and a
 * check can never disagree about the same database.
 */
export interface JobGauges extends OpenTasks {
  lastSuccessNs: bigint | null;
  dirtyPaths: number;
  hooksOwed: number;
  persistentSkips: number;
}

export function ledgerTotals(state: State): LedgerTotals {
  const { db } = state;
  const one = <T>(sql: string) => db.prepare(sql).get() as T;
  const d = one<{ files: number | null; bytes: number | null; upToDate: number | null; errors: number | null }>(
    `SELECT sum(files_transferred) AS files, sum(bytes_transferred) AS bytes, sum(files_skipped) AS upToDate, sum(skipped_errors) AS errors FROM delivery`,
  );
  const ended = one<{ ok: number | null; bad: number | null }>(
    `SELECT sum(status = 'SUCCEEDED') AS ok, sum(status <> 'SUCCEEDED') AS bad FROM (
       SELECT status FROM submission WHERE completed_ns IS NOT NULL
       UNION ALL SELECT status FROM delete_task WHERE completed_ns IS NOT NULL)`,
  );
  return {
    runs: one<{ n: number }>(`SELECT count(*) AS n FROM run`).n,
    transferredFiles: d.files ?? 0,
    transferredBytes: d.bytes ?? 0,
    upToDateFiles: d.upToDate ?? 0,
    skippedErrors: d.errors ?? 0,
    tasksSucceeded: ended.ok ?? 0,
    tasksFailed: ended.bad ?? 0,
    deletedPaths: one<{ n: number | null }>(`SELECT sum(paths) AS n FROM delete_task WHERE status = 'SUCCEEDED'`).n ?? 0,
    hookFailures: one<{ n: number | null }>(`SELECT sum(failures) AS n FROM task_hook`).n ?? 0,
  };
}

export function openTasks(state: State): OpenTasks {
  const row = state.db
    .prepare(
      `SELECT count(*) AS open, coalesce(sum(status = 'INACTIVE'), 0) AS inactive, min(submitted_ns) AS oldest FROM (
         SELECT status, submitted_ns FROM submission WHERE completed_ns IS NULL
         UNION ALL SELECT status, submitted_ns FROM delete_task WHERE completed_ns IS NULL)`,
    )
    .safeIntegers(true)
    .get() as { open: bigint; inactive: bigint; oldest: bigint | null };
  return { open: Number(row.open), inactive: Number(row.inactive), oldestSubmittedNs: row.oldest };
}

export function jobGauges(state: State): JobGauges {
  return {
    ...openTasks(state),
    lastSuccessNs: lastSuccessNs(state),
    dirtyPaths: stateSummary(state).dirty,
    hooksOwed: owedHookCount(state),
    persistentSkips: persistentSkipCount(state),
  };
}

/** Nanoseconds (the state's clock) as seconds, to the millisecond. */
export function nsToSeconds(ns: bigint): number {
  return Number(ns / 1_000_000n) / 1000;
}

/** Seconds from `fromNs` to `nowNs`, never negative (a clock stepped back reads as 0). */
export function ageSeconds(nowNs: bigint, fromNs: bigint | null): number {
  return fromNs === null ? 0 : Math.max(0, nsToSeconds(nowNs - fromNs));
}
