import type { Task } from '../globus/schemas.js';
import { recordDelivered, recordProblem } from '../state/hooks.js';
import { commitSubmission, releaseSubmission, updateSubmissionStatus, type SubmissionRecord } from '../ledger/transfer-rows.js';
import type { SyncContext } from '../run/sync-context.js';
import { deliveredNodes } from './delivered.js';
import { manifestName } from './manifest.js';

/**
 * Where settling hands a settled task to the hooks. Each function does what
 * settling did before (commit, release, note INACTIVE) and, in the same
 * transaction, records the manifest or hook owed, so that a crash either leaves
 * the task unsettled (it is settled again, and recorded then) or settled with
 * its hook owed. Nothing runs here: src/hooks/run-owed.ts runs what is owed.
 */

/** SUCCEEDED: commits the task's paths and records the files it delivered, for its manifest and onSucceeded. */
export async function commitDelivered(ctx: SyncContext, sub: SubmissionRecord, task: Task, skippedNodes: readonly number[]): Promise<void> {
  const h = ctx.config.hooks;
  // Manifests are on unless keepManifests is 0, which the config allows only without onSucceeded.
  const taskHook = h.keepManifests > 0 || h.onSucceeded !== undefined;
  const wanted = taskHook || h.onFile !== undefined;
  // Read before the commit's transaction: only what Globus reports delivered is listed (issue 26).
  const delivered = wanted ? await deliveredNodes(ctx, sub, task) : null;
  const completedNs = ctx.now();
  const record =
    delivered !== null
      ? (rowId: number) => {
          recordDelivered(ctx.state, { submissionRowId: rowId, taskId: task.task_id, createdNs: completedNs, manifest: manifestName(ctx.config.name, completedNs, task.task_id), delivered, taskHook, fileHooks: h.onFile !== undefined });
        }
      : undefined;
  commitSubmission(ctx.state, sub.id, completedNs, { skipped: skippedNodes, delivered: record, beforeEnd: () => ctx.crashPoint('inside-commit') });
}

/** FAILED: releases its paths and, with onFailed set, owes it one run with GSYNC_STATUS=FAILED. */
export function releaseFailed(ctx: SyncContext, sub: SubmissionRecord, task: Task, why: string): void {
  const now = ctx.now();
  ctx.state.db.transaction(() => {
    releaseSubmission(ctx.state, sub.id, 'FAILED', why, now);
    if (ctx.config.hooks.onFailed) recordProblem(ctx.state, { submissionRowId: sub.id, taskId: task.task_id, event: 'FAILED', error: why, createdNs: now });
    ctx.crashPoint('inside-release');
  }).immediate();
}

/** INACTIVE: the status is noted; onFailed is owed once per task however many runs see it INACTIVE. */
export function noteInactive(ctx: SyncContext, sub: SubmissionRecord, task: Task, why: string): void {
  ctx.state.db.transaction(() => {
    updateSubmissionStatus(ctx.state, sub.id, 'INACTIVE');
    if (ctx.config.hooks.onFailed) recordProblem(ctx.state, { submissionRowId: sub.id, taskId: task.task_id, event: 'INACTIVE', error: why, createdNs: ctx.now() });
  }).immediate();
}
