import type { TransferItem } from '../plan/coalescer.js';
import type { PlanTotals } from '../plan/plan-scan.js';
import { getDeleteTask, heldByOpenDeletes } from '../ledger/delete-rows.js';
import type { SyncContext } from '../run/sync-context.js';
import { waitForTask, type WaitOptions } from '../run/wait.js';
import { noDeletesSettled, settleDelete, submitDeletes, type DeletesSettled } from './delete-tasks.js';
import { atOrUnder, planDeletes, type DeletePlan, type RemovalCollector } from './plan-deletes.js';

/** What the delete step of one run did. */
export interface DeleteRunOutcome {
  plan: DeletePlan | null;
  /** The delete task this run submitted. */
  submitted: { rowId: number; taskId: string; paths: number } | null;
  /** The one line logged when a guard stopped the deletes; the run then exits 1. */
  stoppedBy: string | null;
}

/**
 * After the scan, before the transfer is submitted: plan the deletes, check
 * the guards, and submit the delete task if they pass. A tripped guard deletes
 * nothing; the transfer still goes.
 */
export async function runDeletes(ctx: SyncContext, removals: RemovalCollector, totals: PlanTotals, allow: number | undefined): Promise<DeleteRunOutcome> {
  const plan = planDeletes({ state: ctx.state, config: ctx.config, removals, totals, allow });
  const log = ctx.logger;
  if (plan.protectedByErrors > 0) {
    log.warn({ paths: plan.protectedByErrors }, `${plan.protectedByErrors} removed paths lie under entries the scan could not read; they are not deleted`);
  }
  if (plan.waiting > 0) log.info({ paths: plan.waiting }, `${plan.waiting} removed paths wait for a task in flight, or for the next run`);
  if (plan.targets.length === 0) return { plan, submitted: null, stoppedBy: null };
  const v = plan.verdict;
  if (!v.pass) {
    log.error({ guard: v.guard, deletes: plan.paths, tracked: plan.tracked, limit: v.limit }, v.message);
    return { plan, submitted: null, stoppedBy: v.message };
  }
  if (v.overridden !== null) log.warn({ guard: v.overridden, deletes: plan.paths, allow }, `--allow-deletes ${allow} lets ${plan.paths} deletes past the ${v.overridden} guard`);
  return { plan, submitted: await submitDeletes(ctx, plan.targets), stoppedBy: null };
}

/**
 * Items no transfer may carry this run: at or under a path a delete task is
 * about to remove or still removing. They ship with the first run after that
 * delete SUCCEEDED, so Globus never writes a file where a directory still stands.
 */
export function holdBack(ctx: SyncContext, items: TransferItem[], plan: DeletePlan | null): { kept: TransferItem[]; held: TransferItem[] } {
  const roots = new Set(plan?.held ?? heldByOpenDeletes(ctx.state));
  if (roots.size === 0) return { kept: items, held: [] };
  const kept: TransferItem[] = [];
  const held: TransferItem[] = [];
  for (const item of items) (atOrUnder(item.relPath, roots) ? held : kept).push(item);
  if (held.length > 0) ctx.logger.info({ items: held.length }, `${held.length} items wait for a delete task to finish first`);
  return { kept, held };
}

/** With --wait: poll the delete task this run submitted and settle it. `ended` is false when it did not end in time. */
export async function waitForDelete(ctx: SyncContext, rowId: number, taskId: string, wait: WaitOptions): Promise<{ ended: boolean; succeeded: boolean; settled: DeletesSettled }> {
  const settled = noDeletesSettled();
  const task = await waitForTask(ctx.remote, taskId, wait);
  if (task === null) {
    ctx.logger.warn({ taskId }, `delete task ${taskId} has not ended; the next run settles it`);
    return { ended: false, succeeded: false, settled };
  }
  const row = getDeleteTask(ctx.state, rowId);
  if (row === undefined || row.completedNs !== null) return { ended: true, succeeded: true, settled };
  settleDelete(ctx, row, task, settled);
  return { ended: true, succeeded: task.status === 'SUCCEEDED', settled };
}
