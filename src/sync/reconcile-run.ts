import { excludesAsFilterRules, refusalLine } from '../config/filter-rules.js';
import { SYNC_LEVELS } from '../config/schema.js';
import { usageError } from '../errors/errors.js';
import type { Task, TransferDocument } from '../globus/schemas.js';
import { manifestName } from '../hooks/manifest.js';
import { countStillOpen, failureReason, type TaskKind } from '../ledger/kind.js';
import {
  commitReconcile,
  createReconcile,
  getReconcile,
  lastEndedReconcileStatus,
  lastSucceededReconcile,
  markReconcilePosted,
  openReconciles,
  releaseReconcile,
  updateReconcileStatus,
  type ReconcileRecord,
} from '../ledger/reconcile-rows.js';
import { settleOpen, submitTask } from '../ledger/tasks.js';
import { mapPath, relPathOnSource } from '../plan/paths.js';
import type { SyncContext } from '../run/sync-context.js';
import { waitForTask } from '../run/wait.js';
import { recordProblem, recordRestored } from '../state/hooks.js';
import { NodeLookup } from '../state/node-lookup.js';
import { buildTransferDocument } from './transfer-document.js';

/**
 * Reconcile runs (issue 27, README "Reconcile runs"): now and then a run also
 * sends the whole source root as ONE recursive item with the job's sync_level
 * and its excludes as filter_rules, and Globus compares both sides; gsync
 * lists nothing. It goes through the ledger like every task (submission_id
 * first, row committed before the POST, Duplicate on a re-POST) and counts in
 * transfer.maxOpenTasks. It holds no paths. When it SUCCEEDED, the files
 * Globus copied (successful_transfers, read only once the task ended) are the
 * files the destination had lost or held older: they are reported, and go to
 * the manifest and onSucceeded like any arrival. delete_destination_extra is
 * never set: deletions stay with the guarded delete tasks.
 */

/** What reconcile did in one run: tasks settled, and this run's own. */
export interface ReconcileReport {
  succeeded: number;
  /** Files Globus restored in the reconcile tasks that SUCCEEDED in this run. */
  restored: number;
  failed: number;
  inactive: number;
  active: number;
  problems: string[];
  /** This run's reconcile task, when it submitted one. */
  submitted: { rowId: number; taskId: string } | null;
  /** This run's reconcile task was waited for and had not ended when the wait stopped (timeout or Ctrl-C). */
  stillOpen: boolean;
}

export const noReconcile = (): ReconcileReport => ({ succeeded: 0, restored: 0, failed: 0, inactive: 0, active: 0, problems: [], submitted: null, stillOpen: false });

export const reconcileKind: TaskKind<SyncContext, TransferDocument, ReconcileRecord, ReconcileReport> = {
  noun: 'reconcile task',
  released: 'a later run reconciles again',
  crash: { afterSubmissionId: 'reconcile-after-submission-id', afterRecord: 'reconcile-after-record', afterPost: 'reconcile-after-post' },
  open: openReconciles,
  markPosted: markReconcilePosted,
  release: (state, rowId, status, error, ns) => releaseReconcile(state, rowId, status, error, ns),
  post: (sync, doc) => sync.remote.submitTransfer(doc),
  settle: settleReconcile,
};

/** The job's excludes as filter_rules; a pattern they cannot express stops the run (exit 2) before anything is sent. */
export function reconcileFilterRules(exclude: readonly string[]): NonNullable<TransferDocument['filter_rules']> {
  const r = excludesAsFilterRules(exclude);
  if ('refused' in r) throw usageError(`scan.exclude.${exclude.indexOf(r.refused)}: ${refusalLine(r)}`, 'change the pattern, or reconcile without it');
  return r.rules;
}

/**
 * Globus writes in place, so a task that did not succeed may have left truncated
 * copies dated then, anywhere in the tree (globus-cli issue 202: after a failed
 * transfer only sync_level checksum is safe), which mtime would then skip. A
 * reconcile that FAILED or was lost is therefore followed at once, by the next
 * run, by one with checksum; a refused one never ran.
 */
export function lastReconcileUnfinished(sync: SyncContext): string | null {
  const status = lastEndedReconcileStatus(sync.state);
  return status === null || status === 'SUCCEEDED' || status === 'REJECTED' ? null : status;
}

/** The reconcile document: one recursive item, source root to destination root, with the excludes as filter_rules. */
export function buildReconcileDocument(sync: SyncContext, submissionId: string): TransferDocument {
  const { config } = sync;
  const root = mapPath('', true, { sourceRoot: config.source.collectionPath, destinationRoot: config.destination.path });
  const item = { nodeId: null, relPath: '', ...root, recursive: true, files: 0, bytes: 0n };
  const syncLevel = lastReconcileUnfinished(sync) !== null ? 'checksum' : (config.reconcile.syncLevel ?? config.transfer.syncLevel);
  const doc = buildTransferDocument(config, submissionId, [item], new Date(Number(sync.now() / 1_000_000n)), syncLevel);
  const rules = reconcileFilterRules(config.scan.exclude);
  if (rules.length > 0) doc.filter_rules = rules;
  return doc;
}

/**
 * Whether this run sends a reconcile task: asked for (--reconcile), or
 * reconcile.intervalHours have passed since the last one that SUCCEEDED was
 * submitted, or the last one did not succeed (its repair, with checksum);
 * never while one is still open. null: due; else why not.
 */
export function reconcileNotDue(sync: SyncContext, asked: boolean): string | null {
  if (openReconciles(sync.state).length > 0) return 'a reconcile task is still open';
  if (asked) return null;
  const unfinished = lastReconcileUnfinished(sync);
  if (unfinished !== null) {
    sync.logger.warn(`the last reconcile task ended ${unfinished} and may have left partial copies at the destination: this run reconciles again, with sync_level checksum`);
    return null;
  }
  const hours = sync.config.reconcile.intervalHours;
  if (hours === undefined) return 'reconcile.intervalHours is not set';
  const last = lastSucceededReconcile(sync.state);
  if (last === null) return null;
  const dueNs = last.createdNs + BigInt(Math.round(hours * 3600 * 1000)) * 1_000_000n;
  return sync.now() >= dueNs ? null : `the last reconcile that SUCCEEDED is younger than reconcile.intervalHours (${hours})`;
}

/** Submits the reconcile task through the ledger; a run calls it only when due and with a task slot free. */
export async function submitReconcile(sync: SyncContext): Promise<{ rowId: number; taskId: string }> {
  const sent = await submitTask(sync, reconcileKind, (submissionId) => ({
    doc: buildReconcileDocument(sync, submissionId),
    record: (document) => createReconcile(sync.state, { submissionId, document, createdNs: sync.now() }),
  }));
  const { rowId, result, doc } = sent!;
  sync.logger.info(
    { taskId: result.task_id, submissionId: doc.submission_id, code: result.code, syncLevel: SYNC_LEVELS[doc.sync_level ?? 2], filterRules: doc.filter_rules?.length ?? 0 },
    `submitted reconcile task ${result.task_id}: Globus compares the whole source with the destination`,
  );
  return { rowId, taskId: result.task_id };
}

/** Reconcile tasks earlier runs left open: re-POSTed if they have no task id, then settled as Globus says. */
export async function settleOpenReconciles(sync: SyncContext, report: ReconcileReport): Promise<ReconcileReport> {
  await settleOpen(sync, reconcileKind, report);
  return report;
}

/** --wait: polls this run's reconcile task until it ends and settles it. */
export async function waitForReconcile(sync: SyncContext, submitted: { rowId: number; taskId: string }, wait: Parameters<typeof waitForTask>[2], report: ReconcileReport): Promise<void> {
  const task = await waitForTask(sync.remote, submitted.taskId, wait);
  if (task === null) {
    sync.logger.warn({ taskId: submitted.taskId }, `reconcile task ${submitted.taskId} is still ACTIVE; the next run settles it`);
    report.active++;
    report.stillOpen = true;
    return;
  }
  const row = getReconcile(sync.state, submitted.rowId);
  if (row === undefined) throw new Error('internal: the reconcile row vanished');
  await settleReconcile(sync, row, task, report);
}

/** Applies what Globus says about one reconcile task. Only SUCCEEDED ends it as done (and reads what it restored). */
export async function settleReconcile(sync: SyncContext, row: ReconcileRecord, task: Task, report: ReconcileReport): Promise<void> {
  const log = sync.logger.child({ taskId: task.task_id });
  switch (task.status) {
    case 'SUCCEEDED': {
      // successful_transfers answers 400 while the task is active: read only now that it ended.
      const restored: string[] = [];
      if (task.files_transferred > 0) for await (const t of sync.remote.successfulTransfers(task.task_id)) restored.push(t.source_path);
      sync.crashPoint('reconcile-before-commit');
      const completedNs = sync.now();
      const root = sync.config.source.collectionPath;
      const h = sync.config.hooks;
      const record =
        h.keepManifests > 0 || h.onSucceeded !== undefined
          ? () => {
              const lookup = new NodeLookup(sync.state);
              const nodes = restored.flatMap((p) => {
                const rel = relPathOnSource(p, root);
                const id = rel === null ? null : lookup.idOf(rel);
                return id === null ? [] : [id];
              });
              recordRestored(sync.state, { submissionRowId: row.id, taskId: task.task_id, createdNs: completedNs, manifest: manifestName(sync.config.name, completedNs, task.task_id), restored: nodes });
            }
          : undefined;
      commitReconcile(sync.state, row.id, restored.length, completedNs, record);
      report.succeeded++;
      report.restored += restored.length;
      const level = restored.length > 0 ? 'warn' : 'info';
      log[level]({ restored: restored.length, filesSkipped: task.files_skipped ?? null }, `reconcile task SUCCEEDED: ${restored.length} file${restored.length === 1 ? '' : 's'} restored at the destination`);
      for (const p of restored) log.warn({ path: p }, `restored at the destination by reconcile: ${p}`);
      return;
    }
    case 'FAILED': {
      const why = failureReason(task);
      const now = sync.now();
      releaseReconcile(sync.state, row.id, 'FAILED', why, now, () => {
        if (sync.config.hooks.onFailed) recordProblem(sync.state, { submissionRowId: row.id, taskId: task.task_id, event: 'FAILED', error: why, createdNs: now });
      });
      report.failed++;
      report.problems.push(`reconcile task ${task.task_id} FAILED (${why}); the next run reconciles again, with checksum`);
      log.error({ fatalError: task.fatal_error ?? null }, `reconcile task FAILED: ${why}`);
      return;
    }
    case 'INACTIVE':
    case 'ACTIVE': {
      countStillOpen(report, task, 'reconcile task', 'it holds a task slot until it ends', log, () => updateReconcileStatus(sync.state, row.id, task.status));
      return;
    }
  }
}
