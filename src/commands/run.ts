import { changeListFor, type ChangeListFlags } from '../changes/change-list.js';
import { usageError } from '../errors/errors.js';
import { EXIT } from '../errors/exit-codes.js';
import { exitCodeForRun } from '../run/outcome.js';
import { progressFor, runProgress } from '../report/progress-line.js';
import { interruptedWhileOpen, runJob, type RunJobResult } from '../sync/run-job.js';
import { reconcileFilterRules } from '../sync/reconcile-run.js';
import { interruptedLine, summaryLine } from '../report/run-summary.js';
import { chunked, itemizedLine } from '../report/plan-printers.js';
import { loadJob, refuseWithGlobusListing, type CommandContext } from './context.js';
import { globusWiring } from './globus-session.js';

export interface RunCommandOptions extends ChangeListFlags {
  wait?: boolean;
  timeout?: number;
  allowDeletes?: number;
  /** --reconcile: also send the whole source as one recursive item now (README "Reconcile runs"). */
  reconcile?: boolean;
  /** --progress (true) or --no-progress (false); unset: only at a terminal. */
  progress?: boolean;
  /** -v / --itemize: each path shipped, deleted or held back, with why, on stdout before the summary. */
  itemize?: boolean;
}

export async function runCommand(opts: RunCommandOptions, ctx: CommandContext): Promise<number> {
  const { config, logger } = loadJob(ctx);
  if (opts.allowDeletes !== undefined && !config.deletes.enabled) {
    throw usageError('--allow-deletes needs deletes.enabled: true in the job config', 'turn deletes on in the config first, or leave --allow-deletes out');
  }
  if (opts.changes !== undefined) refuseWithGlobusListing(config, '--changes', 'leave --changes out: each run lists the source through Globus');
  // The config refuses inexpressible excludes when reconcile.intervalHours is set; --reconcile asks for the same, before anything runs (exit 2).
  if (opts.reconcile) reconcileFilterRules(config.scan.exclude);
  const only = await changeListFor(opts, config.source.path, ctx.stdin, logger);
  const line = progressFor(process.stderr, ctx.global.quiet, opts.progress);
  const progress = runProgress(line);
  const ctrlC = opts.wait ? new StopWaitingOnCtrlC() : null;
  // Asked for by name, so printed even with --quiet (which hides only the summary).
  const itemize = opts.itemize ? chunked(ctx.out) : null;
  let result: RunJobResult;
  try {
    result = await runJob({
      config,
      logger,
      ...globusWiring(config, ctx.env, logger),
      only,
      wait: opts.wait,
      timeoutSeconds: opts.timeout,
      allowDeletes: opts.allowDeletes,
      reconcile: opts.reconcile,
      ...progress,
      onSubmitted: () => {
        itemize?.flush();
        ctrlC?.waiting();
      },
      onWaiting: () => ctrlC?.waiting(),
      onItemized: itemize ? (it) => itemize.line(itemizedLine(it)) : undefined,
      signal: ctrlC?.signal,
      // For benchmarks against the local server only (scripts/bench/pull-rows.ts): never against Globus.
      ...(ctx.env.GSYNC_LISTING_UNLIMITED === '1' ? { listingRequestsPerSecond: Infinity } : {}),
    });
  } finally {
    itemize?.flush();
    line?.stop();
    ctrlC?.dispose();
  }
  // A Ctrl-C that came after the wait had ended (while settling) cut nothing short: the run reports as usual.
  if (ctrlC && interruptedWhileOpen(result, ctrlC.signal)) {
    // Said even with --quiet: a person pressed Ctrl-C and should know what is still out there.
    (ctx.err ?? process.stderr).write(`gsync: ${interruptedLine(result)}\n`);
    return EXIT.interrupted;
  }
  // Cron mails whatever a job prints, so --quiet prints nothing here; the exit code carries the news.
  if (!ctx.global.quiet) ctx.out.write(summaryLine(result) + '\n');
  return exitCodeForRun(result);
}

/**
 * Ctrl-C once `run --wait` has submitted a task stops the wait, not the run: the run
 * still records its row (with its task) and metrics, then says what it left
 * (issue 31.6). That holds for a transfer, a delete and a reconcile task alike.
 * Before the wait, or a second Ctrl-C, the signal kills as it always did (the
 * state is written in transactions, so that is safe).
 */
class StopWaitingOnCtrlC {
  private readonly ctl = new AbortController();
  private submitted = false;
  readonly signal = this.ctl.signal;
  private readonly onSigint = () => {
    if (!this.submitted || this.ctl.signal.aborted) {
      this.dispose();
      process.kill(process.pid, 'SIGINT');
      return;
    }
    this.ctl.abort();
  };
  constructor() {
    process.on('SIGINT', this.onSigint);
  }
  waiting(): void {
    this.submitted = true;
  }
  dispose(): void {
    process.off('SIGINT', this.onSigint);
  }
}
