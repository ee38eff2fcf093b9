import type { SkippedError, Task } from '../globus/schemas.js';
import { findNode } from '../state/last-transfer.js';
import { commitDelivered, noteInactive, releaseFailed } from '../hooks/record.js';
import { failureReason } from '../ledger/kind.js';
import { releaseSubmission, updateSubmissionStatus, type SubmissionRecord } from '../ledger/transfer-rows.js';
import { noteDelivery, type Delivery } from './delivery.js';
import type { SyncContext } from '../run/sync-context.js';
import { relPathOnSource } from '../plan/paths.js';
import { CANCELING, cancelIfOnlyVanished, releaseCancelled } from './vanished-sources.js';

/** What Globus said about one submitted task. released: SUCCEEDED, but with an outcome per path that can no longer be known (history_deleted). */
export type TaskOutcome = 'succeeded' | 'failed' | 'active' | 'inactive' | 'released';

export interface SettleReport {
  succeeded: number;
  failed: number;
  active: number;
  inactive: number;
  /** A deletes guard stopped this run's deletes, or its delete task did not succeed while waited for (deletes.enabled). */
  deleteTrouble?: boolean;
  /** Paths Globus skipped in succeeded tasks; they stay owed. */
  skippedPaths: number;
  /** SUCCEEDED tasks released unread because Globus had deleted their history. */
  historyDeleted: number;
  /** One line per thing an operator should know: failed and inactive tasks. */
  problems: string[];
  /** What Globus reported for each task settled SUCCEEDED (src/sync/delivery.ts). */
  deliveries: Delivery[];
}

export const emptyReport = (): SettleReport => ({ succeeded: 0, failed: 0, active: 0, inactive: 0, skippedPaths: 0, historyDeleted: 0, problems: [], deliveries: [] });

/** Applies what Globus says about one transfer task to the state (the transfer kind's settle, src/sync/transfer-kind.ts). */
export async function settle(sync: SyncContext, sub: SubmissionRecord, task: Task, report: SettleReport): Promise<TaskOutcome> {
  const log = sync.logger.child({ taskId: task.task_id });
  switch (task.status) {
    case 'SUCCEEDED': {
      if (task.history_deleted && mayHaveSkipped(task)) {
        // Which paths Globus skipped can no longer be read, so no path of it may be
        // recorded as shipped: release them all, to ship again (with repair).
        sync.crashPoint('before-release');
        releaseSubmission(sync.state, sub.id, 'HISTORY_DELETED', 'Globus deleted the task history before gsync read its skipped errors', sync.now());
        report.historyDeleted++;
        log.warn(
          { skippedErrors: task.subtasks_skipped_errors ?? null },
          'task SUCCEEDED, but Globus has deleted its history (after 30 days), so which paths it skipped cannot be known; its paths will ship again',
        );
        return 'released';
      }
      const skipped = mayHaveSkipped(task) ? await collect(sync.remote.skippedErrors(task.task_id)) : [];
      const nodes = skippedNodes(sync, skipped);
      sync.crashPoint('before-commit');
      await commitDelivered(sync, sub, task, nodes);
      report.succeeded++;
      report.skippedPaths += skipped.length;
      report.deliveries.push(noteDelivery(sync, sub, task, skipped));
      log.info({ files: task.files_transferred, bytes: task.bytes_transferred, skipped: skipped.length }, 'task SUCCEEDED: its paths are recorded as shipped');
      for (const s of skipped.slice(0, 20)) {
        log.warn({ path: s.source_path, code: s.error_code }, `skipped by Globus, will ship again: ${s.error_details ?? s.error_code}`);
      }
      return 'succeeded';
    }
    case 'FAILED': {
      // issue 28 (vanished-sources.ts): a task gsync cancelled because its sources vanished.
      if (sub.status === CANCELING) {
        releaseCancelled(sync, sub, task, report);
        return 'released';
      }
      const why = failureReason(task);
      const skipped = task.history_deleted ? [] : await collect(sync.remote.skippedErrors(task.task_id), 20).catch(() => []);
      sync.crashPoint('before-release');
      releaseFailed(sync, sub, task, why);
      report.failed++;
      report.problems.push(`task ${task.task_id} FAILED (${why}); its paths will ship again`);
      log.error({ fatalError: task.fatal_error ?? null }, `task FAILED: ${why}; its paths will ship again`);
      for (const s of skipped) log.error({ path: s.source_path, code: s.error_code }, `skipped error: ${s.error_details ?? s.error_code}`);
      return 'failed';
    }
    case 'INACTIVE': {
      const why = task.nice_status_short_description ?? task.nice_status ?? 'paused';
      noteInactive(sync, sub, task, why);
      report.inactive++;
      report.problems.push(`task ${task.task_id} is INACTIVE (${why}); credentials on a collection usually expired: reactivate it in the Globus web app`);
      log.error({ niceStatus: task.nice_status }, `task INACTIVE: ${why}; its paths stay held until it resumes or ends`);
      return 'inactive';
    }
    case 'ACTIVE': {
      // issue 28 (vanished-sources.ts): stuck only on sources gone locally -> cancel, then settle what Globus says now.
      if (!sync.config.transfer.skipSourceErrors && (await cancelIfOnlyVanished(sync, sub, task))) {
        const now = await sync.remote.getTask(task.task_id);
        const updated = { ...sub, status: CANCELING };
        if (now.status !== 'ACTIVE') return settle(sync, updated, now, report);
        report.active++;
        return 'active';
      }
      updateSubmissionStatus(sync.state, sub.id, 'ACTIVE');
      report.active++;
      if (task.faults > 0) {
        log.warn({ faults: task.faults, niceStatus: task.nice_status }, `task ACTIVE with ${task.faults} faults: ${task.nice_status ?? 'retrying'}`);
      } else {
        log.info({ files: task.files, transferred: task.files_transferred }, 'task still ACTIVE: its paths are left out of this run');
      }
      return 'active';
    }
  }
}

// files_skipped counts files sync_level found up to date; skipped errors are counted apart.
function mayHaveSkipped(task: Task): boolean {
  return task.subtasks_skipped_errors === undefined || task.subtasks_skipped_errors > 0;
}

function skippedNodes(sync: SyncContext, skipped: readonly SkippedError[]): number[] {
  const out: number[] = [];
  for (const s of skipped) {
    const rel = relPathOnSource(s.source_path, sync.config.source.collectionPath);
    const id = rel === null ? null : findNode(sync.state, rel);
    if (id !== null) out.push(id);
  }
  return out;
}

async function collect<T>(it: AsyncIterable<T>, limit = Infinity): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) {
    out.push(x);
    if (out.length >= limit) break;
  }
  return out;
}
