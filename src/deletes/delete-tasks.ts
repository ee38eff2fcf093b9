import fs from 'node:fs';
import path from 'node:path';
import { GlobusApiError } from '../globus/errors.js';
import type { DeleteDocument, DeleteResult, Task } from '../globus/schemas.js';
import {
  commitDeleteTask,
  createDeleteTask,
  markDeleteSubmitted,
  openDeleteTasks,
  releaseDeleteTask,
  updateDeleteStatus,
  type DeleteTaskRecord,
} from '../state/delete-tasks.js';
import { isRefusal, withConsent } from '../run/post-answers.js';
import type { SyncContext } from '../run/sync-context.js';
import { buildDeleteDocument } from './delete-document.js';
import type { PlannedDelete } from './plan-deletes.js';

/** The slice of the run's reconcile report (src/sync/reconcile.ts) a settled delete task writes to. */
export interface ProblemTally {
  failed: number;
  inactive: number;
  /** One line per thing an operator should know. */
  problems: string[];
}

/** What deletes did in one run, for the summary, the run's exit code and metrics. */
export interface DeleteReport {
  /** Shipped paths forgotten because their delete task SUCCEEDED in this run. */
  deletedPaths: number;
  succeeded: number;
  failed: number;
  active: number;
}

export const emptyDeleteReport = (): DeleteReport => ({ deletedPaths: 0, succeeded: 0, failed: 0, active: 0 });

/**
 * The same discipline as a transfer: a submission_id first, then the row and
 * its exact document committed, then the POST. Targets whose path has come back
 * in the source since the scan are dropped here (checked on disk now), so a
 * recreated path is never deleted. Returns the row and task, or null when
 * nothing was left to delete.
 */
export async function submitDeletes(ctx: SyncContext, planned: readonly PlannedDelete[]): Promise<{ rowId: number; taskId: string; paths: number } | null> {
  if (planned.length === 0) return null;
  const submissionId = await ctx.remote.getSubmissionId();
  ctx.crashPoint('delete-after-submission-id');
  // As late as possible before the record: from here on, a path that comes back is held until the task ends.
  const targets = planned.filter((t) => stillRemoved(ctx, t));
  if (targets.length < planned.length) {
    ctx.logger.info({ recreated: planned.length - targets.length }, `${planned.length - targets.length} paths came back in the source since the scan; they are not deleted`);
  }
  if (targets.length === 0) return null;
  const doc = buildDeleteDocument(ctx.config, submissionId, targets, new Date(Number(ctx.now() / 1_000_000n)));
  const rowId = createDeleteTask(ctx.state, { submissionId, document: JSON.stringify(doc), targets, createdNs: ctx.now() });
  ctx.crashPoint('delete-after-record');
  const result = await postDelete(ctx, rowId, doc);
  const paths = targets.reduce((n, t) => n + t.paths, 0);
  ctx.logger.info({ taskId: result.task_id, submissionId, code: result.code, items: targets.length, paths }, `submitted delete task ${result.task_id}: ${paths} paths in ${targets.length} items`);
  return { rowId, taskId: result.task_id, paths };
}

/** A delete row an earlier run left open: resubmit it if it has no task, then settle what Globus says. */
export async function reconcileOpenDeletes(ctx: SyncContext, report: DeleteReport, problems: ProblemTally): Promise<void> {
  for (const row of openDeleteTasks(ctx.state)) {
    let taskId = row.taskId;
    if (taskId === null) {
      const result = await postDelete(ctx, row.id, JSON.parse(row.document) as DeleteDocument);
      taskId = result.task_id;
      ctx.logger.info(
        { submissionId: row.submissionId, taskId, code: result.code },
        result.code === 'Duplicate' ? 'an earlier run had submitted this delete task; Globus returned its task' : 'resubmitted a delete task an earlier run had prepared',
      );
    }
    let task: Task;
    try {
      task = await ctx.remote.getTask(taskId);
    } catch (err) {
      if (!(err instanceof GlobusApiError && err.isNotFound)) throw err;
      releaseDeleteTask(ctx.state, row.id, 'LOST', err.message, ctx.now());
      ctx.logger.warn({ taskId }, `Globus does not know delete task ${taskId}; its paths may be deleted by a later run`);
      continue;
    }
    settleDelete(ctx, row, task, report, problems);
  }
}

/** Applies what Globus says about one delete task. Only SUCCEEDED forgets paths; FAILED releases them. */
export function settleDelete(ctx: SyncContext, row: Pick<DeleteTaskRecord, 'id'>, task: Task, report: DeleteReport, problems: ProblemTally): void {
  const log = ctx.logger.child({ taskId: task.task_id });
  switch (task.status) {
    case 'SUCCEEDED': {
      ctx.crashPoint('delete-before-commit');
      const removed = commitDeleteTask(ctx.state, row.id, ctx.now(), (rel) => existsInSource(ctx, rel));
      report.succeeded++;
      report.deletedPaths += removed;
      log.info({ paths: removed }, `delete task SUCCEEDED: ${removed} paths deleted at the destination`);
      return;
    }
    case 'FAILED': {
      const why = task.fatal_error ? `${task.fatal_error.code}: ${task.fatal_error.description}` : (task.nice_status ?? 'no reason given');
      releaseDeleteTask(ctx.state, row.id, 'FAILED', why, ctx.now());
      report.failed++;
      problems.failed++;
      problems.problems.push(`delete task ${task.task_id} FAILED (${why}); its paths will be deleted by a later run`);
      log.error({ fatalError: task.fatal_error ?? null }, `delete task FAILED: ${why}; nothing is forgotten, a later run tries again`);
      return;
    }
    case 'INACTIVE':
    case 'ACTIVE': {
      updateDeleteStatus(ctx.state, row.id, task.status);
      report.active++;
      if (task.status === 'INACTIVE') {
        problems.inactive++;
        problems.problems.push(`delete task ${task.task_id} is INACTIVE (${task.nice_status_short_description ?? task.nice_status ?? 'paused'})`);
      }
      log.info({ faults: task.faults, niceStatus: task.nice_status }, `delete task ${task.status}: its paths are held until it ends`);
      return;
    }
  }
}

async function postDelete(ctx: SyncContext, rowId: number, doc: DeleteDocument): Promise<DeleteResult> {
  let result: DeleteResult;
  try {
    result = await withConsent(ctx, () => ctx.remote.submitDelete(doc));
  } catch (err) {
    if (isRefusal(err)) {
      releaseDeleteTask(ctx.state, rowId, 'REJECTED', err.message, ctx.now());
      ctx.logger.error({ submissionId: doc.submission_id, code: err.code }, `Globus refused the delete task: ${err.message}`);
    }
    throw err;
  }
  ctx.crashPoint('delete-after-post');
  markDeleteSubmitted(ctx.state, rowId, result.task_id, ctx.now());
  return result;
}

/**
 * The submit-time check: a gone path must still be absent, and a type change
 * must still be of the other type. Anything else (it came back, or cannot be
 * looked at) is left alone; the next scan sees it as it is.
 */
function stillRemoved(ctx: SyncContext, t: PlannedDelete): boolean {
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
  try {
    fs.lstatSync(path.join(ctx.config.source.path, relPath));
    return true;
  } catch {
    return false;
  }
}
