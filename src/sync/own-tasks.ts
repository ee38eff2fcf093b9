import type { Config } from '../config/schema.js';
import type { Task } from '../globus/schemas.js';
import { createSubmission, getSubmission } from '../state/submissions.js';
import type { Batch } from './batches.js';
import type { Delivery } from './delivery.js';
import type { RunOutcome } from '../run/outcome.js';
import { emptyReport, settle, type ReconcileReport, type TaskOutcome } from './reconcile.js';
import { postSubmission } from './submit.js';
import type { SyncContext } from '../run/sync-context.js';
import { buildTransferDocument } from './transfer-document.js';
import { waitForTask } from '../run/wait.js';

/** The tasks a run submits itself: each recorded before its POST, and with --wait polled and settled at once. */

/** The waiting options of RunJobOptions (src/sync/run-job.ts), which documents them. */
interface WaitingOptions {
  timeoutSeconds?: number;
  pollIntervalMs?: number;
  onTaskPoll?(task: Task): void;
  signal?: AbortSignal;
}

export function waitOptions(opts: WaitingOptions) {
  return {
    timeoutMs: opts.timeoutSeconds === undefined ? undefined : opts.timeoutSeconds * 1000,
    intervalMs: opts.pollIntervalMs,
    onPoll: opts.onTaskPoll,
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
  const submissionId = await sync.remote.getSubmissionId();
  sync.crashPoint('after-submission-id');
  if (b.repair) {
    logger.warn({ files: b.files }, `${b.files} files were in a task that did not succeed and may be partial at the destination; they go in their own task with sync_level checksum`);
  }
  const doc = buildTransferDocument(config, submissionId, b.items, new Date(Number(sync.now() / 1_000_000n)), b.syncLevel);
  const rowId = createSubmission(sync.state, {
    submissionId,
    document: JSON.stringify(doc),
    items: b.items,
    files: b.files,
    bytes: b.bytes,
    createdNs: sync.now(),
  });
  const items = b.items.length;
  b.items.length = 0; // the document holds them now; let the array go before the POST
  sync.crashPoint(b.repair ? 'after-record-repair' : 'after-record');
  const submitted = await postSubmission(sync, rowId, doc);
  logger.info({ taskId: submitted.task_id, submissionId, code: submitted.code, syncLevel: b.syncLevel }, `submitted task ${submitted.task_id}`);
  return { taskId: submitted.task_id, rowId, syncLevel: b.syncLevel, repair: b.repair, items, files: b.files, bytes: b.bytes };
}

/** --wait: polls one task until it ends and settles it at once. */
export async function waitAndSettle(sync: SyncContext, opts: WaitingOptions, t: SubmittedTask, reconciled: ReconcileReport, ownDeliveries: Delivery[]): Promise<RunOutcome> {
  const task = await waitForTask(sync.remote, t.taskId, waitOptions(opts));
  if (task === null) {
    const why = opts.signal?.aborted ? 'stopped waiting' : `still ACTIVE after ${opts.timeoutSeconds} s`;
    sync.logger.warn({ taskId: t.taskId }, `task ${t.taskId} ${why}; it stays recorded and the next run reconciles it`);
    return 'still-active';
  }
  const sub = getSubmission(sync.state, t.rowId);
  if (sub === undefined) throw new Error('internal: the submission row vanished');
  // Its own report: `reconciled` describes what earlier runs left, this is the task just sent.
  const own = emptyReport();
  const settled: TaskOutcome = await settle(sync, sub, task, own);
  reconciled.problems.push(...own.problems);
  ownDeliveries.push(...own.deliveries);
  return OWN_TASK[settled];
}

/** The task this run waited for, as the run's outcome. `settle` never answers 'lost' (that is a 404 in reconcileOpen). */
const OWN_TASK: Record<TaskOutcome, RunOutcome> = {
  succeeded: 'shipped',
  failed: 'task-failed',
  inactive: 'task-inactive',
  active: 'still-active',
  lost: 'task-failed',
  // A task just waited for has its history still; were it deleted, its paths are released.
  released: 'task-failed',
};
