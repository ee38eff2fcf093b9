import { EXIT, exitCodeFor } from '../errors/exit-codes.js';
import { exitCodeForRun } from '../run/outcome.js';
import { SessionRequiredError } from '../globus/errors.js';
import { FileHooks } from '../hooks/file-hooks.js';
import { PostTransferHooks } from '../hooks/run-owed.js';
import { acquireJobLock, lockPathFor } from '../lock/job-lock.js';
import type { Logger } from '../log/logger.js';
import { explainStateError, openState, type State } from '../state/open.js';
import { finishRun, startRun } from '../state/runs.js';
import { noCrash } from '../run/crash-point.js';
import { cycle, type CycleResult } from './cycle.js';
import type { Delivery } from './delivery.js';
import { recordedResult } from '../run/outcome.js';
import type { RemoteSession } from '../run/remote.js';
import type { RunJobOptions, RunJobResult } from './run-options.js';
import { writeRunMetrics } from './run-metrics.js';
import { nowNs, type SyncContext } from '../run/sync-context.js';
import { checkBinding } from '../binding/check.js';

export type { DeleteStepResult, RunJobOptions, RunJobResult } from './run-options.js';

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
    sync = { config, logger, state, remote: session.remote, auth: session.auth, now, crashPoint: opts.crashPoint ?? noCrash, runId };
    // Hooks earlier runs still owe go first; those this run's settling owes, last (so they never delay a transfer).
    const hooks = new PostTransferHooks(sync, opts.hookEnv ?? {});
    const fileHooks = new FileHooks(sync, opts.hookEnv ?? {});
    await hooks.runOwed();
    await fileHooks.runOwed();
    const cycled = await cycle(sync, opts);
    await hooks.runOwed();
    await fileHooks.runOwed();
    outcome = withHookProblems(cycled, [...hooks.problems, ...fileHooks.problems]);
    // Ctrl-C ended a --wait (src/commands/run.ts): the run table and metrics say 130, as the process exits.
    exitCode = opts.wait && interruptedWhileOpen(outcome, opts.signal) ? EXIT.interrupted : exitCodeForRun(outcome);
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
      message: [...interruptedNote(exitCode), ...outcome.settled.problems, ...owedNotes(outcome), ...unshippableNote(outcome)].join('; ') || null,
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

/** The cycle's result and the hooks' (a failed hook makes the run exit 1, and says so in its summary; the transfer's own outcome stands). */
function withHookProblems(c: CycleResult, problems: readonly string[]): RunJobResult {
  const composed = problems.length === 0 ? c : { ...c, hooksFailed: problems.length, settled: { ...c.settled, problems: [...c.settled.problems, ...problems] } };
  return { ...composed, result: recordedResult(composed) };
}

const interruptedNote = (code: number) => (code === EXIT.interrupted ? ['interrupted (Ctrl-C) while waiting: its task stays open and the next run settles it'] : []);

function unshippableNote(r: RunJobResult): string[] {
  const n = r.plan.unshippable;
  return n > 0 ? [`${n} path(s) could not be read or are not named in UTF-8: they never ship until fixed (see the warnings)`] : [];
}

/** For the run table's message: what `gsync status --json` shows of skipped paths a person must fix. */
function owedNotes(r: RunJobResult): string[] {
  return [r.delivery, ...r.settled.deliveries]
    .filter((d): d is Delivery => d !== null && d.hint !== null)
    .map((d) => `task ${d.taskId}: ${d.owed} path(s) skipped by Globus stay owed; ${d.hint}`);
}

/** Ctrl-C stopped a --wait while a task this run submitted (transfer, delete or reconcile) was still open: exit 130. */
export function interruptedWhileOpen(r: Pick<RunJobResult, 'outcome' | 'deletes' | 'reconcile'>, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && (r.outcome === 'still-active' || r.deletes.stillOpen || r.reconcile.stillOpen);
}
