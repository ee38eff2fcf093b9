import { noDeletesSettled, settleOpenDeletes, type DeletesSettled } from '../deletes/delete-tasks.js';
import { collectRemovals, type RemovalCollector } from '../deletes/plan-deletes.js';
import { holdBack, runDeletes, waitForDelete, type DeleteRunOutcome } from '../deletes/run-deletes.js';
import { openSubmissions } from '../ledger/transfer-rows.js';
import type { TransferItem } from '../plan/coalescer.js';
import { logSkipped, planScan, type PlanTotals } from '../plan/plan-scan.js';
import { heldPath, itemized } from '../plan/itemize.js';
import { defaultScanThreads } from '../scan/scanner.js';
import { compactIfSparse } from '../state/compact.js';
import { TrieStore } from '../state/trie.js';
import { proveMappingBeforeTransfer } from '../binding/prove-mapping.js';
import { splitBatches } from './batches.js';
import { openScanSource, type ScanSource } from './pull-source.js';
import type { Delivery } from './delivery.js';
import type { RunOutcome } from '../run/outcome.js';
import { submitBatch, waitAndSettle, waitOptions, type SubmittedTask } from './own-tasks.js';
import { emptyReport, type SettleReport } from './settle-tasks.js';
import type { DeleteStepResult, RunJobOptions, RunJobResult } from './run-options.js';
import type { SyncContext } from '../run/sync-context.js';
import { syncLevelFor } from './transfer-document.js';
import { settleTransfers } from './transfer-kind.js';
import { openReconciles } from '../ledger/reconcile-rows.js';
import { noReconcile, reconcileNotDue, settleOpenReconciles, submitReconcile, waitForReconcile, type ReconcileReport } from './reconcile-run.js';

/**
 * One sync cycle as steps, each returning its own result: settle the
 * transfers and deletes earlier runs left, scan and plan, delete, submit,
 * wait. `cycle` composes them into the run's outcome (runJob adds the hooks').
 */
export type CycleResult = Omit<RunJobResult, 'result' | 'hooksFailed'>;

export async function cycle(sync: SyncContext, opts: RunJobOptions): Promise<CycleResult> {
  const transfers = await settleTransfers(sync, emptyReport());
  // Open delete tasks are settled even with deletes.enabled turned off since: their paths are held until then.
  const earlierDeletes = await settleOpenDeletes(sync);
  const reconcile = await settleOpenReconciles(sync, noReconcile());
  const removals = sync.config.deletes.enabled ? collectRemovals() : null;
  const source = await openScanSource(sync, opts);
  let scanned: ReturnType<typeof scanStep>;
  try {
    scanned = scanStep(sync, opts, removals, source);
  } finally {
    source.close();
  }
  // Guards are checked and the delete task submitted before the transfer; paths a delete still covers wait.
  const deleted: DeleteRunOutcome = removals ? await runDeletes(sync, removals, scanned.plan, opts.allowDeletes) : { plan: null, submitted: null, stoppedBy: null };
  const { kept: items, held: heldByDeletes } = holdBack(sync, scanned.items, deleted.plan);
  if (opts.onItemized) {
    for (const t of deleted.submitted ? (deleted.plan?.targets ?? []) : []) opts.onItemized({ reason: 'delete', destination_path: t.path });
    for (const item of heldByDeletes) opts.onItemized({ ...itemized(item), reason: 'held' });
  }
  const shipped = await shipStep(sync, opts, scanned.plan, items, deleted.submitted !== null);
  // --wait: the delete task this run submitted is waited for and settled too; it not ending well is news.
  const waited = opts.wait && deleted.submitted ? await waitForDelete(sync, deleted.submitted.rowId, deleted.submitted.taskId, waitOptions(opts)) : null;
  await reconcileStep(sync, opts, reconcile);
  compactStep(sync);

  const deletesSettled = [earlierDeletes, waited?.settled ?? noDeletesSettled()];
  const sum = (pick: (d: DeletesSettled) => number) => deletesSettled.reduce((n, d) => n + pick(d), 0);
  const deleteTrouble = deleted.stoppedBy !== null || (waited !== null && !waited.succeeded);
  const settled: SettleReport = {
    ...transfers,
    failed: transfers.failed + sum((d) => d.failed) + reconcile.failed,
    inactive: transfers.inactive + sum((d) => d.inactive) + reconcile.inactive,
    ...(deleteTrouble ? { deleteTrouble } : {}),
    problems: [...transfers.problems, ...earlierDeletes.problems, ...source.problems, ...(deleted.stoppedBy ? [deleted.stoppedBy] : []), ...shipped.ownProblems, ...(waited?.settled.problems ?? []), ...reconcile.problems],
    deliveries: [...transfers.deliveries, ...shipped.otherDeliveries],
  };
  const deletes: DeleteStepResult = {
    deletedPaths: sum((d) => d.deletedPaths),
    succeeded: sum((d) => d.succeeded),
    failed: sum((d) => d.failed),
    active: sum((d) => d.active),
    planned: deleted.plan?.paths ?? 0,
    submitted: deleted.submitted,
    stoppedBy: deleted.stoppedBy,
    stillOpen: waited !== null && !waited.ended,
  };
  const { ownProblems: _p, otherDeliveries: _d, ...transfer } = shipped;
  return { ...transfer, plan: scanned.plan, settled, deletes, reconcile };
}

/**
 * Once a settled task left much of the state database free (the first ship does), rewrite it
 * compact (state/compact.ts). A compaction that fails (no room for its temporary copy) leaves
 * the database as it was, so it costs the run nothing but a warning; a later run tries again.
 */
function compactStep(sync: SyncContext): void {
  const t0 = performance.now();
  try {
    if (compactIfSparse(sync.state)) sync.logger.info({ ms: Math.round(performance.now() - t0) }, 'state database compacted: a settled task left a quarter or more of it free');
  } catch (err) {
    sync.logger.warn({ err }, `state database not compacted (${(err as Error).message}); it stays as it was, and a later run tries again`);
  }
}

/**
 * The reconcile step (issue 27), after this run's own transfers: submits a
 * reconcile task when one is due and a task slot is left (this run's changes
 * go first), and with --wait waits for it and settles it.
 */
async function reconcileStep(sync: SyncContext, opts: RunJobOptions, report: ReconcileReport): Promise<void> {
  const notDue = reconcileNotDue(sync, opts.reconcile === true);
  if (notDue !== null) {
    if (opts.reconcile) sync.logger.warn(`no reconcile task this run: ${notDue}`);
    else if (sync.config.reconcile.intervalHours !== undefined) sync.logger.debug(`no reconcile task this run: ${notDue}`);
    return;
  }
  const open = openTasks(sync);
  if (open >= sync.config.transfer.maxOpenTasks) {
    sync.logger.warn({ open, maxOpenTasks: sync.config.transfer.maxOpenTasks }, `a reconcile is due, but ${open} tasks of this job are still open (transfer.maxOpenTasks): a later run sends it`);
    return;
  }
  // The whole source root goes: a wrong collectionPath would reconcile another folder into the destination.
  await proveMapping(sync);
  report.submitted = await submitReconcile(sync);
  if (opts.wait) await waitForReconcile(sync, report.submitted, waitOptions(opts), report);
}

/**
 * Once per job, and after the source ends changed: a wrong collectionPath would ship another folder (issue 26).
 * A source listed through Globus has no local folder to map (issue 29): its listing is the collection's own.
 */
async function proveMapping(sync: SyncContext): Promise<void> {
  const { state, config, logger } = sync;
  if (config.source.listing !== 'filesystem') return;
  await proveMappingBeforeTransfer({ state, config, stat: (c, p) => sync.remote.stat(c, p), consent: (e) => sync.auth.handleConsentRequired(e), logger, nowNs: sync.now() });
}

/** This job's open transfer and reconcile tasks: what transfer.maxOpenTasks counts. */
function openTasks(sync: SyncContext): number {
  return openSubmissions(sync.state).length + openReconciles(sync.state).length;
}

/** The scan and plan step: what changed, as transfer items (at most transfer.maxItems of them). */
function scanStep(sync: SyncContext, opts: RunJobOptions, removals: RemovalCollector | null, source: ScanSource): { plan: PlanTotals; items: TransferItem[] } {
  const { config, logger } = sync;
  // The scan still walks everything (it records what it saw); only the document is capped.
  const cap = config.transfer.maxItems;
  const items: TransferItem[] = [];
  const mapping = { sourceRoot: config.source.collectionPath, destinationRoot: config.destination.path };
  const itemize = opts.onItemized;
  const plan = planScan({
    root: config.source.path,
    only: opts.only,
    trie: new TrieStore(sync.state),
    write: true,
    exclude: config.scan.exclude,
    minAgeSeconds: config.scan.minAgeSeconds,
    threads: config.scan.threads ?? defaultScanThreads(),
    nowNs: sync.now(),
    fs: source.fs,
    settling: source.settling,
    mapping,
    onHeld: itemize
      ? (relPath, hold) => {
          const it = heldPath(relPath, hold, mapping);
          if (it) itemize(it);
        }
      : undefined,
    onItem: (item) => {
      if (items.length < cap) items.push(item);
    },
    onWarning: logSkipped(logger),
    onProgress: opts.onScanProgress,
    // Often enough that a person sees a small tree move; a callback per 1,000 entries costs nothing measurable.
    progressEvery: 1000,
    onBatchCommitted: () => sync.crashPoint('scan-batch'),
    onRemoved: removals?.onRemoved,
    onUnreadable: removals?.onUnreadable,
  });
  logger.info(
    { scanned: plan.scanned, items: plan.items, files: plan.files, bytes: String(plan.bytes), deferred: plan.deferred, inflight: plan.inflight },
    plan.items === 0 ? 'scan found nothing to ship' : `scan found ${plan.files} files to ship in ${plan.items} items`,
  );
  if (plan.items > items.length) {
    logger.warn({ maxItems: cap, items: plan.items }, `${plan.items} items to ship; this transfer takes the first ${cap} (transfer.maxItems), the rest go with the next run`);
  }
  return { plan, items };
}

interface Shipped extends Pick<RunJobResult, 'outcome' | 'taskId' | 'submissionRowId' | 'tasks' | 'items' | 'files' | 'bytes' | 'delivery'> {
  /** Lines about this run's own tasks, settled while waited for. */
  ownProblems: string[];
  /** Deliveries of its tasks after the first (a repair task's), reported with the tasks settled. */
  otherDeliveries: Delivery[];
}

/** The submit and wait steps: the items as one or two tasks (repair first), waited for with --wait. */
async function shipStep(sync: SyncContext, opts: RunJobOptions, plan: PlanTotals, items: TransferItem[], deleteSubmitted: boolean): Promise<Shipped> {
  const { config, logger } = sync;
  const asked = { items: items.length, files: items.reduce((n, i) => n + i.files, 0), bytes: items.reduce((n, i) => n + i.bytes, 0n) };
  const none = { ...asked, taskId: null, submissionRowId: null, tasks: [] as SubmittedTask[], delivery: null, ownProblems: [], otherDeliveries: [] };
  if (items.length === 0) {
    return { ...none, outcome: deleteSubmitted ? (opts.wait ? 'shipped' : 'submitted') : plan.deferred > 0 ? 'deferred' : 'nothing-to-do' };
  }
  await proveMapping(sync);
  const syncLevel = syncLevelFor(config.transfer.syncLevel, plan.mtimeNotNewer);
  if (syncLevel !== config.transfer.syncLevel) {
    logger.warn({ files: plan.mtimeNotNewer }, `${plan.mtimeNotNewer} changed files have an mtime no newer than the shipped version; this transfer uses sync_level checksum`);
  }
  const batches = splitBatches(sync.state, items, syncLevel);
  items.length = 0; // the batches hold them now
  const open = openTasks(sync);
  const room = config.transfer.maxOpenTasks - open;
  if (room < batches.length) {
    const held = batches.splice(Math.max(0, room));
    const heldFiles = held.reduce((n, b) => n + b.files, 0);
    for (const b of held) for (const item of b.items) opts.onItemized?.({ ...itemized(item), reason: 'held' });
    logger.warn(
      { open, maxOpenTasks: config.transfer.maxOpenTasks, files: heldFiles },
      `${open} tasks of this job are still open (transfer.maxOpenTasks ${config.transfer.maxOpenTasks}): ${heldFiles} files stay owed for a later run`,
    );
    if (batches.length === 0) return { ...none, outcome: 'held' };
  }

  const tasks: SubmittedTask[] = [];
  for (const b of batches) {
    // Listed before the submit empties the batch (its document holds the items then).
    for (const item of b.items) opts.onItemized?.(itemized(item, b.repair));
    tasks.push(await submitBatch(sync, b));
    opts.onSubmitted?.(tasks[tasks.length - 1]!);
  }
  const sent = {
    taskId: tasks[0]!.taskId,
    submissionRowId: tasks[0]!.rowId,
    tasks,
    items: tasks.reduce((n, t) => n + t.items, 0),
    files: tasks.reduce((n, t) => n + t.files, 0),
    bytes: tasks.reduce((n, t) => n + t.bytes, 0n),
  };
  if (!opts.wait) return { ...sent, outcome: 'submitted', delivery: null, ownProblems: [], otherDeliveries: [] };

  const settled: Array<{ outcome: RunOutcome; settled: SettleReport }> = [];
  for (const t of tasks) settled.push(await waitAndSettle(sync, opts, t));
  const outcomes = settled.map((s) => s.outcome);
  const worst = (['still-active', 'task-failed', 'task-inactive'] as const).find((o) => outcomes.includes(o)) ?? 'shipped';
  // The first task's delivery is the run's line; a further one (a repair task) is reported with the tasks it settled.
  const [mine, ...others] = settled.flatMap((s) => s.settled.deliveries);
  return { ...sent, outcome: worst, delivery: mine ?? null, ownProblems: settled.flatMap((s) => s.settled.problems), otherDeliveries: others };
}
