import type { Config } from '../config/schema.js';
import { EXIT, exitCodeFor, exitCodeForRun } from '../errors/exit-codes.js';
import type { Task } from '../globus/schemas.js';
import { acquireJobLock, lockPathFor } from '../lock/job-lock.js';
import type { Logger } from '../log/logger.js';
import type { TransferItem } from '../plan/coalescer.js';
import { logSkipped, planScan, type PlanTotals } from '../plan/plan.js';
import type { ScanCounts } from '../scan/scanner.js';
import { explainStateError, openState, type State } from '../state/open.js';
import { finishRun, startRun } from '../state/runs.js';
import { noCrash, type CrashHook } from './crash-point.js';
import { createSubmission, getSubmission } from '../state/submissions.js';
import { TrieStore } from '../state/trie.js';
import { writeRunMetrics } from './run-metrics.js';
import { emptyReport, reconcileOpen, settle, type ReconcileReport, type TaskOutcome } from './reconcile.js';
import { recordedResult, type RecordedResult, type RunOutcome } from './outcome.js';
import type { OpenRemote, RemoteSession } from './remote.js';
import type { Delivery } from './delivery.js';
import { postSubmission } from './submit.js';
import { nowNs, type SyncContext } from './sync-context.js';
import { buildTransferDocument, syncLevelFor } from './transfer-document.js';
import { waitForTask } from './wait.js';
import { emptyDeleteReport, reconcileOpenDeletes, type DeleteReport } from '../deletes/delete-tasks.js';
import { collectRemovals } from '../deletes/plan-deletes.js';
import { holdBack, runDeletes, waitForDelete, type DeleteRunOutcome } from '../deletes/run-deletes.js';

export interface RunJobOptions {
  config: Config;
  logger: Logger;
  /** The remote and login, opened once the lock is held (src/commands/globus-session.ts wires the real one). */
  openRemote: OpenRemote;
  /** The crash harness's hook; default none. */
  crashPoint?: CrashHook;
  /** Poll the submitted task until it ends and reconcile it at once. */
  wait?: boolean;
  /** With wait: stop waiting after this many seconds (the task stays recorded). */
  timeoutSeconds?: number;
  /** First poll interval while waiting. */
  pollIntervalMs?: number;
  now?: () => bigint;
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
  /** The state's row for the transfer this run submitted. */
  submissionRowId: number | null;
  items: number;
  files: number;
  bytes: bigint;
  plan: PlanTotals;
  reconciled: ReconcileReport;
  /** What Globus reported for this run's own task, when it was waited for and SUCCEEDED; earlier tasks' are in reconciled.deliveries. */
  delivery: Delivery | null;
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
    runId = startRun(state, started);
    session = opts.openRemote();
    // A login that is certainly missing fails now, before a scan whose result could not be sent.
    session.auth.requireUsable();
    sync = { config, logger, state, remote: session.remote, auth: session.auth, now, crashPoint: opts.crashPoint ?? noCrash };
    outcome = await cycle(sync, opts);
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
  } catch (err) {
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
    trie: new TrieStore(sync.state),
    write: true,
    exclude: config.scan.exclude,
    minAgeSeconds: config.scan.minAgeSeconds,
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

function waitOptions(opts: RunJobOptions) {
  return {
    timeoutMs: opts.timeoutSeconds === undefined ? undefined : opts.timeoutSeconds * 1000,
    intervalMs: opts.pollIntervalMs,
    onPoll: opts.onTaskPoll,
    signal: opts.signal,
  };
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
  const done = (outcome: RunOutcome, rest: Pick<RunJobResult, 'taskId' | 'submissionRowId'>, delivery: Delivery | null = null): RunJobResult => ({
    ...base,
    ...rest,
    outcome,
    delivery,
    result: recordedResult({ outcome, reconciled, delivery }),
  });
  if (items.length === 0) {
    const outcome: RunOutcome = deletes.submitted ? (opts.wait ? 'shipped' : 'submitted') : plan.deferred > 0 ? 'deferred' : 'nothing-to-do';
    return done(outcome, { taskId: null, submissionRowId: null });
  }

  const submissionId = await sync.remote.getSubmissionId();
  sync.crashPoint('after-submission-id');
  const syncLevel = syncLevelFor(config.transfer.syncLevel, plan.mtimeNotNewer);
  if (syncLevel !== config.transfer.syncLevel) {
    logger.warn({ files: plan.mtimeNotNewer }, `${plan.mtimeNotNewer} changed files have an mtime no newer than the shipped version; this transfer uses sync_level checksum`);
  }
  const doc = buildTransferDocument(config, submissionId, items, new Date(Number(sync.now() / 1_000_000n)), syncLevel);
  const rowId = createSubmission(sync.state, {
    submissionId,
    document: JSON.stringify(doc),
    items,
    files,
    bytes,
    createdNs: sync.now(),
  });
  items.length = 0; // the document holds them now; let the array go before the POST
  sync.crashPoint('after-record');
  const submitted = await postSubmission(sync, rowId, doc);
  const taskId = submitted.task_id;
  logger.info({ taskId, submissionId, code: submitted.code }, `submitted task ${taskId}`);
  const sent = { taskId, submissionRowId: rowId };
  if (!opts.wait) return done('submitted', sent);

  const task = await waitForTask(sync.remote, taskId, waitOptions(opts));
  if (task === null) {
    const why = opts.signal?.aborted ? 'stopped waiting' : `still ACTIVE after ${opts.timeoutSeconds} s`;
    logger.warn({ taskId }, `task ${taskId} ${why}; it stays recorded and the next run reconciles it`);
    return done('still-active', sent);
  }
  const sub = getSubmission(sync.state, rowId);
  if (sub === undefined) throw new Error('internal: the submission row vanished');
  // Its own report: `reconciled` describes what earlier runs left, this is the task just sent.
  const own = emptyReport();
  const settled: TaskOutcome = await settle(sync, sub, task, own);
  reconciled.problems.push(...own.problems);
  return done(OWN_TASK[settled], sent, own.deliveries[0] ?? null);
}

/** For the run table's message: what `gsync status --json` shows of skipped paths a person must fix. */
function owedNotes(r: RunJobResult): string[] {
  return [r.delivery, ...r.reconciled.deliveries]
    .filter((d): d is Delivery => d !== null && d.hint !== null)
    .map((d) => `task ${d.taskId}: ${d.owed} path(s) skipped by Globus stay owed; ${d.hint}`);
}


/** The task this run waited for, as the run's outcome. `settle` never answers 'lost' (that is a 404 in reconcileOpen). */
const OWN_TASK: Record<TaskOutcome, RunOutcome> = {
  succeeded: 'shipped',
  failed: 'task-failed',
  inactive: 'task-inactive',
  active: 'still-active',
  lost: 'task-failed',
};
