import { EXIT } from '../errors/exit-codes.js';

/**
 * What one sync cycle did with its own transfer. runJob returns it;
 * exitCodeForRun (below) turns it into one of the numbers of src/errors/exit-codes.ts,
 * and watch decides on it. Conditions that stop a cycle before it can do anything
 * (the lock is held, no login) are GsyncErrors, whose kind exitCodeFor maps there.
 */
export type RunOutcome =
  | 'nothing-to-do' // nothing changed
  | 'deferred' // nothing shipped: what changed was modified too recently (scan.minAgeSeconds)
  | 'held' // nothing sent: transfer.maxOpenTasks of this job's tasks are still open; the paths stay owed
  | 'submitted' // a task was sent; not waited for
  | 'shipped' // waited: the task SUCCEEDED and its paths are recorded shipped
  | 'task-failed' // waited: FAILED; its paths ship again
  | 'task-inactive' // waited: INACTIVE; it needs a person
  | 'still-active'; // waited until the timeout or the signal; the next run settles it

/** What the outcome and the tasks earlier runs left say about the cycle. */
export interface CycleVerdict {
  outcome: RunOutcome;
  /** Settled tasks of earlier runs; a FAILED or INACTIVE one is news too, and so is a path one skipped that still exists locally. */
  settled: { failed: number; inactive: number; deleteTrouble?: boolean; deliveries?: ReadonlyArray<{ owed: number }> };
  /** What Globus delivered of this run's own task, when it was waited for and SUCCEEDED. */
  delivery?: { owed: number } | null;
  /** Hooks that failed in this run (src/hooks/): they stay owed, and a person should look. */
  hooksFailed?: number;
  /** Entries the scan could not read or name (issue 31.3): they can never ship as they are, so the run is not a success (rsync's 23). */
  plan?: { unshippable?: number };
}

/** A sync cycle that ran to its end: 1 when a person should look (a task FAILED, went INACTIVE or outlasted --timeout), else 0. */
export function exitCodeForRun(v: CycleVerdict): number {
  return needsAttention(v) ? EXIT.failure : EXIT.ok;
}

const TROUBLE: ReadonlySet<RunOutcome> = new Set(['task-failed', 'task-inactive', 'still-active']);

/** True when a person should read the log: this run's task did not succeed, or an earlier one failed or went INACTIVE. */
export function needsAttention(v: CycleVerdict): boolean {
  return TROUBLE.has(v.outcome) || v.settled.failed + v.settled.inactive > 0 || v.settled.deleteTrouble === true || (v.hooksFailed ?? 0) > 0 || owedSkips(v) > 0 || (v.plan?.unshippable ?? 0) > 0;
}

/**
 * Paths Globus skipped with errors that still exist in the source folder (rsync's
 * exit 23, "partial transfer"): a person must fix a mapping or a permission.
 * Skipped paths gone from the source too (rsync's 24, "vanished") are only a warning.
 */
export function owedSkips(v: CycleVerdict): number {
  let n = v.delivery?.owed ?? 0;
  for (const d of v.settled.deliveries ?? []) n += d.owed;
  return n;
}

/** The word kept in the run table and shown by `gsync status` (unchanged from earlier versions). */
export type RecordedResult = 'nothing-to-do' | 'held' | 'submitted' | 'succeeded' | 'failed' | 'still-active' | 'problems';

export function recordedResult(v: CycleVerdict): RecordedResult {
  switch (v.outcome) {
    case 'task-failed':
      return 'failed';
    case 'still-active':
      return 'still-active';
    case 'task-inactive':
      return 'problems';
  }
  if (needsAttention(v)) return 'problems';
  switch (v.outcome) {
    case 'nothing-to-do':
    case 'deferred':
      return 'nothing-to-do';
    case 'held':
      return 'held';
    case 'submitted':
      return 'submitted';
    case 'shipped':
      return 'succeeded';
  }
}
