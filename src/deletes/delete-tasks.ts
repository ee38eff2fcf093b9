import fs from 'node:fs';
import path from 'node:path';
import type { DeleteDocument, Task } from '../globus/schemas.js';
import {
  commitDeleteTask,
  createDeleteTask,
  markDeleteSubmitted,
  openDeleteTasks,
  releaseDeleteTask,
  updateDeleteStatus,
  type DeleteTaskRecord,
} from '../ledger/delete-rows.js';
import { countStillOpen, failureReason, type TaskKind } from '../ledger/kind.js';
import { settleOpen, submitTask } from '../ledger/tasks.js';
import type { SyncContext } from '../run/sync-context.js';
import { buildDeleteDocument } from './delete-document.js';
import { forgetSubtree } from './forget-subtree.js';
import type { PlannedDelete } from './plan-deletes.js';

/** What settling delete tasks did: the deletes' own counts and the lines a person should read. */
export interface DeletesSettled {
  /** Shipped paths forgotten because their delete task SUCCEEDED. */
  deletedPaths: number;
  succeeded: number;
  failed: number;
  /** ACTIVE or INACTIVE: still held. */
  active: number;
  inactive: number;
  problems: string[];
}

export const noDeletesSettled = (): DeletesSettled => ({ deletedPaths: 0, succeeded: 0, failed: 0, active: 0, inactive: 0, problems: [] });

/**
 * The delete kind of the task ledger (src/ledger/): rows in `delete_task` with
 * the topmost node of each removed path held in `delete_pending`
 * (src/ledger/delete-rows.ts), the document built by ./delete-document.ts,
 * POST /delete; SUCCEEDED forgets the subtrees (./forget-subtree.ts), anything
 * else releases them for a later run.
 */
export const deleteKind: TaskKind<SyncContext, DeleteDocument, DeleteTaskRecord, DeletesSettled> = {
  noun: 'delete task',
  released: 'its paths may be deleted by a later run',
  crash: { afterSubmissionId: 'delete-after-submission-id', afterRecord: 'delete-after-record', afterPost: 'delete-after-post' },
  open: openDeleteTasks,
  markPosted: markDeleteSubmitted,
  release: releaseDeleteTask,
  post: (ctx, doc) => ctx.remote.submitDelete(doc),
  settle: settleDelete,
};

/**
 * The ledger's discipline, as for a transfer. Targets whose path has come back
 * in the source since the scan are dropped here (checked on disk now), so a
 * recreated path is never deleted. Returns the row and task, or null when
 * nothing was left to delete.
 */
export async function submitDeletes(ctx: SyncContext, planned: readonly PlannedDelete[]): Promise<{ rowId: number; taskId: string; paths: number } | null> {
  if (planned.length === 0) return null;
  let paths = 0;
  const sent = await submitTask(ctx, deleteKind, (submissionId) => {
    // As late as possible before the record: from here on, a path that comes back is held until the task ends.
    const targets = planned.filter((t) => stillRemoved(ctx, t));
    if (targets.length < planned.length) {
      ctx.logger.info({ recreated: planned.length - targets.length }, `${planned.length - targets.length} paths came back in the source since the scan; they are not deleted`);
    }
    if (targets.length === 0) return null;
    paths = targets.reduce((n, t) => n + t.paths, 0);
    return {
      doc: buildDeleteDocument(ctx.config, submissionId, targets, new Date(Number(ctx.now() / 1_000_000n))),
      record: (document) => createDeleteTask(ctx.state, { submissionId, document, targets, createdNs: ctx.now() }),
    };
  });
  if (sent === null) return null;
  const { rowId, doc, result } = sent;
  ctx.logger.info(
    { taskId: result.task_id, submissionId: doc.submission_id, code: result.code, items: doc.DATA.length, paths },
    `submitted delete task ${result.task_id}: ${paths} paths in ${doc.DATA.length} items`,
  );
  return { rowId, taskId: result.task_id, paths };
}

/** Delete rows earlier runs left open: resubmitted if they have no task, then settled as Globus says. */
export async function settleOpenDeletes(ctx: SyncContext): Promise<DeletesSettled> {
  const settled = noDeletesSettled();
  await settleOpen(ctx, deleteKind, settled);
  return settled;
}

/** Applies what Globus says about one delete task. Only SUCCEEDED forgets paths; FAILED releases them. */
export function settleDelete(ctx: SyncContext, row: Pick<DeleteTaskRecord, 'id'>, task: Task, report: DeletesSettled): void {
  const log = ctx.logger.child({ taskId: task.task_id });
  switch (task.status) {
    case 'SUCCEEDED': {
      ctx.crashPoint('delete-before-commit');
      const removed = commitDeleteTask(ctx.state, row.id, ctx.now(), (nodeId, relPath) => forgetSubtree(ctx.state, nodeId, existsInSource(ctx, relPath)));
      report.succeeded++;
      report.deletedPaths += removed;
      log.info({ paths: removed }, `delete task SUCCEEDED: ${removed} paths deleted at the destination`);
      return;
    }
    case 'FAILED': {
      const why = failureReason(task);
      releaseDeleteTask(ctx.state, row.id, 'FAILED', why, ctx.now());
      report.failed++;
      report.problems.push(`delete task ${task.task_id} FAILED (${why}); its paths will be deleted by a later run`);
      log.error({ fatalError: task.fatal_error ?? null }, `delete task FAILED: ${why}; nothing is forgotten, a later run tries again`);
      return;
    }
    case 'INACTIVE':
    case 'ACTIVE': {
      countStillOpen(report, task, 'delete task', 'its paths are held until it ends', log, () => updateDeleteStatus(ctx.state, row.id, task.status));
      return;
    }
  }
}

/**
 * The submit-time check: a gone path must still be absent, and a type change
 * must still be of the other type. Anything else (it came back, or cannot be
 * looked at) is left alone; the next scan sees it as it is.
 */
function stillRemoved(ctx: SyncContext, t: PlannedDelete): boolean {
  // A source listed through Globus (issue 29): the plan comes from this run's successful listing, and this host is never read.
  if (ctx.config.source.listing === 'globus') return true;
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path.join(ctx.config.source.path, t.relPath));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
  if (t.change === 'gone') return false;
  return t.shippedKind === 'd' ? !st.isDirectory() : !st.isFile();
}

/** The settle-time check: whatever stands at the path now ships again rather than being forgotten. */
function existsInSource(ctx: SyncContext, relPath: string): boolean {
  // Listed through Globus: forgotten; if it is back at the source, the next listing sees it as new and ships it.
  if (ctx.config.source.listing === 'globus') return false;
  try {
    fs.lstatSync(path.join(ctx.config.source.path, relPath));
    return true;
  } catch {
    return false;
  }
}
