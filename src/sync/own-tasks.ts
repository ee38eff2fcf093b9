import type { Config } from '../config/schema.js';
import { createSubmission, getSubmission } from '../ledger/transfer-rows.js';
import { submitTask } from '../ledger/tasks.js';
import { noteRunSubmission } from '../state/runs.js';
import { repairCauses } from '../state/repair.js';
import type { Batch } from './batches.js';
import type { RunOutcome } from '../run/outcome.js';
import { emptyReport, settle, type SettleReport, type TaskOutcome } from './settle-tasks.js';
import type { Task } from '../globus/schemas.js';
import type { SyncContext } from '../run/sync-context.js';
import { transferKind } from './transfer-kind.js';
import { buildTransferDocument } from './transfer-document.js';
import { waitForTask } from '../run/wait.js';

/** The tasks a run submits itself: each recorded before its POST, and with --wait polled and settled at once. */

/** The waiting part of runJob's options (RunJobOptions, src/sync/run-options.ts). */
interface WaitingOptions {
  timeoutSeconds?: number;
  pollIntervalMs?: number;
  onTaskPoll?(task: Task): void;
  onWaiting?(): void;
  signal?: AbortSignal;
}

export function waitOptions(opts: WaitingOptions) {
  return {
    timeoutMs: opts.timeoutSeconds === undefined ? undefined : opts.timeoutSeconds * 1000,
    intervalMs: opts.pollIntervalMs,
    onPoll: opts.onTaskPoll,
    onStart: opts.onWaiting,
    signal: opts.signal,
  };
}

/** One task this run submitted. */
export interface SubmittedTask {
  taskId: string;
  rowId: number;
  syncLevel: Config['transfer']['syncLevel'];
  /** Paths released from a task that did not SUCCEED, shipped with checksum to repair partial copies. */
  repair: boolean;
  items: number;
  files: number;
  bytes: bigint;
}

/** Records the batch's document and its in-flight paths, then POSTs it. */
export async function submitBatch(sync: SyncContext, b: Batch): Promise<SubmittedTask> {
  const { config, logger } = sync;
  if (b.repair) {
    const causes = repairCauses(sync.state);
    logger.warn({ files: b.files, released: causes }, `${b.files} files ${repairWords(causes)}; they go in their own task with sync_level checksum`);
  }
  const items = b.items.length;
  const sent = await submitTask(
    sync,
    transferKind,
    (submissionId) => ({
      doc: buildTransferDocument(config, submissionId, b.items, new Date(Number(sync.now() / 1_000_000n)), b.syncLevel),
      record: (document) => {
        // One transaction: a run stopped at any point after this still names its task in status (issue 31.6).
        const rowId = sync.state.db.transaction(() => {
          const id = createSubmission(sync.state, { submissionId, document, items: b.items, files: b.files, bytes: b.bytes, createdNs: sync.now() });
          if (sync.runId !== undefined) noteRunSubmission(sync.state, sync.runId, id);
          return id;
        })();
        b.items.length = 0; // the document holds them now; let the array go before the POST
        return rowId;
      },
    }),
    b.repair ? 'after-record-repair' : 'after-record',
  );
  const { rowId, doc, result } = sent!;
  logger.info({ taskId: result.task_id, submissionId: doc.submission_id, code: result.code, syncLevel: b.syncLevel }, `submitted task ${result.task_id}`);
  return { taskId: result.task_id, rowId, syncLevel: b.syncLevel, repair: b.repair, items, files: b.files, bytes: b.bytes };
}

/** A submission Globus refused outright (REJECTED) never ran: it is not "a task that did not succeed" (issue 31.7). */
function repairWords(causes: readonly string[]): string {
  const refused = causes.includes('REJECTED');
  if (refused && causes.length === 1) return 'were in a submission Globus refused outright (it never ran)';
  if (refused) return 'were in a task that did not succeed, or in a submission Globus refused, and may be partial at the destination';
  return 'were in a task that did not succeed and may be partial at the destination';
}

/** --wait: polls one task until it ends and settles it at once; its settle report is its own (not what earlier runs left). */
export async function waitAndSettle(sync: SyncContext, opts: WaitingOptions, t: SubmittedTask): Promise<{ outcome: RunOutcome; settled: SettleReport }> {
  const settled = emptyReport();
  const task = await waitForTask(sync.remote, t.taskId, waitOptions(opts));
  if (task === null) {
    const why = opts.signal?.aborted ? 'stopped waiting' : `still ACTIVE after ${opts.timeoutSeconds} s`;
    sync.logger.warn({ taskId: t.taskId }, `task ${t.taskId} ${why}; it stays recorded and the next run settles it`);
    return { outcome: 'still-active', settled };
  }
  const sub = getSubmission(sync.state, t.rowId);
  if (sub === undefined) throw new Error('internal: the submission row vanished');
  const outcome: TaskOutcome = await settle(sync, sub, task, settled);
  return { outcome: OWN_TASK[outcome], settled };
}

/** The task this run waited for, as the run's outcome. */
const OWN_TASK: Record<TaskOutcome, RunOutcome> = {
  succeeded: 'shipped',
  failed: 'task-failed',
  inactive: 'task-inactive',
  active: 'still-active',
  // A task just waited for has its history still; were it deleted, its paths are released.
  released: 'task-failed',
};
