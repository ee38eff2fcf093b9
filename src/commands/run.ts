import { changeListFor, type ChangeListFlags } from '../changes/change-list.js';
import { usageError } from '../errors/errors.js';
import { exitCodeForRun } from '../run/outcome.js';
import { progressFor, runProgress } from '../report/progress-line.js';
import { runJob, type RunJobResult } from '../sync/run-job.js';
import { summaryLine } from '../report/run-summary.js';
import { loadJob, refuseWithGlobusListing, type CommandContext } from './context.js';
import { globusWiring } from './globus-session.js';

export interface RunCommandOptions extends ChangeListFlags {
  wait?: boolean;
  timeout?: number;
  allowDeletes?: number;
  /** --progress (true) or --no-progress (false); unset: only at a terminal. */
  progress?: boolean;
}

export async function runCommand(opts: RunCommandOptions, ctx: CommandContext): Promise<number> {
  const { config, logger } = loadJob(ctx);
  if (opts.allowDeletes !== undefined && !config.deletes.enabled) {
    throw usageError('--allow-deletes needs deletes.enabled: true in the job config', 'turn deletes on in the config first, or leave --allow-deletes out');
  }
  if (opts.changes !== undefined) refuseWithGlobusListing(config, '--changes', 'leave --changes out: each run lists the source through Globus');
  const only = await changeListFor(opts, config.source.path, ctx.stdin, logger);
  const line = progressFor(process.stderr, ctx.global.quiet, opts.progress);
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
      // For benchmarks against the local server only (scripts/bench/pull-rows.ts): never against Globus.
      ...(ctx.env.GSYNC_LISTING_UNLIMITED === '1' ? { listingRequestsPerSecond: Infinity } : {}),
      ...runProgress(line),
    });
  } finally {
    line?.stop();
  }
  // Cron mails whatever a job prints, so --quiet prints nothing here; the exit code carries the news.
  if (!ctx.global.quiet) ctx.out.write(summaryLine(result) + '\n');
  return exitCodeForRun(result);
}
