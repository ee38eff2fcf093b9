import type { Config } from '../config/schema.js';
import { EXIT, exitCodeFor, exitCodeForRun } from '../errors/exit-codes.js';
import { SessionRequiredError } from '../globus/errors.js';
import type { Task } from '../globus/schemas.js';
import { acquireJobLock, lockPathFor } from '../lock/job-lock.js';
import type { Logger } from '../log/logger.js';
import type { TransferItem } from '../plan/coalescer.js';
import { logSkipped, planScan, type PlanTotals } from '../plan/plan.js';
import { defaultScanThreads, type ScanCounts } from '../scan/scanner.js';
import { explainStateError, openState, type State } from '../state/open.js';
import { finishRun, startRun } from '../state/runs.js';
import { noCrash, type CrashHook } from './crash-point.js';
import { openSubmissions } from '../state/submissions.js';
import { splitBatches } from './batches.js';
import { PostTransferHooks, withHookProblems } from '../hooks/run-owed.js';
import { TrieStore } from '../state/trie.js';
import { writeRunMetrics } from './run-metrics.js';
import { emptyReport, reconcileOpen, type ReconcileReport } from './reconcile.js';
import { recordedResult, type RecordedResult, type RunOutcome } from './outcome.js';
import type { OpenRemote, RemoteSession } from './remote.js';
import type { Delivery } from './delivery.js';
import { nowNs, type SyncContext } from './sync-context.js';
import { syncLevelFor } from './transfer-document.js';
import { submitBatch, waitAndSettle, waitOptions, type SubmittedTask } from './own-tasks.js';
import { emptyDeleteReport, reconcileOpenDeletes, type DeleteReport } from '../deletes/delete-tasks.js';
import { collectRemovals } from '../deletes/plan-deletes.js';
import { holdBack, runDeletes, waitForDelete, type DeleteRunOutcome } from '../deletes/run-deletes.js';
import { checkBinding } from '../binding/check.js';
import { proveMappingBeforeTransfer } from '../binding/prove-mapping.js';

export interface RunJobOptions {
  config: Config;
  logger: Logger;
  /** The remote and login, opened once the lock is held (src/commands/globus-session.ts wires the real one). */
  openRemote: OpenRemote;
  /** The crash harness's hook; default none. */
  crashPoint?: CrashHook;
  /** The environment hooks inherit (src/hooks/); default process.env. */
  hookEnv?: NodeJS.ProcessEnv;
  /** Poll the submitted task until it ends and reconcile it at once. */
  wait?: boolean;
  /** With wait: stop waiting after this many seconds (the task stays recorded). */
  timeoutSeconds?: number;
  /** First poll interval while waiting. */
  pollIntervalMs?: number;
  now?: () => bigint;
  /** Look only at these source-relative paths (`--changes`, resolved by src/changes/); absent: walk everything. */
  only?: readonly string[];
  onScanProgress?(counts: Readonly<ScanCounts>): void;
  onTaskPoll?(task: Task): void;
  signal?: AbortSignal;
  /** `--allow-deletes N`: this run may delete up to N paths past the deletes guards. */
  allowDeletes?: number;
}

export interface RunJobResult {
  /** What happened to this run's transfer; exitCodeForRun maps it (with `reconciled`) to the exit code. */
  outcome: RunOutcome;
  /** The word recorded in the run table and shown by status. */
  result: RecordedResult;
  taskId: string | null;
  /** The state's row for the (first) transfer this run submitted. */
  submissionRowId: number | null;
  /** Every task this run submitted: a repair task (checksum) first when there is one. */
  tasks: SubmittedTask[];
  items: number;
  files: number;
  bytes: bigint;
  plan: PlanTotals;
  reconciled: ReconcileReport;
  /** What Globus reported for this run's own task, when it was waited for and SUCCEEDED; earlier tasks' are in reconciled.deliveries. */
  delivery: Delivery | null;
  /** Hooks (or manifests) that failed in this run; they stay owed, and the run exits 1. */
  hooksFailed?: number;
  /** Delete tasks settled in this run, and what the delete step planned and submitted (deletes.enabled). */
  deletes: DeleteReport & Omit<DeleteRunOutcome, 'plan'> & { planned: number };
}

/**
 * One sync cycle under the job lock: settle what earlier runs submitted, scan,
 * and submit what changed as one transfer, recorded before it is POSTed. The
 * same function serves `run`, `watch` and `demo`. Errors that stop the run are
 * thrown as GsyncErrors after the run row and metrics are written.
 */
export async function runJob(opts: RunJobOptions): Promise<RunJobResult> {
  const { config } = opts;
  const lock = acquireJobLock(lockPathFor(config.state.path));
  try {
    return await runLocked(opts);
  } catch (err) {
    throw explainStateError(err, config.state.path);
  } finally {
    lock.release();
  }
}

async function runLocked(opts: RunJobOptions): Promise<RunJobResult> {
  const { config, logger } = opts;
  const now = opts.now ?? nowNs;
  const state = openState(config.state.path);
  const started = now();
  let runId: number | undefined;
  let session: RemoteSession | undefined;
  let sync: SyncContext | undefined;
  let outcome: RunJobResult | undefined;
  let exitCode: number = EXIT.failure;
  try {
    // Refused (exit 2) before anything is recorded when the database was built for other ends (issue 26).
    checkBinding(state, config, { write: true, nowNs: started, logger });
    runId = startRun(state, started);
    session = opts.openRemote();
    // A login that is certainly missing fails now, before a scan whose result could not be sent.
    session.auth.requireUsable();
    sync = { config, logger, state, remote: session.remote, auth: session.auth, now, crashPoint: opts.crashPoint ?? noCrash };
    // Hooks earlier runs still owe go first; those this run's settling owes, last (so they never delay a transfer).
    const hooks = new PostTransferHooks(sync, opts.hookEnv ?? process.env);
    await hooks.runOwed();
    outcome = await cycle(sync, opts);
    await hooks.runOwed();
    outcome = withHookProblems(outcome, hooks.problems);
    exitCode = exitCodeForRun(outcome);
    finishRun(state, runId, {
      finishedNs: now(),
      result: outcome.result,
      exitCode,
      submission: outcome.submissionRowId,
      items: outcome.items,
      files: outcome.files,
      bytes: outcome.bytes,
      deferred: outcome.plan.deferred,
      skipped: outcome.plan.skipped,
      message: [...outcome.reconciled.problems, ...owedNotes(outcome)].join('; ') || null,
    });
    return outcome;
  } catch (caught) {
    // A service account cannot meet a session policy by logging in: say so.
    const err = caught instanceof SessionRequiredError && session?.auth.kind === 'client' ? caught.forServiceAccount() : caught;
    exitCode = exitCodeFor(err);
    if (runId !== undefined) recordFailure(state, runId, now(), exitCode, err, logger);
    throw err;
  } finally {
    if (sync) writeRunMetrics(sync, started, exitCode, outcome);
    await session?.close();
    state.close();
  }
}

/** Best effort: on a damaged database this write fails too, and the original error matters more. */
function recordFailure(state: State, runId: number, finishedNs: bigint, exitCode: number, err: unknown, logger: Logger): void {
  try {
    finishRun(state, runId, { finishedNs, result: 'error', exitCode, message: (err as Error).message });
  } catch (writeErr) {
    logger.debug({ err: (writeErr as Error).message }, 'could not record the failed run');
  }
}

async function cycle(sync: SyncContext, opts: RunJobOptions): Promise<RunJobResult> {
  const { config, logger } = sync;
  const reconciled = await reconcileOpen(sync, emptyReport());
  const deleted = emptyDeleteReport();
  // Open delete tasks are settled even with deletes.enabled turned off since: their paths are held until then.
  await reconcileOpenDeletes(sync, deleted, reconciled);
  const removals = config.deletes.enabled ? collectRemovals() : null;

  // The scan still walks everything (it records what it saw); only the document is capped.
  const cap = config.transfer.maxItems;
  const items: TransferItem[] = [];
  let files = 0;
  let bytes = 0n;
  const plan = planScan({
    root: config.source.path,
    only: opts.only,
    trie: new TrieStore(sync.state),
    write: true,
    exclude: config.scan.exclude,
    minAgeSeconds: config.scan.minAgeSeconds,
    threads: config.scan.threads ?? defaultScanThreads(),
    nowNs: sync.now(),
    mapping: { sourceRoot: config.source.collectionPath, destinationRoot: config.destination.path },
    onItem: (item) => {
      if (items.length >= cap) return;
      items.push(item);
      files += item.files;
      bytes += item.bytes;
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
  // Guards are checked and the delete task submitted before the transfer; paths a delete still covers wait.
  const step = removals ? await runDeletes(sync, removals, plan, opts.allowDeletes) : { plan: null, submitted: null, stoppedBy: null };
  const hold = holdBack(sync, items, step.plan);
  if (hold.held.length > 0) {
    items.splice(0, items.length, ...hold.kept);
    files = items.reduce((n, i) => n + i.files, 0);
    bytes = items.reduce((n, i) => n + i.bytes, 0n);
  }
  const deletes = { ...deleted, submitted: step.submitted, stoppedBy: step.stoppedBy, planned: step.plan?.paths ?? 0 };
  if (step.stoppedBy) {
    reconciled.problems.push(step.stoppedBy);
    reconciled.deleteTrouble = true;
  }
  const result = await shipTransfer(sync, opts, { plan, reconciled, items, files, bytes, deletes });
  if (!opts.wait || step.submitted === null) return result;
  // --wait: the delete task this run submitted is waited for and settled too; it not ending well is news.
  const ok = await waitForDelete(sync, step.submitted.rowId, step.submitted.taskId, waitOptions(opts), deletes, reconciled);
  if (!ok) reconciled.deleteTrouble = true;
  return { ...result, result: recordedResult({ outcome: result.outcome, reconciled, delivery: result.delivery }) };
}

interface Planned {
  plan: PlanTotals;
  reconciled: ReconcileReport;
  items: TransferItem[];
  files: number;
  bytes: bigint;
  deletes: RunJobResult['deletes'];
}

async function shipTransfer(sync: SyncContext, opts: RunJobOptions, p: Planned): Promise<RunJobResult> {
  const { config, logger } = sync;
  const { plan, reconciled, items, files, bytes, deletes } = p;
  const base = { plan, reconciled, items: items.length, files, bytes, deletes };
  const done = (outcome: RunOutcome, rest: Pick<RunJobResult, 'taskId' | 'submissionRowId' | 'tasks'>, shipped = {}, delivery: Delivery | null = null): RunJobResult => ({
    ...base,
    ...shipped,
    ...rest,
    outcome,
    delivery,
    result: recordedResult({ outcome, reconciled, delivery }),
  });
  const none = { taskId: null, submissionRowId: null, tasks: [] as SubmittedTask[] };
  if (items.length === 0) {
    const outcome: RunOutcome = deletes.submitted ? (opts.wait ? 'shipped' : 'submitted') : plan.deferred > 0 ? 'deferred' : 'nothing-to-do';
    return done(outcome, none);
  }
  // Once per job, and after the source ends changed: a wrong collectionPath would ship another folder (issue 26).
  await proveMappingBeforeTransfer({ state: sync.state, config, stat: (c, p) => sync.remote.stat(c, p), consent: (e) => sync.auth.handleConsentRequired(e), logger, nowNs: sync.now() });

  const syncLevel = syncLevelFor(config.transfer.syncLevel, plan.mtimeNotNewer);
  if (syncLevel !== config.transfer.syncLevel) {
    logger.warn({ files: plan.mtimeNotNewer }, `${plan.mtimeNotNewer} changed files have an mtime no newer than the shipped version; this transfer uses sync_level checksum`);
  }
  const batches = splitBatches(sync.state, items, syncLevel);
  items.length = 0; // the batches hold them now
  const open = openSubmissions(sync.state).length;
  const room = config.transfer.maxOpenTasks - open;
  if (room < batches.length) {
    const held = batches.splice(Math.max(0, room));
    const heldFiles = held.reduce((n, b) => n + b.files, 0);
    logger.warn(
      { open, maxOpenTasks: config.transfer.maxOpenTasks, files: heldFiles },
      `${open} tasks of this job are still open (transfer.maxOpenTasks ${config.transfer.maxOpenTasks}): ${heldFiles} files stay owed for a later run`,
    );
    if (batches.length === 0) return done('held', none);
  }

  const tasks: SubmittedTask[] = [];
  for (const b of batches) tasks.push(await submitBatch(sync, b));
  const sent = { taskId: tasks[0]!.taskId, submissionRowId: tasks[0]!.rowId, tasks };
  const shipped = {
    items: tasks.reduce((n, t) => n + t.items, 0),
    files: tasks.reduce((n, t) => n + t.files, 0),
    bytes: tasks.reduce((n, t) => n + t.bytes, 0n),
  };
  if (!opts.wait) return done('submitted', sent, shipped);

  const outcomes: RunOutcome[] = [];
  const ownDeliveries: Delivery[] = [];
  for (const t of tasks) outcomes.push(await waitAndSettle(sync, opts, t, reconciled, ownDeliveries));
  const worst = (['still-active', 'task-failed', 'task-inactive'] as const).find((o) => outcomes.includes(o)) ?? 'shipped';
  // The first task's delivery is the run's line; a further one (a repair task) is reported with the tasks it settled.
  const [mine, ...others] = ownDeliveries;
  reconciled.deliveries.push(...others);
  return done(worst, sent, shipped, mine ?? null);
}

/** For the run table's message: what `gsync status --json` shows of skipped paths a person must fix. */
function owedNotes(r: RunJobResult): string[] {
  return [r.delivery, ...r.reconciled.deliveries]
    .filter((d): d is Delivery => d !== null && d.hint !== null)
    .map((d) => `task ${d.taskId}: ${d.owed} path(s) skipped by Globus stay owed; ${d.hint}`);
}
