import fs from 'node:fs';
import path from 'node:path';
import type { Task, TransferDocument } from '../globus/schemas.js';
import { releaseSubmission, updateSubmissionStatus, type SubmissionRecord } from '../ledger/transfer-rows.js';
import type { SyncContext } from '../run/sync-context.js';
import { relPathOnSource } from '../plan/paths.js';

/**
 * Issue 28: without skip_source_errors, Globus keeps a task whose source file
 * is gone ACTIVE, retrying until its deadline (24 h, extendable to 72 h), which
 * holds the task's paths and a task slot for days. gsync cancels such a task
 * when its only trouble is sources that no longer exist locally:
 *   - the task has at least VANISHED_MIN_FAULTS faults (Globus has retried and
 *     the file stayed missing; one transient miss is not enough),
 *   - every error event of its event list is FILE_NOT_FOUND (anything else,
 *     a permission, an endpoint error, is a person's business and waits), and
 *   - at least one file the task lists is missing from the local source now
 *     (a FILE_NOT_FOUND on a file that exists locally is a mapping problem,
 *     source.collectionPath, not a vanished file: the task is left alone).
 * No age is required: a file gone locally will not come back by waiting, and
 * if it does, Globus's next retry finds it and the task was never cancelled
 * (the check is made again at each look). The cancel is recorded
 * (status CANCELING) before it is sent, so a crash between the two cannot lose
 * it; the next look at a CANCELING row sends it again (a cancel of a finished
 * task answers "TaskComplete", which is fine). Once Globus reports the task
 * FAILED, its paths are released like any unfinished task's and what still
 * exists ships in the next task; vanished files are deletions for the scanner.
 */
export const VANISHED_MIN_FAULTS = 3;
export const CANCELING = 'CANCELING';
const EVENTS_LOOKED_AT = 100;

/** The optional remote operations this needs; a remote without them never cancels. */
export interface CancelRemote {
  cancelTask?(taskId: string): Promise<{ code: string }>;
  errorEvents?(taskId: string, limit: number): Promise<Array<{ code: string; details?: string | null }>>;
}

/** Files (non-recursive items) the task lists that are missing from the local source folder now. */
function vanishedLocally(sync: SyncContext, sub: SubmissionRecord): string[] {
  // A source listed through Globus is never looked at on this host (issue 29): no task is cancelled for it.
  if (sync.config.source.listing === 'globus') return [];
  const doc = JSON.parse(sub.document) as TransferDocument;
  const gone: string[] = [];
  for (const it of doc.DATA) {
    if (it.recursive) continue;
    const rel = relPathOnSource(it.source_path, sync.config.source.collectionPath);
    if (rel === null || rel === '') continue;
    if (!fs.existsSync(path.join(sync.config.source.path, rel))) gone.push(rel);
  }
  return gone;
}

/**
 * Called (when skipSourceErrors is false) for a task Globus reports ACTIVE, or for
 * a row already CANCELING. Returns true when the task was cancelled (or the cancel
 * re-sent) and the caller should treat it as ending.
 */
export async function cancelIfOnlyVanished(sync: SyncContext, sub: SubmissionRecord, task: Task): Promise<boolean> {
  const remote = sync.remote as CancelRemote;
  if (!remote.cancelTask || !remote.errorEvents) return false;
  if (sub.status !== CANCELING) {
    if (task.faults < VANISHED_MIN_FAULTS) return false;
    const events = await remote.errorEvents(task.task_id, EVENTS_LOOKED_AT);
    if (events.length === 0 || events.some((e) => e.code !== 'FILE_NOT_FOUND')) return false;
    const gone = vanishedLocally(sync, sub);
    if (gone.length === 0) return false;
    // The intent first, committed: a crash after this and before the POST re-sends it next run.
    updateSubmissionStatus(sync.state, sub.id, CANCELING);
    sync.crashPoint('after-cancel-record');
    sync.logger.warn({ taskId: task.task_id, faults: task.faults, vanished: gone.slice(0, 20) }, `cancelling task ${task.task_id}: ${gone.length} of its source files no longer exist locally; what still exists ships in a new task`);
  }
  const r = await remote.cancelTask(task.task_id);
  sync.crashPoint('after-cancel-post');
  sync.logger.info({ taskId: task.task_id, code: r.code }, 'cancel sent');
  return true;
}

/** A CANCELING row whose task Globus now reports ended (FAILED by the cancel): release its paths, say so in one line. */
export function releaseCancelled(sync: SyncContext, sub: SubmissionRecord, task: Task, report: { problems: string[] }): void {
  sync.crashPoint('before-release');
  releaseSubmission(sync.state, sub.id, 'CANCELED', 'cancelled by gsync: source files vanished after the scan', sync.now());
  // One line in the run's summary; not a failure (rsync's 24, "vanished"), so it does not change the exit code.
  report.problems.push(`task ${task.task_id} cancelled: source files vanished after the scan; what still exists ships in a new task`);
  sync.logger.warn({ taskId: task.task_id }, 'cancelled task ended: its paths are released, what still exists ships in a new task');
}
