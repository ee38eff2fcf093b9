import { createCredentials, type Credentials } from '../auth/credentials.js';
import type { Config } from '../config/schema.js';
import { EXIT, exitCodeFor } from '../errors/exit-codes.js';
import type { Task } from '../globus/schemas.js';
import { TransferClient } from '../globus/transfer-client.js';
import { acquireJobLock, lockPathFor } from '../lock/job-lock.js';
import type { Logger } from '../log/logger.js';
import type { TransferItem } from '../plan/coalescer.js';
import { logSkipped, planScan, type PlanTotals } from '../plan/plan.js';
import { defaultScanThreads, type ScanCounts } from '../scan/scanner.js';
import { explainStateError, openState, type State } from '../state/open.js';
import { finishRun, startRun } from '../state/runs.js';
import { crashPoint } from './crash-point.js';
import { createSubmission, getSubmission } from '../state/submissions.js';
import { TrieStore } from '../state/trie.js';
import { writeRunMetrics } from './run-metrics.js';
import { emptyReport, reconcileOpen, settle, type Outcome, type ReconcileReport } from './reconcile.js';
import { postSubmission } from './submit.js';
import { nowNs, type SyncContext } from './sync-context.js';
import { buildTransferDocument, syncLevelFor } from './transfer-document.js';
import { waitForTask } from './wait.js';

export interface RunJobOptions {
  config: Config;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** Poll the submitted task until it ends and reconcile it at once. */
  wait?: boolean;
  /** With wait: stop waiting after this many seconds (the task stays recorded). */
  timeoutSeconds?: number;
  /** First poll interval while waiting. */
  pollIntervalMs?: number;
  /** Default: from the config and environment, as createCredentials decides. */
  credentials?: Credentials;
  now?: () => bigint;
  onScanProgress?(counts: Readonly<ScanCounts>): void;
  onTaskPoll?(task: Task): void;
  signal?: AbortSignal;
}

export type RunResultWord = 'nothing-to-do' | 'submitted' | 'succeeded' | 'failed' | 'still-active' | 'problems';

export interface RunJobResult {
  exitCode: number;
  result: RunResultWord;
  taskId: string | null;
  /** The state's row for the transfer this run submitted. */
  submissionRowId: number | null;
  items: number;
  files: number;
  bytes: bigint;
  plan: PlanTotals;
  reconciled: ReconcileReport;
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
  let client: TransferClient | undefined;
  let ctx: SyncContext | undefined;
  let outcome: RunJobResult | undefined;
  let exitCode: number = EXIT.failure;
  try {
    runId = startRun(state, started);
    const credentials = opts.credentials ?? createCredentials(config, opts.env, logger);
    // A login that is certainly missing fails now, before a scan whose result could not be sent.
    credentials.requireUsable();
    // GSYNC_HTTP_TIMEOUT_MS: per-request limit (default 60 s), for tests.
    client = new TransferClient({ tokens: credentials.tokens, logger, env: opts.env, timeoutMs: Number(opts.env.GSYNC_HTTP_TIMEOUT_MS) || undefined });
    ctx = { config, logger, state, client, credentials, now };
    outcome = await cycle(ctx, opts);
    finishRun(state, runId, {
      finishedNs: now(),
      result: outcome.result,
      exitCode: outcome.exitCode,
      submission: outcome.submissionRowId,
      items: outcome.items,
      files: outcome.files,
      bytes: outcome.bytes,
      deferred: outcome.plan.deferred,
      skipped: outcome.plan.skipped,
      message: outcome.reconciled.problems.join('; ') || null,
    });
    exitCode = outcome.exitCode;
    return outcome;
  } catch (err) {
    exitCode = exitCodeFor(err);
    if (runId !== undefined) recordFailure(state, runId, now(), exitCode, err, logger);
    throw err;
  } finally {
    if (ctx) writeRunMetrics(ctx, started, exitCode, outcome);
    await client?.close();
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

async function cycle(ctx: SyncContext, opts: RunJobOptions): Promise<RunJobResult> {
  const { config, logger } = ctx;
  const reconciled = await reconcileOpen(ctx, emptyReport());

  // The scan still walks everything (it records what it saw); only the document is capped.
  const cap = config.transfer.maxItems;
  const items: TransferItem[] = [];
  let files = 0;
  let bytes = 0n;
  const plan = planScan({
    root: config.source.path,
    trie: new TrieStore(ctx.state),
    write: true,
    exclude: config.scan.exclude,
    minAgeSeconds: config.scan.minAgeSeconds,
    threads: config.scan.threads ?? defaultScanThreads(),
    nowNs: ctx.now(),
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
    onBatchCommitted: () => crashPoint('scan-batch'),
  });
  logger.info(
    { scanned: plan.scanned, items: plan.items, files: plan.files, bytes: String(plan.bytes), deferred: plan.deferred, inflight: plan.inflight },
    plan.items === 0 ? 'scan found nothing to ship' : `scan found ${plan.files} files to ship in ${plan.items} items`,
  );
  if (plan.items > items.length) {
    logger.warn({ maxItems: cap, items: plan.items }, `${plan.items} items to ship; this transfer takes the first ${cap} (transfer.maxItems), the rest go with the next run`);
  }
  const problemsExit = reconciled.failed + reconciled.inactive > 0 ? EXIT.failure : EXIT.ok;
  const base = { plan, reconciled, items: items.length, files, bytes };
  if (items.length === 0) {
    return { ...base, exitCode: problemsExit, result: problemsExit ? 'problems' : 'nothing-to-do', taskId: null, submissionRowId: null };
  }

  const submissionId = await ctx.client.getSubmissionId();
  crashPoint('after-submission-id');
  const syncLevel = syncLevelFor(config.transfer.syncLevel, plan.mtimeNotNewer);
  if (syncLevel !== config.transfer.syncLevel) {
    logger.warn({ files: plan.mtimeNotNewer }, `${plan.mtimeNotNewer} changed files have an mtime no newer than the shipped version; this transfer uses sync_level checksum`);
  }
  const doc = buildTransferDocument(config, submissionId, items, new Date(Number(ctx.now() / 1_000_000n)), syncLevel);
  const rowId = createSubmission(ctx.state, {
    submissionId,
    document: JSON.stringify(doc),
    items,
    files,
    bytes,
    createdNs: ctx.now(),
  });
  items.length = 0; // the document holds them now; let the array go before the POST
  crashPoint('after-record');
  const submitted = await postSubmission(ctx, rowId, doc);
  const taskId = submitted.task_id;
  logger.info({ taskId, submissionId, code: submitted.code }, `submitted task ${taskId}`);
  const shipped = { ...base, taskId, submissionRowId: rowId };
  if (!opts.wait) return { ...shipped, exitCode: problemsExit, result: problemsExit ? 'problems' : 'submitted' };

  const task = await waitForTask(ctx.client, taskId, {
    timeoutMs: opts.timeoutSeconds === undefined ? undefined : opts.timeoutSeconds * 1000,
    intervalMs: opts.pollIntervalMs,
    onPoll: opts.onTaskPoll,
    signal: opts.signal,
  });
  if (task === null) {
    const why = opts.signal?.aborted ? 'stopped waiting' : `still ACTIVE after ${opts.timeoutSeconds} s`;
    logger.warn({ taskId }, `task ${taskId} ${why}; it stays recorded and the next run reconciles it`);
    return { ...shipped, exitCode: EXIT.failure, result: 'still-active' };
  }
  const sub = getSubmission(ctx.state, rowId);
  if (sub === undefined) throw new Error('internal: the submission row vanished');
  // Its own report: `reconciled` describes what earlier runs left, this is the task just sent.
  const own = emptyReport();
  const outcome: Outcome = await settle(ctx, sub, task, own);
  reconciled.problems.push(...own.problems);
  const ok = outcome === 'succeeded' && problemsExit === EXIT.ok;
  const result: RunResultWord = outcome === 'failed' ? 'failed' : ok ? 'succeeded' : 'problems';
  return { ...shipped, exitCode: ok ? EXIT.ok : EXIT.failure, result };
}

